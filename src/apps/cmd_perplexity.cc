// gemma3 perplexity: mean negative log-likelihood of a text. tokens = [BOS] + encode(text), scored
// in consecutive windows of at most --ctx tokens; every later window starts again with BOS, so
// each window is BOS + up to ctx-1 text tokens and every text token is predicted exactly once.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "apps/cli_support.h"
#include "apps/command.h"
#include "model/sequence_runner.h"
#include "util/mapped_file.h"

namespace gemma3 {
namespace {

constexpr int32_t kScoringChunk = 64;  // logits rows held at once: 64 × vocab floats (64 MiB at 262k)

int run_perplexity(int argc, char** argv) {
  Args args("perplexity", "Score a text file: mean negative log-likelihood per token and perplexity.");
  add_model_options(args);
  args.option("file", "f", "UTF-8 text file").option("ctx", "", "window size in tokens, BOS included", "1024")
      .flag("json", "print {\"tokens_scored\", \"nll\", \"ppl\"} as one JSON line")
      .flag("argmax", "with --json: also the most likely next token at every scored position");
  if (auto s = args.parse(argc, argv); !s) return std::fprintf(stderr, "%s\n", s.error().c_str()), 1;
  if (args.help_requested()) return std::fprintf(stdout, "%s", args.usage().c_str()), 0;
  if (!args.has("file")) return std::fprintf(stderr, "perplexity: -f FILE is required\n"), 1;
  auto ctx = args.get_int("ctx");
  if (!ctx || *ctx < 2) return std::fprintf(stderr, "perplexity: --ctx must be an integer >= 2\n"), 1;

  auto ckpt = load_checkpoint(args);
  if (!ckpt) return std::fprintf(stderr, "perplexity: %s\n", ckpt.error().c_str()), 1;
  auto text = read_text_file(args.get("file"));
  if (!text) return std::fprintf(stderr, "perplexity: %s\n", text.error().c_str()), 1;
  const int32_t window = static_cast<int32_t>(std::min<long long>(*ctx, ckpt->model->config.max_position_embeddings));
  const std::vector<int32_t> body = ckpt->tokenizer->encode(*text, /*parse_special=*/true);
  if (body.empty()) return std::fprintf(stderr, "perplexity: %s has no tokens to score\n", args.get("file").c_str()), 1;

  if (auto s = check_prompt_ids(body, ckpt->model->config.vocab_size); !s)
    return std::fprintf(stderr, "perplexity: %s\n", s.error().c_str()), 1;
  const size_t vocab = ckpt->model->config.vocab_size;
  SequenceRunner runner(*ckpt->model, window, kScoringChunk);
  std::vector<float> logits(kScoringChunk * vocab);
  std::vector<int32_t> argmax;
  double total_nll = 0;
  size_t scored = 0;
  for (size_t start = 0; start < body.size(); start += window - 1) {
    const size_t n_text = std::min<size_t>(window - 1, body.size() - start);
    std::vector<int32_t> input = {ckpt->tokenizer->bos_id()};
    input.insert(input.end(), body.begin() + start, body.begin() + start + n_text);
    runner.reset();
    // Position i predicts input[i + 1]; the last position predicts nothing.
    for (size_t c = 0; c < input.size() - 1; c += kScoringChunk) {
      const size_t n = std::min<size_t>(kScoringChunk, input.size() - 1 - c);
      runner.feed(std::span<const int32_t>(input).subspan(c, n), logits.data(), /*all_logits=*/true);
      for (size_t i = 0; i < n; ++i) {
        const float* row = &logits[i * vocab];
        float max_logit = row[0];
        size_t best = 0;
        for (size_t v = 1; v < vocab; ++v) {
          if (row[v] > max_logit) max_logit = row[v], best = v;
        }
        double sum = 0;
        for (size_t v = 0; v < vocab; ++v) sum += std::exp(static_cast<double>(row[v] - max_logit));
        const double log_z = max_logit + std::log(sum);
        total_nll += log_z - row[input[c + i + 1]];
        argmax.push_back(static_cast<int32_t>(best));
        ++scored;
      }
    }
  }
  const double nll = total_nll / static_cast<double>(scored);
  if (args.is_set("json")) {
    nlohmann::json out = {{"tokens_scored", scored}, {"nll", nll}, {"ppl", std::exp(nll)}};
    if (args.is_set("argmax")) out["argmax"] = argmax;
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("tokens scored: %zu\nmean NLL: %.6f\nperplexity: %.4f\n", scored, nll, std::exp(nll));
  }
  return 0;
}

const bool registered = register_command({"perplexity", "score a text: mean NLL and perplexity", &run_perplexity});

}  // namespace
}  // namespace gemma3
