// Statements and whitespace control, checked against what Python Jinja2 (as transformers sets it
// up: trim_blocks, lstrip_blocks, loopcontrols) renders for the same source.
#include "jinja_test_util.h"

namespace gemma3::jinja::testing {
namespace {

TEST(JinjaStatements, IfElifElse) {
  const char* t = "{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %}";
  EXPECT_EQ(render(t, R"({"x": 1})"), "one");
  EXPECT_EQ(render(t, R"({"x": 2})"), "two");
  EXPECT_EQ(render(t, R"({"x": 3})"), "many");
}

TEST(JinjaStatements, ForLoopVariables) {
  EXPECT_EQ(render("{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
                   "{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}"),
            "1032TrueFalse3;2121FalseFalse3;3210FalseTrue3;");
  EXPECT_EQ(render("{% for i in [1,2,3] %}{{ loop.previtem }}|{{ loop.nextitem }}|{{ loop.cycle('a','b') }};{% endfor %}"),
            "|2|a;1|3|b;2||a;");
  EXPECT_EQ(render("{% for i in [1,1,2] %}{{ loop.changed(i) }}{% endfor %}"), "TrueFalseTrue");
}

TEST(JinjaStatements, ForFilterElseAndUnpacking) {
  EXPECT_EQ(render("{% for x in range(10) if x is odd %}{{ x }}{{ loop.length }},{% endfor %}"), "15,35,55,75,95,");
  EXPECT_EQ(render("{% for x in [] %}a{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", R"({"d": {"b": 1, "a": [2]}})"),
            "b=1;a=[2];");
  EXPECT_EQ(render("{% for k in d %}{{ k }}{% endfor %}", R"({"d": {"x": 1, "y": 2}})"), "xy");
  EXPECT_EQ(render("{% for a, b in [[1, 2, 3]] %}{% endfor %}").rfind("ERROR: line 1: too many values", 0), 0u);
}

TEST(JinjaStatements, BreakContinueAndNestedLoops) {
  EXPECT_EQ(render("{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}"
                   "{% endif %}{{ i }}{% endfor %}"),
            "0134");
  EXPECT_EQ(render("{% for i in [1,2] %}{% for j in 'ab' %}{{ loop.depth }}{{ i }}{{ j }}{% endfor %}{% endfor %}"),  // depth: recursive loops only
            "11a11b12a12b");
  EXPECT_EQ(render("{% break %}").rfind("PARSE ERROR: line 1, column 4: 'break' outside of a loop", 0), 0u);
}

TEST(JinjaStatements, SetScopingAndNamespace) {
  // Assignments inside a loop body do not leak out; namespace() carries state out.
  EXPECT_EQ(render("{% set x = 5 %}{% for i in [1,2] %}[{{ x }}]{% set x = i %}{% endfor %}|{{ x }}"), "[5][5]|5");
  EXPECT_EQ(render("{% for i in [1,2,3] %}[{{ x }}]{% set x = i %}{% endfor %}"), "[][][]");
  EXPECT_EQ(render("{% set ns = namespace(n=0, items=[]) %}{% for i in [1,2,3] %}{% set ns.n = ns.n + i %}"
                   "{% set ns.items = ns.items + [i] %}{% endfor %}{{ ns.n }} {{ ns.items }}"),
            "6 [1, 2, 3]");
  EXPECT_EQ(render("{% if true %}{% set y = 3 %}{% endif %}{{ y }}"), "3");
  EXPECT_EQ(render("{% set a, b = [1, 2] %}{{ b }}{{ a }}"), "21");
  EXPECT_EQ(render("{% set body %}  x {{ 1 + 1 }} {% endset %}[{{ body }}]"), "[  x 2 ]");
  EXPECT_EQ(render("{% set body | upper | trim %} hi {% endset %}[{{ body }}]"), "[HI]");
  EXPECT_EQ(render("{% set x = 1 %}{% set x.y = 2 %}").rfind("ERROR: line 1: cannot assign attribute", 0), 0u);
}

TEST(JinjaStatements, Macros) {
  EXPECT_EQ(render("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}"
                   "{{ greet('Ann') }} {{ greet('Bob', punct='?') }} {{ greet(punct='.', name='Cy') }}"),
            "Hi Ann! Hi Bob? Hi Cy.");
  // Missing arguments are Undefined; extra ones land in varargs / kwargs.
  EXPECT_EQ(render("{% macro m(a, b) %}[{{ a }}|{{ b }}|{{ varargs }}|{{ kwargs }}]{% endmacro %}{{ m(1) }}{{ m(1, 2, 3, z=4) }}"),
            "[1||()|{}][1|2|(3,)|{'z': 4}]");
  // Recursion and late-bound globals: a macro sees top-level assignments made after it.
  EXPECT_EQ(render("{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}"
                   "{{ fact(5) }}"),
            "120");
  EXPECT_EQ(render("{% macro m() %}{{ z }}{% endmacro %}{% set z = 4 %}{{ m() }}"), "4");
}

TEST(JinjaStatements, CallBlocksAndFilterBlocks) {
  EXPECT_EQ(render("{% macro box(t) %}<{{ t }}:{{ caller() }}>{% endmacro %}{% call box('b') %}inner{% endcall %}"),
            "<b:inner>");
  EXPECT_EQ(render("{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}"
                   "{% call(item) each([1, 2]) %}({{ item }}){% endcall %}"),
            "(1)(2)");
  EXPECT_EQ(render("{% filter upper %}abc {{ 'd' }}{% endfilter %}"), "ABC D");
  EXPECT_EQ(render("{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]"), "3[]");
  EXPECT_EQ(render("{% generation %}kept{% endgeneration %}"), "kept");
  EXPECT_EQ(render("{% raw %}{{ not evaluated }}{% endraw %}"), "{{ not evaluated }}");
  EXPECT_EQ(render("a{# comment #}b"), "ab");
}

TEST(JinjaStatements, WhitespaceControl) {
  // trim_blocks: the newline after a block tag goes; lstrip_blocks: indentation before it goes.
  EXPECT_EQ(render("{% if true %}\n  x\n{% endif %}\ny"), "  x\ny");
  EXPECT_EQ(render("a\n    {% if true %}\nb\n    {% endif %}\nc"), "a\nb\nc");
  EXPECT_EQ(render("a  {%- if true -%}  b  {%- endif -%}  c"), "abc");
  EXPECT_EQ(render("a  {{- 'x' -}}  b"), "axb");
  EXPECT_EQ(render("  {%+ if true %}x{% endif +%}\n"), "  x");
  EXPECT_EQ(render("{{ 'v' }}\n"), "v");            // the one trailing newline of a template is dropped
  EXPECT_EQ(render("{{ 'v' }}\n\n"), "v\n");
  EXPECT_EQ(render("x\r\ny"), "x\ny");              // newlines are normalized
  EXPECT_EQ(render("  {# c #}\nz"), "z");
  EXPECT_EQ(render("{{ 1 }}   {% if true %}x{% endif %}"), "1   x");   // lstrip needs a line start
}

TEST(JinjaStatements, ParseErrorsNameLineAndColumn) {
  EXPECT_EQ(render("ok\n{% if x %}\nno end"), "PARSE ERROR: line 3, column 7: unexpected end of template, expected 'elif' or 'else' or 'endif'");
  EXPECT_EQ(render("{{ 1 + }}"), "PARSE ERROR: line 1, column 8: unexpected end of print statement");
  EXPECT_EQ(render("a\n  {% frobnicate %}"), "PARSE ERROR: line 2, column 6: unknown or unsupported tag 'frobnicate'");
  EXPECT_EQ(render("{{ 'unterminated }}"), "PARSE ERROR: line 1, column 4: unterminated string literal");
  EXPECT_EQ(render("{{ (1 }}"), "PARSE ERROR: line 1, column 7: unexpected '}', expected ')'");
  EXPECT_EQ(render("{# open"), "PARSE ERROR: line 1, column 3: missing end of comment tag");
}

}  // namespace
}  // namespace gemma3::jinja::testing
