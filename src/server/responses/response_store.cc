#include "server/responses/response_store.h"

namespace gemma3 {

ResponseStore::ResponseStore(ResponseStoreLimits limits, std::function<Clock::time_point()> now)
    : limits_(limits), now_(std::move(now)) {}

void ResponseStore::remove_locked(List::iterator it) {
  bytes_ -= it->value->bytes;
  index_.erase(it->value->id);
  lru_.erase(it);
}

// A full scan, O(count): use order is not storage order, so the expired entries can be anywhere.
// Runs on put only; get and erase check their one entry.
void ResponseStore::evict_expired_locked(Clock::time_point now) {
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (now - it->stored >= limits_.ttl) remove_locked(it);
    it = next;
  }
}

bool ResponseStore::put(std::string id, nlohmann::ordered_json response, nlohmann::ordered_json conversation) {
  auto value = std::make_shared<StoredResponse>();
  value->bytes = id.size() + response.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).size() +
                 conversation.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).size();
  value->id = std::move(id);
  value->response = std::move(response);
  value->conversation = std::move(conversation);
  if (limits_.max_count == 0 || value->bytes > limits_.max_bytes) return false;

  const Clock::time_point now = now_();
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = index_.find(value->id); it != index_.end()) remove_locked(it->second);
  evict_expired_locked(now);
  while (!lru_.empty() && (lru_.size() + 1 > limits_.max_count || bytes_ + value->bytes > limits_.max_bytes)) {
    remove_locked(std::prev(lru_.end()));
  }
  bytes_ += value->bytes;
  lru_.push_front(Entry{value, now});
  index_[value->id] = lru_.begin();
  return true;
}

std::shared_ptr<const StoredResponse> ResponseStore::get(const std::string& id) {
  const Clock::time_point now = now_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(id);
  if (it == index_.end()) return nullptr;
  if (now - it->second->stored >= limits_.ttl) {
    remove_locked(it->second);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

bool ResponseStore::erase(const std::string& id) {
  const Clock::time_point now = now_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(id);
  if (it == index_.end()) return false;
  const bool live = now - it->second->stored < limits_.ttl;
  remove_locked(it->second);
  return live;
}

size_t ResponseStore::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lru_.size();
}

size_t ResponseStore::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

}  // namespace gemma3
