#include "engine/request_channel.h"

#include <iterator>

namespace gemma3 {
namespace detail {

void RequestChannel::push(OutputDelta delta) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    if (delta.finish) closed_ = true;
    if (!pending_) {
      pending_ = std::move(delta);
    } else {
      OutputDelta& p = *pending_;
      p.text += delta.text;
      p.logprobs.insert(p.logprobs.end(), std::make_move_iterator(delta.logprobs.begin()),
                        std::make_move_iterator(delta.logprobs.end()));
      p.finish = delta.finish;
      p.prompt_tokens = delta.prompt_tokens;
      p.completion_tokens = delta.completion_tokens;
      p.cached_prompt_tokens = delta.cached_prompt_tokens;
    }
  }
  cv_.notify_all();
  notify();
}

void RequestChannel::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
  notify();
}

void RequestChannel::set_notify(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(notify_mu_);
  notify_ = std::move(fn);
}

void RequestChannel::notify() {
  std::lock_guard<std::mutex> lock(notify_mu_);
  if (notify_) notify_();
}

bool RequestChannel::next(OutputDelta* out, std::chrono::milliseconds timeout, bool* timed_out) {
  std::unique_lock<std::mutex> lock(mu_);
  const bool ready = cv_.wait_for(lock, timeout, [&] { return pending_.has_value() || closed_; });
  if (timed_out) *timed_out = !ready;
  if (!ready || !pending_) return false;
  *out = std::move(*pending_);
  pending_.reset();
  return true;
}

}  // namespace detail

RequestHandle::RequestHandle(std::shared_ptr<detail::RequestChannel> channel) : channel_(std::move(channel)) {}
RequestHandle::~RequestHandle() {
  channel_->set_notify(nullptr);
  channel_->cancel();
}

bool RequestHandle::next(OutputDelta* out, std::chrono::milliseconds timeout, bool* timed_out) {
  return channel_->next(out, timeout, timed_out);
}
void RequestHandle::cancel() { channel_->cancel(); }
void RequestHandle::set_notify(std::function<void()> fn) { channel_->set_notify(std::move(fn)); }
const std::string& RequestHandle::request_id() const { return channel_->request_id(); }

}  // namespace gemma3
