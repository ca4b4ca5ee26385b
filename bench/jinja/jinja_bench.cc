// Chat-template speed: parsing Gemma 3's template once, and rendering a 20-message conversation
// with it (the per-request cost; target well under 1 ms). Python Jinja2's time for the same render
// (transformers' environment, timeit) is in docs/ARCHITECTURE.md for comparison.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "jinja/template.h"

namespace {

std::string gemma3_template() {
  // __FILE__ is bench/jinja/jinja_bench.cc in the source tree.
  auto root = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  std::ifstream f(root / "tests" / "data" / "jinja" / "templates" / "gemma3.jinja");
  std::stringstream ss;
  ss << f.rdbuf();
  if (ss.str().empty()) std::abort();
  return ss.str();
}

// A system prompt and 20 alternating user/assistant messages of a few sentences each.
std::map<std::string, gemma3::jinja::Value> conversation() {
  nlohmann::ordered_json msgs = nlohmann::ordered_json::array();
  msgs.push_back({{"role", "system"}, {"content", "You are a helpful assistant. Answer briefly."}});
  for (int i = 0; i < 20; ++i) {
    std::string text = "Message " + std::to_string(i) +
                       ": here is a question or an answer of moderate length, with some detail about the "
                       "topic at hand, so that the template has real text to trim and copy.  ";
    msgs.push_back({{"role", i % 2 == 0 ? "user" : "assistant"}, {"content", text}});
  }
  return {{"messages", gemma3::jinja::value_from_json(msgs, true)},
          {"bos_token", gemma3::jinja::Value::string("<bos>")},
          {"add_generation_prompt", gemma3::jinja::Value::boolean(true)}};
}

void BM_ParseGemma3Template(benchmark::State& state) {
  std::string src = gemma3_template();
  for (auto _ : state) {
    auto t = gemma3::jinja::Template::parse(src);
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_ParseGemma3Template)->Unit(benchmark::kMicrosecond);

void BM_RenderGemma3_20Messages(benchmark::State& state) {
  auto t = gemma3::jinja::Template::parse(gemma3_template());
  auto globals = conversation();
  size_t bytes = 0;
  for (auto _ : state) {
    auto out = t->render(globals);
    if (!out) state.SkipWithError(out.error().c_str());
    bytes = out->text.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["prompt_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderGemma3_20Messages)->Unit(benchmark::kMicrosecond);

}  // namespace
