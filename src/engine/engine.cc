// The engine thread: take new requests, drop cancelled ones, schedule one step, run the model
// once, then sample and postprocess each sequence that produced logits. See engine.h.
#include "engine/engine.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <future>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "engine/active_request.h"
#include "engine/metrics.h"
#include "engine/request_channel.h"
#include "engine/scheduler.h"
#include "grammar/compiled_grammar.h"
#include "kv/block_manager.h"
#include "tokenizer/utf8.h"

namespace gemma3 {

const char* finish_reason_name(FinishReason reason) { return reason == FinishReason::kStop ? "stop" : "length"; }

namespace {

constexpr int kMaxTopLogprobs = 20;

uint64_t mix_seed(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// OpenAI shows a token that is not valid UTF-8 on its own as "bytes:\xNN...".
std::string display_token(const std::string& bytes) {
  if (utf8::is_valid(bytes)) return bytes;
  std::string out = "bytes:";
  char buf[8];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof(buf), "\\x%02x", c);
    out += buf;
  }
  return out;
}

double seconds(EngineClock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

struct Engine::Impl {
  Impl(std::unique_ptr<ModelRunner> r, const Tokenizer& t, EngineOptions o)
      : runner(std::move(r)),
        tokenizer(t),
        options(std::move(o)),
        geometry(runner->kv_geometry()),
        vocab(runner->vocab_size()),
        blocks(geometry, options.enable_prefix_caching),
        scheduler(&blocks, SchedulerOptions{std::max(1, options.max_batch_tokens),
                                            std::clamp(options.max_running, 1, std::max(1, options.max_batch_tokens))}) {}

  void loop();
  void step();
  void drop_cancelled();
  // Appends a prompt-lookup draft to each decoding sequence whose policy asks for one.
  void propose_drafts();
  // Samples from the item's logits rows: one, or for a drafted item one per position, verifying
  // the draft token by token exactly as decoding one at a time would sample (stopping at the first
  // token that differs from the draft, or at a finish). Sets item->n_rejected. Returns the delta.
  OutputDelta postprocess(ActiveRequest* req, ScheduledItem* item, float* rows);
  // Appends one sampled token and applies EOS, stop strings, logprobs and the length limits.
  // `raw` is the token's logits row before the sampler transformed it (when logprobs are asked).
  void emit_token(ActiveRequest* req, int32_t token, std::span<const float> raw, OutputDelta* delta);
  // Ends the request with `reason`, releasing the text the decoder and stop matcher held back.
  void finish_request(ActiveRequest* req, FinishReason reason, OutputDelta* delta);
  // The grammar's side of a sampled token: activates a lazy constraint on its trigger, advances the
  // matcher, finishes when nothing but an end id can follow, and appends the tokens the grammar
  // forces (fast-forward: they go through the model as one chunk at the next step).
  void advance_constraint(ActiveRequest* req, int32_t token, OutputDelta* delta);
  // Frees the sequence, records it, then sends its last delta (when finished) or closes its
  // channel (cancelled, failed): a client that saw the finish sees the stats that include it.
  void end_request(ActiveRequest* req, const char* outcome, std::optional<OutputDelta> last = std::nullopt);
  void fail_all(const char* why);
  void publish_stats();
  void publish_stats_locked();  // the engine-owned gauges into `stats`; stats_mu held

  // Immutable after construction (read by submit on HTTP threads).
  std::unique_ptr<ModelRunner> runner;
  const Tokenizer& tokenizer;
  const EngineOptions options;
  const KvGeometry geometry;
  const int32_t vocab;

  // Engine thread only.
  BlockManager blocks;
  Scheduler scheduler;
  std::unordered_map<int64_t, std::unique_ptr<ActiveRequest>> active;
  std::vector<float> logits;   // (n_logits, vocab) of the current step
  std::vector<float> raw_row;  // (vocab,) copy of a row before sampling, when logprobs are asked

  // Shared with submit(), guarded by mu.
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::unique_ptr<ActiveRequest>> inbox;
  int32_t n_waiting_in_engine = 0;   // scheduler waiting queue size, as last published
  bool stopping = false;
  uint64_t next_arrival = 0;
  std::thread thread;

  // Guarded by stats_mu.
  mutable std::mutex stats_mu;
  EngineStats stats;
  LatencyMetrics latency;
};

Engine::Engine(std::unique_ptr<ModelRunner> runner, const Tokenizer& tokenizer, EngineOptions options)
    : impl_(std::make_unique<Impl>(std::move(runner), tokenizer, std::move(options))) {}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  // Pending requests end without a finish reason: their readers see the end of the stream.
  for (auto& r : impl_->inbox) r->channel->close();
  for (auto& [id, r] : impl_->active) r->channel->close();
}

void Engine::start() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->thread.joinable() || impl_->stopping) return;
  impl_->thread = std::thread([this] { impl_->loop(); });
}

std::variant<std::shared_ptr<RequestHandle>, SubmitError> Engine::submit(GenerationRequest request) {
  Impl& m = *impl_;
  auto invalid = [](std::string msg) { return SubmitError{SubmitErrorKind::kInvalid, std::move(msg)}; };
  const int64_t n_prompt = static_cast<int64_t>(request.prompt.size());
  if (n_prompt == 0) return invalid("prompt: must contain at least one token");
  for (int32_t id : request.prompt) {
    if (id < 0 || id >= m.vocab) {
      return invalid("prompt: token id " + std::to_string(id) + " is outside the vocabulary (size " + std::to_string(m.vocab) + ")");
    }
  }
  if (request.max_tokens < 1) return invalid("max_tokens: must be at least 1");
  if (request.top_logprobs < 0 || request.top_logprobs > kMaxTopLogprobs) {
    return invalid("top_logprobs: must be between 0 and " + std::to_string(kMaxTopLogprobs));
  }
  const int64_t total = n_prompt + request.max_tokens;
  if (m.geometry.max_context > 0 && total > m.geometry.max_context) {
    return invalid("prompt (" + std::to_string(n_prompt) + " tokens) + max_tokens (" + std::to_string(request.max_tokens) +
                   ") exceeds the context length " + std::to_string(m.geometry.max_context));
  }
  if (!m.blocks.can_ever_fit(static_cast<int32_t>(total))) {
    return invalid("prompt (" + std::to_string(n_prompt) + " tokens) + max_tokens (" + std::to_string(request.max_tokens) +
                   ") does not fit the KV cache (" + std::to_string(m.geometry.n_full_blocks * m.geometry.block_size) +
                   " positions)");
  }
  if (Status s = validate_sampling_params(request.sampling, m.vocab); !s.ok()) return invalid(s.error());
  const OutputConstraint& c = request.constraint;
  for (const auto* ids : {&c.end_ids, &c.trigger_tokens}) {
    for (int32_t id : *ids) {
      if (id < 0 || id >= m.vocab) return invalid("constraint: token id " + std::to_string(id) + " is outside the vocabulary");
    }
  }
  if (c.grammar && c.lazy && c.trigger_tokens.empty()) return invalid("constraint: a lazy grammar needs trigger tokens");

  std::lock_guard<std::mutex> lock(m.mu);
  if (m.stopping) return SubmitError{SubmitErrorKind::kShuttingDown, "the server is shutting down"};
  if (m.n_waiting_in_engine + static_cast<int32_t>(m.inbox.size()) >= m.options.max_waiting) {
    return SubmitError{SubmitErrorKind::kQueueFull,
                       "too many requests waiting (" + std::to_string(m.options.max_waiting) + "); retry later"};
  }
  const uint64_t arrival = m.next_arrival++;
  // An unseeded request draws from a seed unique to it, so identical requests differ.
  const uint64_t seed = mix_seed(m.options.default_seed ^ mix_seed(arrival));
  auto channel = std::make_shared<detail::RequestChannel>(request.request_id);
  auto req = std::make_unique<ActiveRequest>(std::move(request), m.tokenizer, seed, channel);
  req->id = static_cast<int64_t>(arrival);
  req->arrival = arrival;
  req->tokens = std::move(req->request.prompt);
  req->n_prompt = static_cast<int32_t>(req->tokens.size());
  const OutputConstraint& constraint = req->request.constraint;
  if (constraint.grammar) {
    req->end_ids = constraint.end_ids.empty() ? m.options.eos_ids : constraint.end_ids;
    req->mask.resize(grammar::mask_words(*constraint.grammar->tokens));
    if (!constraint.lazy) req->matcher = std::make_unique<grammar::Matcher>(constraint.grammar, req->end_ids);
  } else if (m.options.spec == SpecMode::kNgram) {
    req->drafter = DraftController(m.options.ngram.max_draft);
  }
  m.inbox.push_back(std::move(req));
  m.cv.notify_all();
  return std::make_shared<RequestHandle>(std::move(channel));
}

EngineStats Engine::stats() const {
  EngineStats s;
  {
    std::lock_guard<std::mutex> lock(impl_->stats_mu);
    s = impl_->stats;
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  s.waiting = impl_->n_waiting_in_engine + static_cast<int32_t>(impl_->inbox.size());
  return s;
}

std::string Engine::metrics_prometheus() const {
  const EngineStats s = stats();
  std::lock_guard<std::mutex> lock(impl_->stats_mu);
  return format_prometheus(s, impl_->latency);
}

// ---- engine thread ----

void Engine::Impl::loop() {
  for (;;) {
    std::vector<std::unique_ptr<ActiveRequest>> fresh;
    {
      std::unique_lock<std::mutex> lock(mu);
      const bool busy = !scheduler.idle();
      cv.wait(lock, [&] { return stopping || busy || !inbox.empty(); });
      if (stopping) return;
      fresh.swap(inbox);
      n_waiting_in_engine += static_cast<int32_t>(fresh.size());
    }
    for (auto& r : fresh) {
      {
        std::lock_guard<std::mutex> lock(stats_mu);
        stats.prompt_tokens_total += r->n_prompt;
      }
      scheduler.add(r.get());
      const int64_t id = r->id;
      active.emplace(id, std::move(r));
    }
    try {
      drop_cancelled();
      step();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gemma3: engine step failed: %s\n", e.what());
      fail_all(e.what());
    } catch (...) {
      std::fprintf(stderr, "gemma3: engine step failed\n");
      fail_all("unknown error");
    }
    publish_stats();
  }
}

void Engine::Impl::drop_cancelled() {
  std::vector<ActiveRequest*> gone;
  for (auto& [id, r] : active) {
    if (r->channel->cancelled()) gone.push_back(r.get());
  }
  for (ActiveRequest* r : gone) end_request(r, "cancelled");
}

void Engine::Impl::propose_drafts() {
  for (Sequence* seq : scheduler.running()) {
    auto* req = static_cast<ActiveRequest*>(seq);
    if (req->n_uncomputed() != 1 || req->n_draft != 0) continue;  // prefilling
    if (req->request.constraint.grammar) continue;                 // drafts are not checked against grammars
    // Never draft past what the request may still generate: the pending token is generated
    // already, and the verifier samples one token more than it accepts.
    const int32_t room = std::min(req->request.max_tokens - req->n_generated(),
                                  geometry.max_context > 0 ? geometry.max_context - static_cast<int32_t>(req->tokens.size())
                                                           : req->request.max_tokens) - 1;
    if (room <= 0) continue;
    const int32_t want = std::min(room, req->drafter.length_for_step());
    if (want <= 0) continue;
    propose_ngram_draft(req->tokens, want, options.ngram, &req->draft);
    req->tokens.insert(req->tokens.end(), req->draft.begin(), req->draft.end());
    req->n_draft = static_cast<int32_t>(req->draft.size());
  }
}

void Engine::Impl::step() {
  if (options.spec != SpecMode::kOff) propose_drafts();
  ScheduledStep st = scheduler.schedule();
  if (st.empty()) return;
  logits.resize(static_cast<size_t>(st.n_logits) * static_cast<size_t>(vocab));
  // The masks of constrained sequences depend only on their tokens so far: a helper thread computes
  // them while the forward pass runs (the kernels' pool is busy with matmuls meanwhile).
  std::vector<ActiveRequest*> constrained;
  for (const ScheduledItem& item : st.items) {
    auto* req = static_cast<ActiveRequest*>(item.seq);
    if (item.want_logits && req->matcher) constrained.push_back(req);
  }
  std::future<void> masks;
  if (!constrained.empty()) {
    masks = std::async(std::launch::async, [&constrained] {
      for (ActiveRequest* req : constrained) req->matcher->fill_mask(req->mask);
    });
  }
  runner->run(st.batch, logits.data());
  if (masks.valid()) masks.get();
  {
    std::lock_guard<std::mutex> lock(stats_mu);
    ++stats.steps_total;
  }
  size_t row = 0;
  std::vector<std::pair<ActiveRequest*, OutputDelta>> done;
  std::vector<std::pair<ActiveRequest*, OutputDelta>> deltas;
  for (ScheduledItem& item : st.items) {
    if (!item.want_logits) continue;
    auto* req = static_cast<ActiveRequest*>(item.seq);
    OutputDelta delta = postprocess(req, &item, logits.data() + row * static_cast<size_t>(vocab));
    row += static_cast<size_t>(item.n_logit_rows());
    if (req->finish) {
      done.emplace_back(req, std::move(delta));
    } else if (!delta.text.empty() || !delta.logprobs.empty()) {
      deltas.emplace_back(req, std::move(delta));
    }
  }
  // After sampling: the verifier decided how much of each draft stays in the cache. Tokens up to
  // each sequence's new n_computed are unchanged (accepted drafts were re-appended as themselves).
  scheduler.commit(st);
  for (auto& [req, delta] : deltas) req->channel->push(std::move(delta));
  for (auto& [req, delta] : done) end_request(req, finish_reason_name(*req->finish), std::move(delta));
}

OutputDelta Engine::Impl::postprocess(ActiveRequest* req, ScheduledItem* item, float* rows) {
  const GenerationRequest& rq = req->request;
  const int32_t n_draft = item->n_draft;
  // Take the draft out of the sequence: each drafted token is appended again only once accepted,
  // so the penalties of position i see exactly the tokens before it.
  req->draft.assign(req->tokens.end() - n_draft, req->tokens.end());
  req->trim_draft(0);
  OutputDelta delta;
  int32_t accepted = 0;
  for (int32_t i = 0; i <= n_draft; ++i) {
    std::span<float> row(rows + static_cast<size_t>(i) * static_cast<size_t>(vocab), static_cast<size_t>(vocab));
    if (rq.logprobs) raw_row.assign(row.begin(), row.end());  // before the sampler transforms the row
    if (req->matcher) {
      // Before every sampler transform: disallowed tokens get -inf, so whatever the temperature,
      // top-k/p, penalties or logit_bias do, the sampled token is one the grammar allows.
      constexpr float kNegInf = -std::numeric_limits<float>::infinity();
      for (size_t w = 0; w < req->mask.size(); ++w) {
        const uint32_t word = req->mask[w];
        if (word == 0xffffffffu) continue;
        const size_t end = std::min(row.size(), (w + 1) * 32);
        for (size_t id = w * 32; id < end; ++id) {
          if (!((word >> (id % 32)) & 1u)) row[id] = kNegInf;
        }
      }
      for (size_t id = req->mask.size() * 32; id < row.size(); ++id) row[id] = kNegInf;  // beyond the table
    }
    // The speculative rule for a deterministic draft (sampler.h): draw as usual, accept iff equal.
    const int32_t token = req->sampler.sample(row, req->prompt(), req->generated());
    emit_token(req, token, raw_row, &delta);
    if (rq.constraint.grammar && !req->finish) advance_constraint(req, token, &delta);
    if (req->finish || i == n_draft || token != req->draft[static_cast<size_t>(i)]) break;
    ++accepted;
  }
  item->n_rejected = n_draft - accepted;
  if (n_draft > 0) {
    req->drafter.record(n_draft, accepted);
    std::lock_guard<std::mutex> lock(stats_mu);
    stats.spec_draft_tokens_total += n_draft;
    stats.spec_accepted_tokens_total += accepted;
  }
  delta.finish = req->finish;
  delta.prompt_tokens = req->n_prompt;
  delta.completion_tokens = req->n_generated();
  delta.cached_prompt_tokens = req->n_cached_prompt;
  return delta;
}

void Engine::Impl::emit_token(ActiveRequest* req, int32_t token, std::span<const float> raw, OutputDelta* delta) {
  const GenerationRequest& rq = req->request;
  req->tokens.push_back(token);

  const auto now = EngineClock::now();
  {
    std::lock_guard<std::mutex> lock(stats_mu);
    ++stats.generation_tokens_total;
    if (!req->first_token) {
      latency.time_to_first_token.observe(seconds(now - req->submitted));
    } else {
      latency.inter_token_latency.observe(seconds(now - *req->last_token));
    }
  }
  if (!req->first_token) req->first_token = now;
  req->last_token = now;

  const bool is_eos = std::find(options.eos_ids.begin(), options.eos_ids.end(), token) != options.eos_ids.end() ||
                      (req->matcher && std::find(req->end_ids.begin(), req->end_ids.end(), token) != req->end_ids.end());
  if (!is_eos) {
    const StopStringMatcher::Output out = req->stops.push(req->decoder.push(token));
    delta->text += out.text;
    if (out.stopped) req->finish = FinishReason::kStop;
    if (rq.logprobs) {
      TokenLogprobInfo info;
      info.id = token;
      info.bytes = tokenizer.token_bytes(token);
      info.token = display_token(info.bytes);
      std::vector<TokenLogprob> top;
      compute_logprobs(raw, token, rq.top_logprobs, &info.logprob, rq.top_logprobs > 0 ? &top : nullptr);
      for (const TokenLogprob& t : top) {
        TopLogprobInfo ti;
        ti.bytes = tokenizer.token_bytes(t.id);
        ti.token = display_token(ti.bytes);
        ti.logprob = t.logprob;
        info.top.push_back(std::move(ti));
      }
      delta->logprobs.push_back(std::move(info));
    }
  }
  if (!req->finish) {
    if (is_eos) {
      finish_request(req, FinishReason::kStop, delta);
    } else if (req->n_generated() >= rq.max_tokens ||
               (geometry.max_context > 0 && static_cast<int32_t>(req->tokens.size()) >= geometry.max_context)) {
      finish_request(req, FinishReason::kLength, delta);
    }
  }
}

void Engine::Impl::finish_request(ActiveRequest* req, FinishReason reason, OutputDelta* delta) {
  req->finish = reason;
  // Release what the decoder and the matcher held back (a stop string may still complete).
  const StopStringMatcher::Output tail = req->stops.push(req->decoder.finish());
  delta->text += tail.text;
  if (tail.stopped) {
    req->finish = FinishReason::kStop;
  } else {
    delta->text += req->stops.flush();
  }
}

void Engine::Impl::advance_constraint(ActiveRequest* req, int32_t token, OutputDelta* delta) {
  const OutputConstraint& c = req->request.constraint;
  if (!req->matcher) {  // lazy and not yet triggered
    const bool at_start = req->n_generated() == 1;
    if ((c.trigger_at_start_only && !at_start) ||
        std::find(c.trigger_tokens.begin(), c.trigger_tokens.end(), token) == c.trigger_tokens.end()) {
      return;
    }
    req->matcher = std::make_unique<grammar::Matcher>(c.grammar, req->end_ids);
  }
  if (!req->matcher->accept(token)) {
    // Only a trigger token can be refused (a grammar that does not start with it): the mask
    // guarantees every other sampled token. Stop rather than write outside the grammar.
    std::fprintf(stderr, "gemma3: request %s: token %d is not allowed by its grammar; stopping\n",
                 req->request.request_id.c_str(), token);
    finish_request(req, FinishReason::kStop, delta);
    return;
  }
  // Fast-forward, except when logprobs are asked: a forced token has no logits of its own.
  while (!req->finish && !req->request.logprobs) {
    const int32_t room = req->request.max_tokens - req->n_generated();
    if (room <= 0 || req->matcher->must_end()) break;
    const std::vector<int32_t> forced = req->matcher->forced_tokens(static_cast<size_t>(room));
    if (forced.empty()) break;
    for (int32_t f : forced) {
      if (req->finish) break;
      if (!req->matcher->accept(f)) break;  // cannot happen: forced tokens are allowed
      emit_token(req, f, {}, delta);
      std::lock_guard<std::mutex> lock(stats_mu);
      ++stats.forced_tokens_total;
    }
  }
  if (!req->finish && req->matcher->must_end()) finish_request(req, FinishReason::kStop, delta);
}

void Engine::Impl::end_request(ActiveRequest* req, const char* outcome, std::optional<OutputDelta> last) {
  scheduler.remove(req);
  const auto now = EngineClock::now();
  const bool finished = req->finish.has_value();
  {
    std::lock_guard<std::mutex> lock(stats_mu);
    if (finished) {
      ++stats.requests_finished_total;
      latency.request_duration.observe(seconds(now - req->submitted));
    } else {
      ++stats.requests_cancelled_total;
    }
    publish_stats_locked();
  }
  if (last) {
    req->channel->push(std::move(*last));
  } else {
    req->channel->close();
  }
  if (options.log_requests) {
    const double ttft_ms = req->first_token ? seconds(*req->first_token - req->submitted) * 1e3 : -1.0;
    std::fprintf(stderr, "gemma3: request %s: prompt %d, completion %d, cached %d tokens; ttft %.1f ms, total %.1f ms; %s%s\n",
                 req->request.request_id.c_str(), req->n_prompt, req->n_generated(), req->n_cached_prompt, ttft_ms,
                 seconds(now - req->submitted) * 1e3, outcome,
                 req->n_preemptions > 0 ? (" (preempted " + std::to_string(req->n_preemptions) + "x)").c_str() : "");
  }
  active.erase(req->id);  // destroys req
}

void Engine::Impl::fail_all(const char* why) {
  std::vector<ActiveRequest*> all;
  for (auto& [id, r] : active) all.push_back(r.get());
  for (ActiveRequest* r : all) {
    r->finish.reset();
    end_request(r, why);
  }
}

void Engine::Impl::publish_stats_locked() {
  stats.running = static_cast<int32_t>(scheduler.running().size());
  stats.kv_usage_ratio = blocks.usage_ratio();
  stats.prefix_cache_hits_total = scheduler.n_prefix_hit_tokens_total();
  stats.preemptions_total = scheduler.n_preemptions_total();
}

void Engine::Impl::publish_stats() {
  {
    std::lock_guard<std::mutex> lock(stats_mu);
    publish_stats_locked();
  }
  std::lock_guard<std::mutex> lock(mu);
  n_waiting_in_engine = static_cast<int32_t>(scheduler.waiting().size());
}

}  // namespace gemma3
