// ResponseStore: the responses kept for GET /v1/responses/{id} and previous_response_id (OpenAI's
// `store`, on by default). Each entry holds the response object and the conversation as chat
// messages (stored history + this input + this output), so a continuation renders a prompt that
// extends the previous one and the engine's prefix cache serves its KV.
//
// Bounded three ways: count, bytes (of the serialised JSON) and age; least recently used first
// out. Expired entries read as absent. Thread-safe: one mutex, held for map and list updates only
// (entries are immutable and shared, so readers never copy or serialise under the lock).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace gemma3 {

struct StoredResponse {
  std::string id;
  nlohmann::ordered_json response;       // what GET returns
  nlohmann::ordered_json conversation;   // chat messages: history + input + output (no instructions)
  size_t bytes = 0;
};

struct ResponseStoreLimits {
  size_t max_count = 1000;                   // serve --responses-max
  size_t max_bytes = size_t{256} << 20;      // serve --responses-max-bytes
  std::chrono::seconds ttl{3600};            // serve --responses-ttl
};

class ResponseStore {
 public:
  using Clock = std::chrono::steady_clock;
  // `now` lets tests move time; by default the steady clock.
  explicit ResponseStore(ResponseStoreLimits limits, std::function<Clock::time_point()> now = Clock::now);

  // Keeps the entry (replacing one with the same id), evicting the least recently used ones until
  // the limits hold. False (nothing kept) when the entry alone is over max_bytes or max_count is 0.
  bool put(std::string id, nlohmann::ordered_json response, nlohmann::ordered_json conversation);
  // The entry, marked most recently used; null when unknown or expired.
  std::shared_ptr<const StoredResponse> get(const std::string& id);
  // True when an entry (not expired) was removed.
  bool erase(const std::string& id);

  size_t size() const;
  size_t bytes() const;
  const ResponseStoreLimits& limits() const { return limits_; }

 private:
  struct Entry {
    std::shared_ptr<const StoredResponse> value;
    Clock::time_point stored;
  };
  using List = std::list<Entry>;   // most recently used first

  void remove_locked(List::iterator it);
  void evict_expired_locked(Clock::time_point now);

  ResponseStoreLimits limits_;
  std::function<Clock::time_point()> now_;
  mutable std::mutex mutex_;
  List lru_;
  std::unordered_map<std::string, List::iterator> index_;
  size_t bytes_ = 0;
};

}  // namespace gemma3
