// The engine: one thread owns the model runner, the scheduler and the paged KV cache, and runs
// continuous batching (schedule -> one forward pass -> sample + postprocess per sequence).
// HTTP threads only call submit(), read their RequestHandle, and cancel; they never touch model
// state. Everything in this header is thread-safe unless stated otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/model_runner.h"
#include "engine/ngram_drafter.h"
#include "sampling/sampler.h"

namespace gemma3 {

class Tokenizer;
namespace grammar {
class CompiledGrammar;
}

enum class FinishReason { kStop, kLength };
// "stop" / "length", as OpenAI's finish_reason.
const char* finish_reason_name(FinishReason reason);

// A constraint on what a request may generate (structured outputs, tool calls): the grammar's mask
// is applied to the logits before every sampler, so every sampled token keeps the output a prefix of
// the grammar's language.
struct OutputConstraint {
  std::shared_ptr<const grammar::CompiledGrammar> grammar;   // null: unconstrained
  std::vector<int32_t> end_ids;        // tokens allowed once complete (empty: the engine's eos ids)
  bool lazy = false;                   // tool calling "auto": inactive until a trigger token is sampled
  std::vector<int32_t> trigger_tokens; // lazy: sampling one of these creates the Matcher, and the token
                                       //   is accepted as its first token
  bool trigger_at_start_only = false;  // lazy: only the first generated token may trigger (a JSON call
                                       //   is the whole answer or none of it)
};

struct GenerationRequest {
  std::string request_id;
  std::vector<int32_t> prompt;          // token ids, BOS included
  SamplingParams sampling;              // from "sampling/sampler.h"
  int32_t max_tokens = 16;              // the caller validated prompt + max_tokens <= context
  std::vector<std::string> stop;
  bool logprobs = false;
  int32_t top_logprobs = 0;             // 0..20
  OutputConstraint constraint;
  // Special tokens whose text is kept in the output (OutputDelta::text) instead of skipped, e.g. a
  // tool-call format's markers (FunctionGemma's <start_function_call>), so the server can parse calls.
  std::vector<int32_t> visible_special_ids;
};

struct TopLogprobInfo {
  std::string token;   // the token's text (lossy UTF-8 for partial byte tokens)
  std::string bytes;   // the token's raw bytes
  float logprob = 0.0f;
};
struct TokenLogprobInfo {
  int32_t id = 0;
  std::string token;
  std::string bytes;
  float logprob = 0.0f;
  std::vector<TopLogprobInfo> top;   // top_logprobs entries, most likely first
};

struct OutputDelta {
  std::string text;                         // complete UTF-8 only; never any part of a stop string
  std::vector<TokenLogprobInfo> logprobs;   // one per token generated since the previous delta (when requested)
  std::optional<FinishReason> finish;       // set on the last delta of the request
  int32_t prompt_tokens = 0, completion_tokens = 0, cached_prompt_tokens = 0;   // running totals
};

namespace detail {
class RequestChannel;   // the state shared by the engine thread and the handle (engine/request_channel.h)
}

// The HTTP thread's end of one request. Destroying the handle cancels the request (the client went
// away). Deltas that the reader has not collected yet are merged, so a slow reader costs memory
// proportional to the text, not to the number of steps.
class RequestHandle {
 public:
  explicit RequestHandle(std::shared_ptr<detail::RequestChannel> channel);
  ~RequestHandle();   // cancels
  RequestHandle(const RequestHandle&) = delete;
  RequestHandle& operator=(const RequestHandle&) = delete;

  // Blocks until the next delta (true) or the end of the stream (false). Waits at most `timeout`; sets *timed_out.
  // After the delta carrying `finish`, returns false.
  bool next(OutputDelta* out, std::chrono::milliseconds timeout, bool* timed_out);
  void cancel();   // idempotent; the engine frees the sequence at its next step
  const std::string& request_id() const;
  // Event-driven readers: `fn` runs on the engine thread whenever next() may have something new
  // (RequestChannel::set_notify); nullptr removes it. Removed at destruction.
  void set_notify(std::function<void()> fn);

 private:
  std::shared_ptr<detail::RequestChannel> channel_;
};

enum class SubmitErrorKind { kQueueFull, kInvalid, kShuttingDown };
struct SubmitError {
  SubmitErrorKind kind;
  std::string message;
};

struct EngineOptions {
  std::vector<int32_t> eos_ids;     // generation_config.json eos_token_id(s); e.g. {1, 106} for -it
  int32_t max_batch_tokens = 512;   // per-step token budget: decode tokens first, then prefill chunks
  int32_t max_running = 64;         // sequences in the running set at once (at most max_batch_tokens)
  int32_t max_waiting = 256;        // submit fails with kQueueFull beyond this
  uint64_t default_seed = 0;        // requests without a seed draw from hash(default_seed, arrival number)
  bool enable_prefix_caching = true;
  bool log_requests = true;         // one stderr line per finished request
  // Speculative decoding: each decoding sequence's prompt-lookup draft is verified in the same
  // forward pass as its next token (engine/ngram_drafter.h); output keeps its distribution, and
  // greedy output is identical token for token.
  SpecMode spec = SpecMode::kNgram;
  NgramOptions ngram;
};

struct EngineStats {
  int32_t running = 0;              // sequences holding KV blocks
  int32_t waiting = 0;              // admitted by submit, not yet scheduled (incl. preempted)
  double kv_usage_ratio = 0.0;      // used / total blocks, max over the two pools
  int64_t prompt_tokens_total = 0;       // prompt tokens of finished + running requests (counted at admission)
  int64_t generation_tokens_total = 0;   // tokens sampled
  int64_t prefix_cache_hits_total = 0;   // prompt TOKENS served from the prefix cache (not requests)
  int64_t requests_finished_total = 0;   // finished with stop/length
  int64_t requests_cancelled_total = 0;  // client went away, or the engine failed the request
  int64_t preemptions_total = 0;
  int64_t steps_total = 0;               // forward passes
  int64_t spec_draft_tokens_total = 0;     // speculative tokens verified
  int64_t spec_accepted_tokens_total = 0;  // of those, accepted (each saved a forward pass)
  int64_t forced_tokens_total = 0;         // tokens a grammar forced, appended without sampling
};

class Engine {
 public:
  Engine(std::unique_ptr<ModelRunner> runner, const Tokenizer& tokenizer, EngineOptions options);
  ~Engine();                   // stops the thread; pending requests end
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void start();
  // Thread-safe. Error kQueueFull when max_waiting requests are already waiting (HTTP 429).
  // kInvalid (HTTP 400) for an empty prompt, out-of-vocabulary ids, top_logprobs outside 0..20,
  // max_tokens < 1, prompt + max_tokens beyond the context, or a request that can never fit the
  // KV pools. kShuttingDown once the destructor began.
  std::variant<std::shared_ptr<RequestHandle>, SubmitError> submit(GenerationRequest request);
  EngineStats stats() const;   // thread-safe snapshot: running, waiting, kv usage ratio, totals
  // Prometheus text: gemma3_requests_running, gemma3_requests_waiting, gemma3_prompt_tokens_total,
  // gemma3_generation_tokens_total, gemma3_kv_cache_usage_ratio, gemma3_prefix_cache_hits_total,
  // histograms gemma3_time_to_first_token_seconds, gemma3_inter_token_latency_seconds,
  // gemma3_request_duration_seconds.
  std::string metrics_prometheus() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gemma3
