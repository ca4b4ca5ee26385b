// Expressions, Python value semantics, filters, tests and methods: each case is a template and the
// exact text Python Jinja2 (configured as transformers does) renders for it. The table was checked
// against Jinja2 3.1 when written; tools/jinja_reference.py --render reproduces any row.
#include "jinja_test_util.h"

namespace gemma3::jinja::testing {
namespace {

struct Case {
  const char* tmpl;
  const char* want;
};

void check(const std::vector<Case>& cases, const char* globals = R"({"d": {"b": 1, "a": [1, 2.5, "x"]}, "s": "Hello World", "n": null, "l": [3, 1, 2]})") {
  for (const auto& c : cases) EXPECT_EQ(render(c.tmpl, globals), c.want) << c.tmpl;
}

TEST(JinjaExpressions, LiteralsAndPythonRepr) {
  check({
      {R"({{ 1 }}|{{ 1.0 }}|{{ 1e-05 }}|{{ 1e16 }}|{{ 123456789.125 }}|{{ 0.1 + 0.2 }}|{{ -0.0 }})", "1|1.0|1e-05|1e+16|123456789.125|0.30000000000000004|-0.0"},
      {R"({{ True }}{{ false }}{{ none }}{{ None }})", "TrueFalseNoneNone"},
      {R"({{ [1, 'a', "b'c", none, true, 1.5] }})", R"([1, 'a', "b'c", None, True, 1.5])"},
      {R"({{ {'k': [1, {'x': none}], 2: 'v'} }})", R"({'k': [1, {'x': None}], 2: 'v'})"},
      {R"({{ (1, 2) }}{{ (1,) }}{{ () }})", "(1, 2)(1,)()"},
      {R"({{ 'a\nb\t\\' ~ "\u00e9" }})", "a\nb\t\\\xc3\xa9"},
      {R"({{ ['a\nb', 'it\'s', "q\"", '\x01'] }})", R"(['a\nb', "it's", 'q"', '\x01'])"},
      {R"({{ 'adj' 'acent' }})", "adjacent"},
      {R"({{ 1_000 }}|{{ 2.5e3 }})", "1000|2500.0"},
      {R"({{ undefined_name }}|{{ d.missing }}|{{ n.x }}|{{ l[10] }}|{{ s[100] }})", "||||"},
  });
}

TEST(JinjaExpressions, Arithmetic) {
  check({
      {R"({{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }})", "3 -4 1 2 3.0 0.5"},
      {R"({{ 3 / 2 }} {{ 4 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2 ** 0.5 }} {{ -2 ** 2 }})", "1.5 2.0 1024 0.5 1.4142135623730951 4"},
      {R"({{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 10 - 2 - 3 }} {{ 1 + 1.5 }} {{ true + 1 }})", "7 9 5 2.5 2"},
      {R"({{ 'ab' * 3 }}{{ 2 * 'c' }}{{ [0] * 2 }}{{ 'x' + 'y' }}{{ [1] + [2] }})", "abababcc[0, 0]xy[1, 2]"},
      {R"({{ 1 ~ 'a' ~ none ~ true ~ undefined_name ~ [1] }})", "1aNoneTrue[1]"},
      {R"({{ 1 + 'a' }})", "ERROR: line 1: unsupported operand type(s) for +: 'int' and 'str'"},
      {R"({{ 1 // 0 }})", "ERROR: line 1: integer division or modulo by zero"},
      {R"({{ undefined_name + 1 }})", "ERROR: line 1: 'undefined_name' is undefined"},
      // Deliberate difference: Python ints are unbounded, ours fail past 64 bits.
      {R"({{ 9223372036854775807 + 1 }})", "ERROR: line 1: integer overflow (the result does not fit in 64 bits)"},
  });
}

TEST(JinjaExpressions, ComparisonsAndLogic) {
  check({
      {R"({{ 1 == 1.0 }} {{ 1 == true }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }})", "True True True True True False"},
      {R"({{ 'b' in 'abc' }} {{ 2 in l }} {{ 'a' in d }} {{ 5 not in l }} {{ 'x' in undefined_name }})", "True True True True False"},
      {R"({{ 0 or 'x' }} {{ 1 and 'y' }} {{ [] or none }} {{ not [] }} {{ '' and 1 }}|)", "x y None True |"},
      {R"({{ 'yes' if l else 'no' }} {{ 'yes' if [] }}|)", "yes |"},
      {R"({{ d == {'b': 1, 'a': [1, 2.5, 'x']} }} {{ (1, 2) == [1, 2] }} {{ none == undefined_name }})", "True False False"},
      {R"({{ 1 < 'a' }})", "ERROR: line 1: '<' not supported between instances of 'int' and 'str'"},
  });
}

TEST(JinjaExpressions, AttributesItemsAndSlices) {
  check({
      {R"({{ d.b }} {{ d['b'] }} {{ d.a[1] }} {{ d.a.0 }} {{ l[-1] }} {{ s[0] }}{{ s[-1] }})", "1 1 2.5 1 2 Hd"},
      {R"({{ l[1:] }} {{ l[::-1] }} {{ l[:-1] }} {{ s[::2] }} {{ s[6:] }} {{ 'héllo'[1:3] }} {{ s[-3:100] }})", "[1, 2] [2, 1, 3] [3, 1] HloWrd World él rld"},
      {R"({{ d.missing.x }})", "ERROR: line 1: 'dict object' has no attribute 'missing'"},
      {R"({{ undefined_name.x }})", "ERROR: line 1: 'undefined_name' is undefined"},
      {R"({{ l[::0] }})", "ERROR: line 1: slice step cannot be zero"},
  });
}

TEST(JinjaExpressions, StringMethods) {
  check({
      {R"([{{ '  a b  '.strip() }}][{{ 'xxaxx'.strip('x') }}][{{ '  a'.lstrip() }}][{{ 'a  '.rstrip() }}])", "[a b][a][a][a]"},
      {R"({{ ' a  b '.split() }}{{ 'a,b,,c'.split(',') }}{{ 'a b c'.split(' ', 1) }}{{ 'a b c'.rsplit(' ', 1) }})", "['a', 'b']['a', 'b', '', 'c']['a', 'b c']['a b', 'c']"},
      {R"({{ s.startswith('He') }}{{ s.endswith(('x', 'ld')) }}{{ s.upper() }}{{ s.lower() }}{{ 'hello wORLD'.title() }}{{ 'hELLO'.capitalize() }})", "TrueTrueHELLO WORLDhello worldHello WorldHello"},
      {R"({{ s.replace('o', '0') }} {{ s.replace('o', '0', 1) }} {{ s.find('o') }} {{ s.rfind('o') }} {{ s.find('z') }} {{ s.count('l') }})", "Hell0 W0rld Hell0 World 4 7 -1 3"},
      {R"({{ '{} and {}'.format(1, 'b') }} {{ '{0}{0}{x}'.format('a', x=2) }} {{ '{:>5}|{:<4}|{:^5}|{:.2f}|{:05d}'.format('r', 'l', 'c', 3.14159, 42) }})", "1 and b aa2     r|l   |  c  |3.14|00042"},
      {R"({{ '-'.join(['a', 'b']) }} {{ 'a\nb\r\nc'.splitlines() }} {{ 'abc'.center(7, '*') }} {{ '42'.zfill(5) }} {{ '123'.isdigit() }}{{ 'ab'.isalpha() }})", "a-b ['a', 'b', 'c'] **abc** 00042 TrueTrue"},
      {R"({{ '%s is %d years, %.1f%%' % ('Al', 30, 99.55) }} {{ '%(a)s-%(b)r' % {'a': 1, 'b': 'x'} }} {{ '%5s|%-5s|%03d' % ('a', 'b', 7) }})", "Al is 30 years, 99.5% 1-'x'     a|b    |007"},
      {R"({{ 'a=b=c'.partition('=') }} {{ 'abc'.removeprefix('a') }})", "('a', '=', 'b=c') bc"},
  });
}

TEST(JinjaExpressions, DictAndListMethods) {
  check({
      {R"({{ d.items()|list }} {{ d.keys()|list }} {{ d.values()|list }})", "[('b', 1), ('a', [1, 2.5, 'x'])] ['b', 'a'] [1, [1, 2.5, 'x']]"},
      {R"({{ d.get('b') }} {{ d.get('z') }} {{ d.get('z', 7) }} {{ l.index(1) }} {{ l.count(3) }})", "1 None 7 1 1"},
      {R"({{ l.append(4) }})", "ERROR: line 1: access to attribute 'append' of 'list' object is unsafe."},
      {R"({{ d.update({'c': 1}) }})", "ERROR: line 1: access to attribute 'update' of 'dict' object is unsafe."},
      {R"({{ l.append }}|{{ d.__class__ }}|)", "||"},
  });
}

TEST(JinjaExpressions, Tests) {
  check({
      {R"({{ x is defined }}{{ d is defined }}{{ x is undefined }}{{ n is none }}{{ s is string }}{{ 1 is number }}{{ true is number }})", "FalseTrueTrueTrueTrueTrueTrue"},
      {R"({{ 1 is integer }}{{ true is integer }}{{ 1.0 is float }}{{ true is boolean }}{{ d is mapping }}{{ l is iterable }}{{ s is sequence }}{{ 1 is iterable }})", "TrueFalseTrueTrueTrueTrueTrueFalse"},
      {R"({{ true is true }}{{ 1 is true }}{{ false is false }}{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(2) }})", "TrueFalseTrueTrueTrueTrueFalse"},
      {R"({{ 1 is eq 1 }}{{ 1 is equalto 2 }}{{ 1 is ne 2 }}{{ 3 is gt 2 }}{{ 3 is lt 2 }}{{ 2 is ge 2 }}{{ 2 is le 1 }}{{ 2 is in l }})", "TrueFalseTrueTrueFalseTrueFalseTrue"},
      {R"({{ range is callable }}{{ s is callable }}{{ 'abc' is lower }}{{ 'ABC' is upper }}{{ x is not defined }}{{ none is sameas none }})", "TrueFalseTrueTrueTrueTrue"},
      {R"({{ 'trim' is filter }}{{ 'odd' is test }}{{ 'nope' is filter }})", "TrueTrueFalse"},
      {R"({{ 2.5 is odd }}{{ 3.0 is odd }}{{ 4.5 is divisibleby 1.5 }}{{ missing is callable }}{{ 1 is lower }}{{ 'a1' is lower }})", "FalseTrueTrueTrueFalseTrue"},
      {R"({{ 'ab' % [1, 2] }} {{ l in d }})", "ERROR: line 1: unhashable type: 'list'"},
      {R"({{ 1 is frobbed }})", "ERROR: line 1: no test named 'frobbed'"},
  });
}

TEST(JinjaExpressions, Globals) {
  check({
      {R"({{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ range(3, 0, -1)|list }} {{ range(0)|list }})", "[0, 1, 2] [1, 3, 5] [3, 2, 1] []"},
      {R"({{ dict(a=1, b='x') }} {{ dict({'z': 1}, y=2) }})", "{'a': 1, 'b': 'x'} {'z': 1, 'y': 2}"},
      {R"({% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}{{ c.current }})", "abab"},
      {R"({% set j = joiner('|') %}{% for x in l %}{{ j() }}{{ x }}{% endfor %})", "3|1|2"},
      {R"({{ raise_exception('Only user and assistant roles are supported!') }})", "ERROR: Only user and assistant roles are supported!"},
      {R"({{ range(100001) }})", "ERROR: line 1: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)."},
      {R"({{ strftime_now('') }}|{{ strftime_now('%Y')|length }})", "|4"},
  });
}

}  // namespace
}  // namespace gemma3::jinja::testing
