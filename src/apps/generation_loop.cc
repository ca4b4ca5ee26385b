#include "apps/generation_loop.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <nlohmann/json.hpp>

#include "grammar/compiled_grammar.h"
#include "grammar/matcher.h"

#include "sampling/stop_strings.h"

namespace gemma3 {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

void add_sampling_options(Args& args) {
  args.option("n-predict", "n", "most tokens to generate", "128")
      .option("temp", "", "temperature (0 = greedy; default from generation_config.json, else greedy)")
      .option("top-k", "", "top-k (0 = off)")
      .option("top-p", "", "top-p / nucleus (1 = off)")
      .option("min-p", "", "min-p (0 = off)", "0")
      .option("repeat-penalty", "", "repetition penalty, HF semantics (1 = off)", "1")
      .option("presence-penalty", "", "presence penalty, OpenAI semantics", "0")
      .option("frequency-penalty", "", "frequency penalty, OpenAI semantics", "0")
      .option("logit-bias", "", "JSON object {\"token_id\": bias, ...}")
      .option("seed", "", "random seed (sampling is reproducible for a seed)", "0")
      .option("stop", "", "stop string (may be a JSON array of strings)")
      .option("spec", "", "speculative decoding: ngram (prompt-lookup drafts; same output) or off", "ngram");
}

Result<GenerationSettings> read_generation_settings(const Args& args, const LoadedCheckpoint& ckpt) {
  GenerationSettings s;
  auto n = args.get_int("n-predict");
  if (!n || *n < 0) return make_error("-n expects a non-negative integer");
  s.max_new_tokens = static_cast<int32_t>(*n);
  const GenerationConfig& g = ckpt.generation;
  // Without flags: the checkpoint's published defaults when it samples, else greedy.
  s.sampling.temperature = g.do_sample ? g.temperature.value_or(1.0f) : 0.0f;
  s.sampling.top_k = g.do_sample ? g.top_k.value_or(0) : 0;
  s.sampling.top_p = g.do_sample ? g.top_p.value_or(1.0f) : 1.0f;
  auto read_double = [&](const char* name, float* out) -> Status {
    if (!args.has(name)) return ok_status();
    auto v = args.get_double(name);
    if (!v) return std::move(v).take_error();
    *out = static_cast<float>(*v);
    return ok_status();
  };
  G3_TRY(read_double("temp", &s.sampling.temperature));
  G3_TRY(read_double("top-p", &s.sampling.top_p));
  G3_TRY(read_double("min-p", &s.sampling.min_p));
  G3_TRY(read_double("repeat-penalty", &s.sampling.repetition_penalty));
  G3_TRY(read_double("presence-penalty", &s.sampling.presence_penalty));
  G3_TRY(read_double("frequency-penalty", &s.sampling.frequency_penalty));
  if (args.has("top-k")) {
    auto k = args.get_int("top-k");
    if (!k) return std::move(k).take_error();
    s.sampling.top_k = static_cast<int>(*k);
  }
  auto seed = args.get_int("seed");
  if (!seed) return std::move(seed).take_error();
  s.seed = static_cast<uint64_t>(*seed);
  s.sampling.seed = s.seed;
  if (args.has("logit-bias")) {
    auto j = nlohmann::json::parse(args.get("logit-bias"), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error("--logit-bias expects a JSON object {\"token_id\": bias}");
    for (auto& [key, value] : j.items()) {
      char* end = nullptr;
      long id = std::strtol(key.c_str(), &end, 10);
      if (key.empty() || *end != '\0' || !value.is_number()) return make_error("--logit-bias: bad entry \"" + key + "\"");
      s.sampling.logit_bias.emplace_back(static_cast<int32_t>(id), value.get<float>());
    }
  }
  if (args.has("stop")) {
    std::string stop = args.get("stop");
    auto j = nlohmann::json::parse(stop, nullptr, false);
    if (!j.is_discarded() && j.is_array()) {
      for (const auto& v : j) {
        if (!v.is_string()) return make_error("--stop: a JSON array must hold strings");
        s.stop_strings.push_back(v.get<std::string>());
      }
    } else {
      s.stop_strings.push_back(stop);
    }
  }
  auto spec = parse_spec_mode(args.get("spec"));
  if (!spec) return make_error("--spec expects ngram or off");
  s.spec = *spec;
  G3_TRY(validate_sampling_params(s.sampling, ckpt.model->config.vocab_size));
  return s;
}

GenerationStats generate_tokens(const LoadedCheckpoint& ckpt, SequenceRunner& runner, std::span<const int32_t> prompt,
                                const GenerationSettings& settings, const std::function<void(const std::string&)>& on_text) {
  GenerationStats stats;
  stats.prompt_tokens = static_cast<int32_t>(prompt.size());
  const size_t vocab = ckpt.model->config.vocab_size;
  const NgramOptions ngram;
  DraftController drafter(settings.spec == SpecMode::kNgram ? ngram.max_draft : 0);
  std::vector<float> logits(vocab * static_cast<size_t>(ngram.max_draft + 1));  // (rows, vocab)
  std::vector<int32_t> history(prompt.begin(), prompt.end());  // what the penalties see as "prompt"
  std::vector<int32_t> context(prompt.begin(), prompt.end());  // prompt + generated: what drafts copy
  std::vector<int32_t> fed, draft;

  auto t0 = std::chrono::steady_clock::now();
  runner.feed(prompt, logits.data());
  stats.prompt_seconds = seconds_since(t0);

  Sampler sampler(settings.sampling, settings.seed);
  StreamingDecoder decoder(*ckpt.tokenizer, /*skip_special_tokens=*/true, settings.visible_special_ids);
  StopStringMatcher stops(settings.stop_strings);
  const std::vector<int32_t> no_eos;
  const OutputConstraint& constraint = settings.constraint;
  const auto& eos = settings.ignore_eos ? no_eos
                    : constraint.grammar && !constraint.end_ids.empty() ? constraint.end_ids
                                                                        : ckpt.generation.eos_token_ids;
  std::optional<grammar::Matcher> matcher;   // exists while the constraint is active
  std::vector<uint32_t> mask;
  if (constraint.grammar) {
    mask.resize(grammar::mask_words(*constraint.grammar->tokens));
    if (!constraint.lazy) matcher.emplace(constraint.grammar, eos);
  }
  auto t1 = std::chrono::steady_clock::now();
  stats.finish_reason = "length";
  bool stopped_by_string = false;
  int32_t n_rows = 1;            // logits rows of the last pass: the pending token's, then each drafted one's
  int32_t base = runner.position() - 1;  // position of the token whose logits are row 0
  for (bool done = stats.generated_tokens >= settings.max_new_tokens; !done;) {
    int32_t accepted = 0, token = -1;
    for (int32_t i = 0; i < n_rows; ++i) {
      const std::span<float> row(logits.data() + static_cast<size_t>(i) * vocab, vocab);
      if (matcher) {
        // Every sampler runs after the mask, so the token drawn is one the grammar allows. The
        // matcher has accepted every token before this row (drafts included), so the mask is exact.
        matcher->fill_mask(mask);
        for (size_t id = 0; id < vocab; ++id) {
          if (!(mask[id / 32] >> (id % 32) & 1u)) row[id] = -std::numeric_limits<float>::infinity();
        }
      }
      token = sampler.sample(row, history, stats.generated_ids);
      if (std::find(eos.begin(), eos.end(), token) != eos.end()) {
        stats.finish_reason = "stop";
        done = true;
        break;
      }
      if (!matcher && constraint.lazy &&
          std::find(constraint.trigger_tokens.begin(), constraint.trigger_tokens.end(), token) != constraint.trigger_tokens.end() &&
          (!constraint.trigger_at_start_only || stats.generated_tokens == 0)) {
        matcher.emplace(constraint.grammar, eos);   // the trigger is the grammar's first token
      }
      if (matcher && !matcher->accept(token)) {
        // Only when every allowed token had -inf logits (a logit_bias of -100 on all of them).
        stats.finish_reason = "stop";
        done = true;
        break;
      }
      stats.generated_ids.push_back(token);
      context.push_back(token);
      ++stats.generated_tokens;
      auto out = stops.push(decoder.push(token));
      if (!out.text.empty()) on_text(out.text);
      if (out.stopped) {
        stats.finish_reason = "stop";
        stopped_by_string = true;
        done = true;
        break;
      }
      if (matcher && matcher->must_end()) {   // complete: nothing but the end may follow
        stats.finish_reason = "stop";
        done = true;
      }
      if (stats.generated_tokens == settings.max_new_tokens) done = true;
      if (done || i + 1 == n_rows || token != draft[static_cast<size_t>(i)]) break;
      ++accepted;  // the draft's token: its KV is already in the runner
    }
    if (n_rows > 1) {
      drafter.record(n_rows - 1, accepted);
      stats.drafted_tokens += n_rows - 1;
      stats.accepted_tokens += accepted;
    }
    // Keep the KV of the pending token and the accepted draft; the rest is written again.
    runner.rewind(base + 1 + accepted);
    if (done || runner.position() + 1 > runner.capacity()) break;
    // Next pass: the token just sampled, plus a draft that fits the token and context limits.
    const int32_t room = std::min(settings.max_new_tokens - stats.generated_tokens, runner.capacity() - runner.position()) - 1;
    const int32_t want = std::min(room, drafter.length_for_step());
    draft.clear();
    if (want > 0) propose_ngram_draft(context, want, ngram, &draft);
    fed.assign(1, token);
    fed.insert(fed.end(), draft.begin(), draft.end());
    base = runner.position();
    runner.feed(fed, logits.data(), /*all_logits=*/!draft.empty());
    n_rows = static_cast<int32_t>(fed.size());
    ++stats.forward_passes;
  }
  if (!stopped_by_string) {  // release text held back by the decoder or a partial stop match
    auto out = stops.push(decoder.finish());
    std::string rest = out.text + (out.stopped ? "" : stops.flush());
    if (!rest.empty()) on_text(rest);
  }
  stats.generation_seconds = seconds_since(t1);
  return stats;
}

void print_generation_stats(const GenerationStats& s) {
  std::fprintf(stderr, "\nprompt: %d tokens in %.3f s (%.1f tok/s) | generation: %d tokens in %.3f s (%.1f tok/s) | finish: %s\n",
               s.prompt_tokens, s.prompt_seconds, s.prompt_seconds > 0 ? s.prompt_tokens / s.prompt_seconds : 0.0,
               s.generated_tokens, s.generation_seconds,
               s.generation_seconds > 0 ? s.generated_tokens / s.generation_seconds : 0.0, s.finish_reason.c_str());
}

}  // namespace gemma3
