// Filters: each case is a template and the exact text Python Jinja2 (with transformers' tojson)
// renders for it; the table was checked against Jinja2 3.1 when written.
#include "jinja_test_util.h"

namespace gemma3::jinja::testing {
namespace {

struct Case {
  const char* tmpl;
  const char* want;
};

constexpr const char* kGlobals = R"({"users": [{"name": "bob", "age": 30, "tags": ["x"]}, {"name": "Al", "age": 25, "tags": []}, {"name": "cy", "age": 30}], "d": {"b": 1, "A": 2, "c": 0}, "words": ["b", "A", "a", "C"], "nums": [3, 1.5, 2]})";

void check(const std::vector<Case>& cases) {
  for (const auto& c : cases) EXPECT_EQ(render(c.tmpl, kGlobals), c.want) << c.tmpl;
}

TEST(JinjaFilters, Strings) {
  check({
      {R"([{{ '  x y  '|trim }}][{{ '--x--'|trim('-') }}][{{ 'ab'|upper }}][{{ 'AB'|lower }}][{{ 'hello-wORLD (x'|title }}][{{ 'hELLO'|capitalize }}])", "[x y][x][AB][ab][Hello-World (X][Hello]"},
      {R"({{ 'aXbX'|replace('X', '-') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 'abc'|reverse }} {{ 'abc'|center(7) }}|)", "a-b- bba cba   abc  |"},
      {R"({{ 'a\nb\n\nc'|indent(2) }}|{{ 'a\nb'|indent(2, true) }}|{{ 'a\n\nb'|indent('> ', blank=true) }})", "a\n  b\n\n  c|  a\n  b|a\n> \n> b"},
      {R"({{ 'hello world foo bar'|truncate(9) }}|{{ 'hello world foo bar'|truncate(9, true) }}|{{ 'short'|truncate(9) }}|{{ 'hello world'|truncate(8, end='~', leeway=0) }})", "hello...|hello ...|short|hello~"},
      {R"({{ 'one two  three'|wordcount }} {{ '<a href="x">&</a>'|e }} {{ "it's"|escape }} {{ 42|string ~ 1 }} {{ 'x'|safe }})", "3 &lt;a href=&#34;x&#34;&gt;&amp;&lt;/a&gt; it&#39;s 421 x"},
      {R"({{ '%s-%s'|format('a', 2) }} {{ '%(x)s'|format(x=1) }} {{ 'abc'|length }} {{ 'héllo'|count }})", "a-2 1 3 5"},
  });
}

TEST(JinjaFilters, Numbers) {
  check({
      {R"({{ -3|abs }} {{ -2.5|abs }} {{ '42'|int }} {{ '4.7'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ 3.9|int }} {{ '0x1A'|int(base=16) }})", "3 2.5 42 4 0 7 3 26"},
      {R"({{ '1.5'|float }} {{ 'x'|float }} {{ 3|float }} {{ '1e3'|float }})", "1.5 0.0 3.0 1000.0"},
      {R"({{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 2.1|round(0, 'ceil') }} {{ 2.9|round(method='floor') }} {{ 7|round }})", "2.0 4.0 2.67 3.0 2.0 7"},
      {R"({{ nums|sum }} {{ users|sum(attribute='age') }} {{ nums|max }} {{ nums|min }} {{ words|max }} {{ words|min(case_sensitive=true) }})", "6.5 85 3 1.5 C A"},
  });
}

TEST(JinjaFilters, Sequences) {
  check({
      {R"({{ words|first }} {{ words|last }} {{ words|length }} {{ words|join(',') }} {{ nums|join }} {{ []|first }}|)", "b C 4 b,A,a,C 31.52 |"},
      {R"({{ words|sort }} {{ words|sort(case_sensitive=true) }} {{ words|sort(reverse=true) }} {{ words|unique|list }})", "['A', 'a', 'b', 'C'] ['A', 'C', 'a', 'b'] ['C', 'b', 'A', 'a'] ['b', 'A', 'C']"},
      {R"({{ users|sort(attribute='age')|map(attribute='name')|join(' ') }} {{ users|sort(attribute='age,name')|map(attribute='name')|list }})", "Al bob cy ['Al', 'bob', 'cy']"},
      {R"({{ users|map(attribute='tags')|list }} {{ users|map(attribute='tags', default=['-'])|list }} {{ words|map('lower')|list }})", "[['x'], [], Undefined] [['x'], [], ['-']] ['b', 'a', 'a', 'c']"},
      {R"({{ users|selectattr('age', 'equalto', 30)|map(attribute='name')|list }} {{ users|rejectattr('tags')|map(attribute='name')|list }} {{ users|selectattr('tags', 'defined')|list|length }})", "['bob', 'cy'] ['Al', 'cy'] 2"},
      {R"({{ [1, 2, 3, 4]|select('odd')|list }} {{ [1, 2, 3, 4]|reject('odd')|list }} {{ [0, 1, '', 'a']|select|list }} {{ [1, 5, 9]|select('gt', 4)|list }})", "[1, 3] [2, 4] [1, 'a'] [5, 9]"},
      {R"({{ [1, 2, 3, 4, 5]|batch(2)|list }} {{ [1, 2, 3]|batch(2, 0)|list }} {{ [1, 2, 3, 4, 5]|slice(2)|list }})", "[[1, 2], [3, 4], [5]] [[1, 2], [3, 0]] [[1, 2, 3], [4, 5]]"},
      {R"({{ d|dictsort }} {{ d|dictsort(by='value') }} {{ d|dictsort(reverse=true)|first }} {{ d|items|list }})", "[('A', 2), ('b', 1), ('c', 0)] [('c', 0), ('b', 1), ('A', 2)] ('c', 0) [('b', 1), ('A', 2), ('c', 0)]"},
      {R"({{ 'ab'|list }} {{ d|list }} {{ nums|reverse|list }} {{ d|length }} {{ users[0]|attr('name') }}|)", "['a', 'b'] ['b', 'A', 'c'] [2, 1.5, 3] 3 |"},
  });
}

TEST(JinjaFilters, DefaultAndUndefined) {
  check({
      {R"({{ missing|default('d') }} {{ none|default('d') }} {{ ''|default('d', true) }} {{ 0|d('z', boolean=true) }} {{ missing|d }}|)", "d None d z |"},
      {R"({{ missing|length }} {{ missing|list }} {{ missing|join(',') }}|{{ missing|trim }}|{{ missing|string }}|)", "0 [] |||"},
      {R"({{ missing|tojson }})", "ERROR: line 1: Object of type Undefined is not JSON serializable"},
      {R"({{ missing|int }})", "ERROR: line 1: 'missing' is undefined"},
      {R"({{ d|truncate(3) }} {{ 'ab' % [1] }})", "{'b': 1, 'A': 2, 'c': 0} ab"},
      {R"({{ 5|truncate(3) }})", "ERROR: line 1: object of type 'int' has no len()"},
      {R"({{ 5|indent }})", "ERROR: line 1: the indent filter needs a string, not int"},
      {R"({{ 1|frob }})", "ERROR: line 1: no filter named 'frob'"},
  });
}

TEST(JinjaFilters, ToJsonIsPythonJsonDumps) {
  check({
      {R"({{ users[0]|tojson }})", R"({"name": "bob", "age": 30, "tags": ["x"]})"},
      {R"({{ {'é': 'ü\n"\\<>&\'', 'f': 1.0, 'g': 1e-05, 'n': none, 't': true}|tojson }})", R"({"é": "ü\n\"\\<>&'", "f": 1.0, "g": 1e-05, "n": null, "t": true})"},
      {R"({{ users[1]|tojson(indent=2) }})", "{\n  \"name\": \"Al\",\n  \"age\": 25,\n  \"tags\": []\n}"},
      {R"({{ d|tojson(sort_keys=true) }} {{ [1, [2]]|tojson(separators=(',', ':')) }} {{ {1: 'a', none: 2}|tojson }})", R"({"A": 2, "b": 1, "c": 0} [1,[2]] {"1": "a", "null": 2})"},
      {R"({{ (1, 2)|tojson(indent='\t') }} {{ 'x'|tojson }} {{ 3|tojson }})", "[\n\t1,\n\t2\n] \"x\" 3"},
  });
}

}  // namespace
}  // namespace gemma3::jinja::testing
