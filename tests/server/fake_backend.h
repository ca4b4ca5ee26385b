// A scripted ServingBackend for the server's tests: no model, deterministic output. Each stream
// emits max_tokens tokens "t0 ", "t1 ", ... (one per next() call, after `token_delay`), then
// finishes with "length"; a prompt whose last id is kStopMarker finishes after 2 tokens with
// "stop". Counts live streams, so tests can check that cancelled / abandoned requests are freed.
// It does not notify (TokenStream::set_notify), so the server polls it.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "server/backend.h"

namespace gemma3::fake {

inline constexpr int32_t kStopMarker = 99;

struct FakeState {
  std::atomic<int> live{0};          // streams not yet destroyed
  std::atomic<int> cancelled{0};
  std::atomic<int> submitted{0};
  std::atomic<bool> queue_full{false};
  std::atomic<bool> end_early{false};   // streams end without a finish (engine shutting down)
  std::chrono::milliseconds token_delay{0};
  std::mutex mu;
  std::vector<GenerationRequest> requests;   // everything submitted
};

class FakeStream final : public TokenStream {
 public:
  FakeStream(FakeState& state, GenerationRequest request)
      : state_(state), request_(std::move(request)), ready_at_(std::chrono::steady_clock::now() + state.token_delay) {
    ++state_.live;
  }
  ~FakeStream() override { --state_.live; }

  bool next(OutputDelta* out, std::chrono::milliseconds timeout, bool* timed_out) override {
    *timed_out = false;
    if (cancelled_ || finished_) return false;
    if (state_.token_delay.count() > 0) {
      // Token k is ready token_delay after token k-1 was taken (or after submission), whether the
      // reader blocks for it or polls with a zero timeout.
      const auto now = std::chrono::steady_clock::now();
      if (ready_at_ - now > timeout) {
        std::this_thread::sleep_for(timeout);
        *timed_out = true;
        return false;
      }
      std::this_thread::sleep_until(ready_at_);
      ready_at_ = std::max(ready_at_, now) + state_.token_delay;
    }
    if (state_.end_early && produced_ == 1) return false;
    const bool stop = !request_.prompt.empty() && request_.prompt.back() == kStopMarker;
    const int32_t limit = stop ? std::min(2, request_.max_tokens) : request_.max_tokens;
    *out = OutputDelta{};
    std::string text = "t" + std::to_string(produced_) + " ";
    out->text = text;
    if (request_.logprobs) {
      TokenLogprobInfo info;
      info.id = 100 + produced_;
      info.token = text;
      info.bytes = text;
      info.logprob = -0.25f * static_cast<float>(produced_ + 1);
      for (int32_t k = 0; k < request_.top_logprobs; ++k) {
        info.top.push_back({"alt" + std::to_string(k), "alt" + std::to_string(k), -1.0f - static_cast<float>(k)});
      }
      out->logprobs.push_back(std::move(info));
    }
    ++produced_;
    out->prompt_tokens = static_cast<int32_t>(request_.prompt.size());
    out->completion_tokens = produced_;
    out->cached_prompt_tokens = 1;
    if (produced_ >= limit) {
      out->finish = stop ? FinishReason::kStop : FinishReason::kLength;
      finished_ = true;
    }
    return true;
  }

  void cancel() override {
    if (!cancelled_.exchange(true)) ++state_.cancelled;
  }

 private:
  FakeState& state_;
  GenerationRequest request_;
  int32_t produced_ = 0;
  bool finished_ = false;
  std::chrono::steady_clock::time_point ready_at_;
  std::atomic<bool> cancelled_{false};
};

class FakeBackend final : public ServingBackend {
 public:
  explicit FakeBackend(FakeState& state) : state_(state) {
    model_.id = "fake-model";
    model_.context_length = 64;
    model_.vocab_size = 1000;
    model_.created = 1700000000;
  }

  const ModelInfo& model() const override { return model_; }

  // BOS, then one token per character of each message's string content.
  Result<std::vector<int32_t>> chat_prompt(const nlohmann::json& messages) const override {
    std::vector<int32_t> ids = {2};
    for (const auto& m : messages) {
      if (!m.is_object() || !m.contains("content") || !m["content"].is_string()) {
        return make_error("messages[].content must be a string");
      }
      for (char c : m["content"].get<std::string>()) ids.push_back(static_cast<unsigned char>(c));
    }
    return ids;
  }

  std::vector<int32_t> text_prompt(const std::string& text) const override {
    std::vector<int32_t> ids = {2};
    for (char c : text) ids.push_back(static_cast<unsigned char>(c));
    return ids;
  }

  Status validate_sampling(const SamplingParams&) const override { return ok_status(); }

  std::variant<std::unique_ptr<TokenStream>, SubmitError> submit(GenerationRequest request) override {
    if (state_.queue_full) return SubmitError{SubmitErrorKind::kQueueFull, "4 requests waiting"};
    ++state_.submitted;
    {
      std::lock_guard<std::mutex> lock(state_.mu);
      state_.requests.push_back(request);
    }
    return std::make_unique<FakeStream>(state_, std::move(request));
  }

  std::string metrics_prometheus() const override {
    return "gemma3_requests_running " + std::to_string(state_.live.load()) + "\n";
  }

 private:
  FakeState& state_;
  ModelInfo model_;
};

}  // namespace gemma3::fake
