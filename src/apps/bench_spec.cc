#include "apps/bench_spec.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

#include "apps/generation_loop.h"
#include "model/sequence_runner.h"
#include "ops/parallel.h"

namespace gemma3 {

namespace {

struct SideTotals {
  double seconds = 0;
  int64_t tokens = 0, passes = 0, drafted = 0, accepted = 0;
  double tok_s() const { return seconds > 0 ? tokens / seconds : 0; }
};

}  // namespace

int run_spec_bench(const LoadedCheckpoint& ckpt, const SpecBenchOptions& o) {
  const Model& model = *ckpt.model;
  std::vector<int32_t> prompt = {2};
  if (!o.prompt_text.empty()) {
    if (!ckpt.tokenizer) return std::fprintf(stderr, "bench: --spec-prompt needs the checkpoint's tokenizer\n"), 1;
    auto ids = ckpt.tokenizer->encode(o.prompt_text);
    prompt.insert(prompt.end(), ids.begin(), ids.end());
  } else {
    std::mt19937 rng(4321);
    while (static_cast<int64_t>(prompt.size()) < o.n_prompt) prompt.push_back(static_cast<int32_t>(rng() % model.config.vocab_size));
  }
  if (static_cast<int64_t>(prompt.size()) + o.n_gen > model.config.max_position_embeddings) {
    return std::fprintf(stderr, "bench: prompt + -n exceeds the context (%d)\n", model.config.max_position_embeddings), 1;
  }
  GenerationSettings settings;
  settings.sampling.temperature = o.temperature;
  settings.seed = 99;
  settings.sampling.seed = settings.seed;
  settings.max_new_tokens = static_cast<int32_t>(o.n_gen);
  settings.ignore_eos = true;  // every run generates exactly n_gen tokens
  SequenceRunner runner(model, static_cast<int32_t>(prompt.size() + o.n_gen + 1));
  SideTotals totals[2];
  std::vector<int32_t> outputs[2];
  bool identical = true;
  const auto no_text = [](const std::string&) {};
  for (int64_t rep = 0; rep < o.reps; ++rep) {
    for (int k = 0; k < 2; ++k) {
      const int side = (rep % 2 == 0) ? k : 1 - k;  // alternate which goes first
      settings.spec = side == 1 ? SpecMode::kNgram : SpecMode::kOff;
      runner.reset();
      const GenerationStats s = generate_tokens(ckpt, runner, prompt, settings, no_text);
      SideTotals& t = totals[side];
      t.seconds += s.generation_seconds;
      t.tokens += s.generated_tokens;
      t.passes += s.forward_passes;
      t.drafted += s.drafted_tokens;
      t.accepted += s.accepted_tokens;
      if (outputs[side].empty()) outputs[side] = s.generated_ids;
      identical = identical && s.generated_ids == outputs[side];
    }
  }
  identical = identical && outputs[0] == outputs[1];
  const double ratio = totals[0].tok_s() > 0 ? totals[1].tok_s() / totals[0].tok_s() : 0;
  if (o.json) {
    auto side = [](const SideTotals& t) {
      return nlohmann::json{{"tok_s", t.tok_s()}, {"tokens", t.tokens}, {"passes", t.passes},
                            {"drafted", t.drafted}, {"accepted", t.accepted}};
    };
    nlohmann::json out = {{"spec_off", side(totals[0])}, {"spec_ngram", side(totals[1])}, {"speedup", ratio},
                          {"identical", identical}, {"n_prompt", prompt.size()}, {"n_gen", o.n_gen},
                          {"repetitions", o.reps}, {"temperature", o.temperature}, {"threads", num_threads()}};
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("spec off:   %8.1f tok/s, %lld tokens in %lld passes\n", totals[0].tok_s(),
                static_cast<long long>(totals[0].tokens), static_cast<long long>(totals[0].passes));
    std::printf("spec ngram: %8.1f tok/s, %lld tokens in %lld passes; %lld drafted, %lld accepted (%.0f%%)\n",
                totals[1].tok_s(), static_cast<long long>(totals[1].tokens), static_cast<long long>(totals[1].passes),
                static_cast<long long>(totals[1].drafted), static_cast<long long>(totals[1].accepted),
                totals[1].drafted > 0 ? 100.0 * totals[1].accepted / totals[1].drafted : 0.0);
    std::printf("speedup %.2fx; outputs %s\n", ratio, identical ? "identical" : "DIFFER");
  }
  if (!identical) return std::fprintf(stderr, "bench: speculative output differs from plain decoding\n"), 1;
  return 0;
}

}  // namespace gemma3
