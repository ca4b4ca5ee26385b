// gemma3 bench: prompt processing and generation speed, like llama-bench's pp512 / tg128, plus
// batched decode (--batch B: B sequences advancing one token each per forward pass), peak resident
// memory, and how close each figure comes to this machine's measured limits (ops/machine_probe.h):
// decode against read bandwidth (it streams every weight once per token), prompt processing against
// the FMA peak (it is compute bound). Tokens are random ids, so any checkpoint (real or synthetic)
// works. Each figure is the best of -r repetitions.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <tuple>

#include "apps/bench_cost.h"
#include "apps/bench_spec.h"
#include "apps/cli_support.h"
#include "apps/command.h"
#include "model/batch_sequences.h"
#include "ops/cpu_features.h"
#include "ops/machine_probe.h"
#include "ops/matmul.h"
#include "ops/parallel.h"

namespace gemma3 {
namespace {

constexpr long long kMaxBatch = 256;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct BenchResult {
  double pp_tok_s = 0;
  double tg1_tok_s = 0;       // one sequence decoding alone
  double tg_batch_tok_s = 0;  // B sequences decoding together, all tokens counted (B > 1 only)
  double peak_rss_batch1_mb = 0;
  double peak_rss_mb = 0;
  double kv_cache_mb = 0;  // reserved for all B sequences; untouched blocks cost no RSS
};

// n decode steps of the first `n_seqs` sequences (all at their current positions); returns seconds.
double time_decode(BatchSequences& seqs, int32_t n_seqs, int64_t n_gen, int32_t vocab, std::mt19937& rng,
                   std::vector<float>& logits) {
  std::vector<int32_t> tokens(n_seqs);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n_gen; ++i) {
    for (auto& t : tokens) t = static_cast<int32_t>(rng() % vocab);
    seqs.step(tokens, logits.data());
  }
  return seconds_since(t0);
}

BenchResult measure(const Model& model, int64_t n_prompt, int64_t n_gen, int64_t batch, int64_t reps, int64_t chunk) {
  const int32_t vocab = model.config.vocab_size;
  std::mt19937 rng(1234);
  std::vector<std::vector<int32_t>> prompts(batch, std::vector<int32_t>(n_prompt));
  for (auto& p : prompts)
    for (auto& t : p) t = static_cast<int32_t>(rng() % vocab);
  // (1, vocab) for batch 1, grown to (batch, vocab) only for the batched phase, so the batch-1
  // peak RSS does not include the larger batch's logits.
  std::vector<float> logits(vocab);
  BatchSequences seqs(model, static_cast<int32_t>(batch), static_cast<int32_t>(n_prompt + n_gen),
                      static_cast<int32_t>(chunk));
  BenchResult r;
  r.kv_cache_mb = seqs.kv_bytes() / 1048576.0;
  // Batch 1 first, all repetitions, so its peak RSS is not hidden by the larger batch's KV.
  for (int64_t rep = 0; rep < reps; ++rep) {
    seqs.reset();
    const auto t0 = std::chrono::steady_clock::now();
    seqs.feed(0, prompts[0], logits.data());
    r.pp_tok_s = std::max(r.pp_tok_s, n_prompt / seconds_since(t0));
    if (n_gen > 0) r.tg1_tok_s = std::max(r.tg1_tok_s, n_gen / time_decode(seqs, 1, n_gen, vocab, rng, logits));
  }
  r.peak_rss_batch1_mb = peak_rss_mib();
  if (batch > 1) logits.resize(static_cast<size_t>(batch) * vocab);
  for (int64_t rep = 0; batch > 1 && rep < reps; ++rep) {
    seqs.reset();
    for (int32_t s = 0; s < batch; ++s) seqs.feed(s, prompts[s], nullptr);  // untimed: each its own prompt
    const double s = time_decode(seqs, static_cast<int32_t>(batch), n_gen, vocab, rng, logits);
    r.tg_batch_tok_s = std::max(r.tg_batch_tok_s, batch * n_gen / s);
  }
  r.peak_rss_mb = peak_rss_mib();
  return r;
}

int run_bench(int argc, char** argv) {
  Args args("bench", "Measure prompt processing (pp) and generation (tg) tokens/s, batched decode and peak memory.");
  add_model_options(args);
  args.option("n-prompt", "p", "prompt tokens", "512").option("n-gen", "n", "generated tokens", "128")
      .option("repetitions", "r", "repetitions (the best is reported)", "1")
      .option("batch", "b", "sequences decoding together (each with its own -p prompt); > 1 also measures batch 1", "1")
      .option("chunk", "", "prompt tokens per forward pass", "512")
      .option("spec", "", "ngram: instead, compare decode tok/s with speculative decoding off and on (same tokens)", "off")
      .option("spec-prompt", "", "with --spec: the prompt text (default: -p random tokens)", "")
      .option("temp", "", "with --spec: temperature (0 = greedy)", "0")
      .flag("no-probe", "skip measuring the machine's read bandwidth and FMA peak (~1 s)")
      .flag("json", "print one JSON object");
  if (auto s = args.parse(argc, argv); !s) return std::fprintf(stderr, "%s\n", s.error().c_str()), 1;
  if (args.help_requested()) return std::fprintf(stdout, "%s", args.usage().c_str()), 0;
  // Each integer option with its smallest accepted value; an error names the option.
  long long n_prompt = 0, n_gen = 0, reps = 0, batch = 0, chunk = 0;
  for (auto [name, min, out] : {std::tuple{"n-prompt", 1LL, &n_prompt}, {"n-gen", 0LL, &n_gen},
                                {"repetitions", 1LL, &reps}, {"batch", 1LL, &batch}, {"chunk", 1LL, &chunk}}) {
    auto v = args.get_int(name);
    if (!v || *v < min) return std::fprintf(stderr, "bench: --%s expects an integer >= %lld\n", name, min), 1;
    *out = *v;
  }
  if (batch > kMaxBatch) return std::fprintf(stderr, "bench: --batch must be at most %lld\n", kMaxBatch), 1;
  const auto spec = parse_spec_mode(args.get("spec"));
  if (!spec) return std::fprintf(stderr, "bench: --spec expects ngram or off\n"), 1;
  if (*spec == SpecMode::kNgram) {
    auto temp = args.get_double("temp");
    if (!temp || *temp < 0 || *temp > 2) return std::fprintf(stderr, "bench: --temp expects a number in [0, 2]\n"), 1;
    auto spec_ckpt = load_checkpoint(args, /*want_tokenizer=*/true);
    if (!spec_ckpt) return std::fprintf(stderr, "bench: %s\n", spec_ckpt.error().c_str()), 1;
    SpecBenchOptions so;
    so.n_prompt = n_prompt;
    so.n_gen = std::max<long long>(n_gen, 1);
    so.reps = reps;
    so.temperature = static_cast<float>(*temp);
    so.prompt_text = args.get("spec-prompt");
    so.json = args.is_set("json");
    return run_spec_bench(*spec_ckpt, so);
  }
  if (batch > 1 && n_gen < 1) return std::fprintf(stderr, "bench: --batch > 1 measures decode: needs -n >= 1\n"), 1;
  auto ckpt = load_checkpoint(args, /*want_tokenizer=*/false);
  if (!ckpt) return std::fprintf(stderr, "bench: %s\n", ckpt.error().c_str()), 1;
  const Model& model = *ckpt->model;
  if (n_prompt + n_gen > model.config.max_position_embeddings)
    return std::fprintf(stderr, "bench: -p + -n exceeds the context (%d)\n", model.config.max_position_embeddings), 1;

  const BenchResult r = measure(model, n_prompt, n_gen, batch, reps, std::min(chunk, n_prompt));
  const double tg_tok_s = batch > 1 ? r.tg_batch_tok_s : r.tg1_tok_s;
  const double kv_mb = r.kv_cache_mb;
  const TokenCost cost = token_cost(model, n_prompt);
  // Probed after the runs (and after reading peak RSS: the read probe allocates its own buffer).
  MachineLimits limits;
  const bool probe = !args.is_set("no-probe");
  if (probe) limits = probe_machine(num_threads());
  const double tg_gb_s = r.tg1_tok_s * cost.decode_weight_bytes * 1e-9;
  const double pp_gflop_s = r.pp_tok_s * cost.prompt_flops_per_token * 1e-9;
  const double bw_fraction = probe && limits.read_gb_s > 0 ? tg_gb_s / limits.read_gb_s : 0;
  const double flops_fraction = probe && limits.fma_gflop_s > 0 ? pp_gflop_s / limits.fma_gflop_s : 0;
  const char* dtype = dtype_name(block_weight_dtype(model));
  const double speedup = batch > 1 && r.tg1_tok_s > 0 ? r.tg_batch_tok_s / r.tg1_tok_s : 1.0;
  // Batched decode is bound by the dot products of the active precision mode: each token costs 2
  // ops per matrix element (blocks + LM head). The ceiling is the batch's tokens/s if the matmuls
  // ran at that peak and nothing else took time, as a multiple of the measured batch 1.
  const double decode_ops_per_token = 2 * (cost.block_params + cost.lm_head_params);
  const double dot_peak = !probe ? 0
                          : matmul_precision() == MatmulPrecision::kInt8Activations ? limits.int8_gop_s
                          : matmul_precision() == MatmulPrecision::kBf16Activations ? limits.bf16_gflop_s
                                                                                    : limits.fma_gflop_s;
  const double batch_dot_fraction = dot_peak > 0 ? r.tg_batch_tok_s * decode_ops_per_token * 1e-9 / dot_peak : 0;
  const double batch_ceiling = dot_peak > 0 && r.tg1_tok_s > 0 ? dot_peak * 1e9 / decode_ops_per_token / r.tg1_tok_s : 0;

  if (args.is_set("json")) {
    nlohmann::json out = {
        {"pp_tok_s", r.pp_tok_s}, {"tg_tok_s", tg_tok_s}, {"tg_batch1_tok_s", r.tg1_tok_s},
        {"batch", batch}, {"batch_speedup", speedup}, {"n_prompt", n_prompt}, {"n_gen", n_gen},
        {"repetitions", reps}, {"dtype", dtype}, {"lm_head_dtype", dtype_name(model.weights.lm_head.dtype)},
        {"weight_bytes", cost.decode_weight_bytes}, {"block_weight_bytes", cost.block_weight_bytes},
        {"held_weight_mb", cost.held_weight_bytes / 1048576.0},
        {"flops_per_prompt_token", cost.prompt_flops_per_token},
        {"tg_gb_s", tg_gb_s}, {"pp_gflop_s", pp_gflop_s},
        {"kv_dtype", kv_dtype_name(model.kv_dtype)}, {"kv_cache_mb", kv_mb},
        {"peak_rss_mb", r.peak_rss_mb}, {"peak_rss_batch1_mb", r.peak_rss_batch1_mb},
        {"matmul_bf16", matmul_precision() == MatmulPrecision::kBf16Activations},
        {"matmul_int8", matmul_precision() == MatmulPrecision::kInt8Activations},
        {"threads", num_threads()}, {"isa", isa_name(active_isa())}, {"kernel_features", kernel_features()},
        {"model", ckpt->dir.string()}};
    if (probe) {
      out["machine"] = {{"read_gb_s", limits.read_gb_s}, {"fma_gflop_s", limits.fma_gflop_s},
                        {"bf16_gflop_s", limits.bf16_gflop_s}, {"int8_gop_s", limits.int8_gop_s}};
      if (batch > 1) {
        out["tg_batch_dot_fraction"] = batch_dot_fraction;
        out["batch_speedup_ceiling"] = batch_ceiling;
      }
      out["tg_bandwidth_fraction"] = bw_fraction;
      out["pp_flops_fraction"] = flops_fraction;
    } else {
      out["machine"] = nullptr;
      out["tg_bandwidth_fraction"] = nullptr;
      out["pp_flops_fraction"] = nullptr;
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("weights %s (LM head %s): %.0f MB read per decoded token; threads %d, %s%s\n", dtype,
              dtype_name(model.weights.lm_head.dtype), cost.decode_weight_bytes * 1e-6, num_threads(),
              kernel_features(),
              matmul_precision() == MatmulPrecision::kBf16Activations   ? ", matmul inputs rounded to bf16"
              : matmul_precision() == MatmulPrecision::kInt8Activations ? ", matmul inputs quantized to int8"
                                                                        : "");
  std::printf("pp%lld: %8.1f tok/s  %6.1f GFLOP/s", n_prompt, r.pp_tok_s, pp_gflop_s);
  if (probe) std::printf("  = %3.0f%% of the f32 FMA peak (%.0f GFLOP/s)", 100 * flops_fraction, limits.fma_gflop_s);
  std::printf("\ntg%lld: %8.1f tok/s  %6.1f GB/s", n_gen, r.tg1_tok_s, tg_gb_s);
  if (probe) std::printf("     = %3.0f%% of read bandwidth (%.1f GB/s)", 100 * bw_fraction, limits.read_gb_s);
  std::printf("\n");
  if (batch > 1)
  {
    std::printf("tg%lld x%lld: %8.1f tok/s in all (%.1f per sequence) = %.2fx batch 1", n_gen, batch,
                r.tg_batch_tok_s, r.tg_batch_tok_s / batch, speedup);
    if (batch_ceiling > 0)
      std::printf("; matmuls at %.0f%% of the %s dot-product peak (%.0f G/s), which caps batch %lld at %.1fx batch 1",
                  100 * batch_dot_fraction,
                  matmul_precision() == MatmulPrecision::kInt8Activations   ? "int8"
                  : matmul_precision() == MatmulPrecision::kBf16Activations ? "bf16"
                                                                            : "f32 FMA",
                  dot_peak, batch, batch_ceiling);
    std::printf("\n");
  }
  std::printf("weights held %.0f MiB; KV cache %s, %.0f MiB reserved; peak RSS %.0f MiB (batch 1: %.0f MiB)\n",
              cost.held_weight_bytes / 1048576.0, kv_dtype_name(model.kv_dtype), kv_mb, r.peak_rss_mb, r.peak_rss_batch1_mb);
  if (probe && limits.bf16_gflop_s > 0) std::printf("machine: bf16 dot-product peak %.0f GFLOP/s\n", limits.bf16_gflop_s);
  if (probe && limits.int8_gop_s > 0) std::printf("machine: int8 dot-product peak %.0f GOP/s\n", limits.int8_gop_s);
  return 0;
}

const bool registered = register_command(
    {"bench", "prompt/generation tokens per second, batched decode, peak memory, fraction of machine limits", &run_bench});

}  // namespace
}  // namespace gemma3
