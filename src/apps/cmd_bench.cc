// gemma3 bench: prompt processing and generation speed, like llama-bench's pp512 / tg128, plus
// peak resident memory. Tokens are random ids, so any checkpoint (real or synthetic) works.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

#include "apps/cli_support.h"
#include "apps/command.h"
#include "model/sequence_runner.h"
#include "ops/cpu_features.h"
#include "ops/parallel.h"

namespace gemma3 {
namespace {

int run_bench(int argc, char** argv) {
  Args args("bench", "Measure prompt processing (pp) and generation (tg) tokens/s and peak memory.");
  add_model_options(args);
  args.option("n-prompt", "p", "prompt tokens", "512").option("n-gen", "n", "generated tokens", "128")
      .option("repetitions", "r", "repetitions (the best is reported)", "1")
      .flag("json", "print one JSON line");
  if (auto s = args.parse(argc, argv); !s) return std::fprintf(stderr, "%s\n", s.error().c_str()), 1;
  if (args.help_requested()) return std::fprintf(stdout, "%s", args.usage().c_str()), 0;
  auto n_prompt = args.get_int("n-prompt"), n_gen = args.get_int("n-gen"), reps = args.get_int("repetitions");
  if (!n_prompt || !n_gen || !reps || *n_prompt < 1 || *n_gen < 0 || *reps < 1)
    return std::fprintf(stderr, "bench: -p >= 1, -n >= 0 and -r >= 1 expected\n"), 1;
  auto ckpt = load_checkpoint(args, /*want_tokenizer=*/false);
  if (!ckpt) return std::fprintf(stderr, "bench: %s\n", ckpt.error().c_str()), 1;
  const auto& config = ckpt->model->config;
  if (*n_prompt + *n_gen > config.max_position_embeddings)
    return std::fprintf(stderr, "bench: -p + -n exceeds the context (%d)\n", config.max_position_embeddings), 1;

  std::mt19937 rng(1234);
  std::vector<int32_t> prompt(*n_prompt);
  for (auto& t : prompt) t = static_cast<int32_t>(rng() % config.vocab_size);
  std::vector<float> logits(config.vocab_size);
  SequenceRunner runner(*ckpt->model, static_cast<int32_t>(*n_prompt + *n_gen), static_cast<int32_t>(*n_prompt));
  double best_pp = 0, best_tg = 0;
  for (long long r = 0; r < *reps; ++r) {
    runner.reset();
    auto t0 = std::chrono::steady_clock::now();
    runner.feed(prompt, logits.data());
    double pp_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto t1 = std::chrono::steady_clock::now();
    for (long long i = 0; i < *n_gen; ++i) {
      int32_t token = static_cast<int32_t>(rng() % config.vocab_size);
      runner.feed(std::span<const int32_t>(&token, 1), logits.data());
    }
    double tg_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    best_pp = std::max(best_pp, *n_prompt / pp_s);
    if (*n_gen > 0) best_tg = std::max(best_tg, *n_gen / tg_s);
  }
  const double rss = peak_rss_mib();
  if (args.is_set("json")) {
    nlohmann::json out = {{"pp_tok_s", best_pp}, {"tg_tok_s", best_tg}, {"peak_rss_mb", rss},
                          {"n_prompt", *n_prompt}, {"n_gen", *n_gen}, {"threads", num_threads()},
                          {"isa", isa_name(active_isa())}, {"kv_cache_mb", runner.kv_bytes() / 1048576.0},
                          {"model", ckpt->dir.string()}};
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("pp%lld: %.1f tok/s\ntg%lld: %.1f tok/s\npeak RSS: %.0f MiB (threads %d, %s)\n", *n_prompt, best_pp,
                *n_gen, best_tg, rss, num_threads(), isa_name(active_isa()));
  }
  return 0;
}

const bool registered = register_command({"bench", "prompt/generation tokens per second and peak memory", &run_bench});

}  // namespace
}  // namespace gemma3
