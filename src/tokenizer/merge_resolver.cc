#include "tokenizer/merge_resolver.h"

#include <system_error>

namespace gemma3 {

MergeResolver::MergeResolver(const Vocab& vocab, size_t n_expected) : vocab_(vocab) {
  current_ = std::make_unique<Chunk>();
  current_->texts.reserve(kChunk);
  if (n_expected < kMinMergesForHelper) {
    own_.reserve(n_expected);
    return;
  }
  own_.reserve(n_expected / 2);
  helper_table_.reserve(n_expected / 2);
  try {
    helper_ = std::thread([this] { helper_loop(); });
  } catch (const std::system_error&) {
    // No thread to be had: everything is resolved on the calling thread instead.
  }
}

MergeResolver::~MergeResolver() {
  if (!helper_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ready_.clear();  // finish() was not reached (an error): the rest is not needed
    closing_ = true;
  }
  cv_.notify_all();
  helper_.join();
}

std::unique_ptr<MergeResolver::Chunk> MergeResolver::new_chunk() {
  if (spare_.empty()) {
    auto chunk = std::make_unique<Chunk>();
    chunk->texts.reserve(kChunk);
    return chunk;
  }
  auto chunk = std::move(spare_.back());
  spare_.pop_back();
  return chunk;
}

void MergeResolver::resolve(Chunk& chunk, MergeTable& table) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_rank_ && *error_rank_ < chunk.first_rank) return;  // a lower merge already failed
  }
  Status status = table.add(chunk.texts, chunk.first_rank, vocab_);
  if (status) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (!error_rank_ || chunk.first_rank < *error_rank_) {
    error_rank_ = chunk.first_rank;
    error_ = std::move(status).take_error();
  }
}

void MergeResolver::helper_loop() {
  for (;;) {
    std::unique_ptr<Chunk> chunk;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return closing_ || !ready_.empty(); });
      if (ready_.empty()) return;  // closing, nothing left
      chunk = std::move(ready_.front());
      ready_.pop_front();
    }
    resolve(*chunk, helper_table_);
    chunk->texts.clear();
    std::lock_guard<std::mutex> lock(mu_);
    spare_.push_back(std::move(chunk));
  }
}

void MergeResolver::submit() {
  if (!helper_.joinable()) {
    resolve(*current_, own_);
    current_->texts.clear();
    current_->first_rank = n_pushed_;
    return;
  }
  std::unique_ptr<Chunk> mine;  // taken back when the helper is behind
  {
    std::lock_guard<std::mutex> lock(mu_);
    ready_.push_back(std::move(current_));
    if (ready_.size() > 1) {
      mine = std::move(ready_.back());  // the one just filled: its texts are still in cache
      ready_.pop_back();
    }
    current_ = new_chunk();
  }
  current_->first_rank = n_pushed_;
  cv_.notify_one();
  if (mine) {
    resolve(*mine, own_);
    mine->texts.clear();
    std::lock_guard<std::mutex> lock(mu_);
    spare_.push_back(std::move(mine));
  }
}

Result<MergeTable> MergeResolver::finish() {
  if (!current_->texts.empty()) resolve(*current_, own_);
  current_->texts.clear();
  if (helper_.joinable()) {
    for (;;) {  // help with what is still queued, then let the helper go
      std::unique_ptr<Chunk> chunk;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (ready_.empty()) {
          closing_ = true;
          break;
        }
        chunk = std::move(ready_.back());
        ready_.pop_back();
      }
      resolve(*chunk, own_);
    }
    cv_.notify_all();
    helper_.join();
  }
  // Joined (or never started): no other thread touches the state below.
  if (error_) return std::move(*error_);
  own_.absorb(std::move(helper_table_));
  return std::move(own_);
}

}  // namespace gemma3
