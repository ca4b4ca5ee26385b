// Hostile templates: every bound of Limits ends the render with a clear error naming it, quickly,
// without crashing, hanging or growing memory without bound.
#include <chrono>

#include "jinja_test_util.h"

namespace gemma3::jinja::testing {
namespace {

// Renders and checks the failure names `what` and came back within `max_ms` (generous: CI runs
// this under sanitizers on a shared machine).
void expect_limit(const std::string& src, const std::string& what, const Limits& limits = {},
                  RenderFailure::Kind kind = RenderFailure::Kind::kLimit, int max_ms = 10000) {
  RenderFailure failure;
  auto start = std::chrono::steady_clock::now();
  std::string out = render(src, "{}", limits, &failure);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(out.find(what), std::string::npos) << src << " -> " << out.substr(0, 200);
  if (out.rfind("ERROR", 0) == 0) EXPECT_EQ(static_cast<int>(failure.kind), static_cast<int>(kind)) << src;
  EXPECT_LT(ms, max_ms) << src;
}

TEST(JinjaLimits, InfiniteRecursion) {
  expect_limit("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}", "max_call_depth exceeded");
  expect_limit("{% macro r() %}{% call r() %}x{% endcall %}{% endmacro %}{{ r() }}", "max_call_depth exceeded");
  Limits tight;
  tight.max_call_depth = 3;
  expect_limit("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}", "more than 3 nested macro calls", tight);
}

TEST(JinjaLimits, HugeLoops) {
  // As the sandbox: range() refuses more than 100,000 items.
  expect_limit("{% for i in range(10**9) %}{% endfor %}", "Range too big", {}, RenderFailure::Kind::kTemplate);
  // A tighter iteration bound and a loose time bound keep this deterministic under sanitizers.
  Limits iterations;
  iterations.max_loop_iterations = 100'000;
  iterations.max_time_ms = 600'000;
  expect_limit("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
               "max_loop_iterations exceeded (more than 100000 loop iterations)", iterations);
  Limits slow;
  slow.max_loop_iterations = int64_t{1} << 40;
  slow.max_time_ms = 100;
  expect_limit("{% for i in range(100000) %}{% for j in range(100000) %}{{ '' }}{% endfor %}{% endfor %}",
               "max_time_ms exceeded", slow);
}

TEST(JinjaLimits, HugeStringsListsAndOutput) {
  expect_limit("{{ 'a' * 10**12 }}", "max_output_bytes exceeded");
  expect_limit("{{ ('a' * 10**6) * 10**6 }}", "max_output_bytes exceeded");
  expect_limit("{{ [1] * 10**9 }}", "max_items exceeded");
  Limits one_mib;   // a smaller bound (and no clock) keeps this fast and deterministic under sanitizers
  one_mib.max_output_bytes = 1 << 20;
  one_mib.max_time_ms = 600'000;
  expect_limit("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", "max_output_bytes exceeded", one_mib);
  expect_limit("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
               "max_output_bytes exceeded");
  expect_limit("{{ 'x'|center(10**12) }}", "max_output_bytes exceeded");
  expect_limit("{{ '%2000000000s' % 'x' }}", "format width too large", {}, RenderFailure::Kind::kTemplate);
  Limits small;
  small.max_output_bytes = 10;
  expect_limit("{{ 'abcdefghijk' }}", "max_output_bytes exceeded", small);
  EXPECT_EQ(render("{{ 'abcdefghij' }}", "{}", small), "abcdefghij");
}

TEST(JinjaLimits, DeepNesting) {
  std::string deep_parens = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  EXPECT_NE(render(deep_parens).find("nested too deeply"), std::string::npos);
  std::string deep_ifs;
  for (int i = 0; i < 5000; ++i) deep_ifs += "{% if true %}";
  EXPECT_NE(render(deep_ifs).find("nested too deeply"), std::string::npos);
  expect_limit("{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}",
               "value nested deeper than 512 levels", {}, RenderFailure::Kind::kTemplate);
  // JSON nested deeper than the value depth limit is refused when used.
  std::string deep_json = std::string(2000, '[') + std::string(2000, ']');
  EXPECT_NE(render("{{ messages|tojson }}", "{\"messages\": " + deep_json + "}").find("ERROR"), std::string::npos);
}

TEST(JinjaLimits, SelfReferencesDoNotLeakOrLoop) {
  EXPECT_EQ(render("{% set ns = namespace() %}{% set ns.me = ns %}{% set ns.l = [ns] %}{{ ns.me.me.l|length }}"), "1");
  EXPECT_EQ(render("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}"), "<Namespace>");
}

TEST(JinjaLimits, RaiseExceptionIsReportedVerbatim) {
  RenderFailure failure;
  EXPECT_EQ(render("line one\n{{ raise_exception('Bad role: ' ~ 'x') }}", "{}", {}, &failure), "ERROR: Bad role: x");
  EXPECT_EQ(failure.kind, RenderFailure::Kind::kRaiseException);
  EXPECT_EQ(failure.message, "Bad role: x");
  EXPECT_EQ(failure.line, 2);
  EXPECT_EQ(render("a\n\n{{ x.y.z }}", "{}", {}, &failure), "ERROR: line 3: 'x' is undefined");
  EXPECT_EQ(failure.kind, RenderFailure::Kind::kTemplate);
}

}  // namespace
}  // namespace gemma3::jinja::testing
