// RequestChannel: the state one request shares between the engine thread (producer) and one HTTP
// thread (consumer, through RequestHandle). Deltas the consumer has not collected are merged into
// one, so the channel holds at most one pending delta whatever the reader's speed.
// Thread-safe; cost per push/next: one mutex round trip.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "engine/engine.h"

namespace gemma3::detail {

class RequestChannel {
 public:
  explicit RequestChannel(std::string request_id) : request_id_(std::move(request_id)) {}

  // Engine side. push() after a delta with `finish` or after close() is ignored.
  void push(OutputDelta delta);
  // Ends the stream without a finish reason (engine shutdown); next() returns false once drained.
  void close();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

  // Consumer side (see RequestHandle).
  bool next(OutputDelta* out, std::chrono::milliseconds timeout, bool* timed_out);
  void cancel() { cancelled_.store(true, std::memory_order_release); }
  const std::string& request_id() const { return request_id_; }
  // `fn` runs after every push() and at close(), on the engine thread, outside the channel's lock,
  // so an event-driven reader learns there is something to take without a thread blocked in
  // next(). It must be quick and must not call into the channel. nullptr removes it; once
  // set_notify returns, the previous callback is not running and never runs again.
  void set_notify(std::function<void()> fn);

 private:
  void notify();

  const std::string request_id_;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<OutputDelta> pending_;  // guarded by mu_
  bool closed_ = false;                 // guarded by mu_: no more pushes will come
  std::mutex notify_mu_;                // held while notify_ runs, so removal waits for a running call
  std::function<void()> notify_;        // guarded by notify_mu_
};

}  // namespace gemma3::detail
