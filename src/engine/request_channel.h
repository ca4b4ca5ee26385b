// RequestChannel: the state one request shares between the engine thread (producer) and one HTTP
// thread (consumer, through RequestHandle). Deltas the consumer has not collected are merged into
// one, so the channel holds at most one pending delta whatever the reader's speed.
// Thread-safe; cost per push/next: one mutex round trip.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
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

 private:
  const std::string request_id_;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<OutputDelta> pending_;  // guarded by mu_
  bool closed_ = false;                 // guarded by mu_: no more pushes will come
};

}  // namespace gemma3::detail
