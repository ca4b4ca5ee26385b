// MergeResolver: turns the merge texts of tokenizer.json, as the scan reads them, into a
// MergeTable, on the calling thread and one helper thread. Resolving a merge is three vocab
// lookups (left, right, left + right), about two thirds of the merge work of loading Gemma 3's
// 514,906 merges; the scan that reads the texts is the other third. The texts go out in chunks of
// 4,096: the helper takes them from a queue, and the calling thread takes one itself whenever two
// are waiting, so the load never waits on a helper that the OS does not schedule (the machine may
// be busy), and on an idle machine the two share the work.
//
// Result: the same table as one MergeTable::add over all merges in order (a repeated pair keeps
// the higher, i.e. later, rank), or the error of the lowest-ranked merge that fails, whichever
// thread resolved it. Small merge lists (tests, small tokenizers) use no helper.
//
// Thread-safety: push/finish from one thread only. `vocab` must be complete and unchanged, and the
// pushed texts must stay valid, until finish() returns or the resolver is destroyed.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "tokenizer/merge_table.h"
#include "tokenizer/vocab.h"
#include "util/result.h"

namespace gemma3 {

class MergeResolver {
 public:
  // `n_expected`: about how many merges will be pushed (sizes the tables, decides on the helper).
  MergeResolver(const Vocab& vocab, size_t n_expected);
  ~MergeResolver();  // stops and joins the helper
  MergeResolver(const MergeResolver&) = delete;
  MergeResolver& operator=(const MergeResolver&) = delete;

  // Queues the merge of rank n_pushed().
  void push(std::string_view left, std::string_view right) {
    current_->texts.emplace_back(left, right);
    ++n_pushed_;
    if (current_->texts.size() == kChunk) submit();
  }
  uint32_t n_pushed() const { return n_pushed_; }

  // Resolves everything pushed and returns the table (added, not yet built), or the error of the
  // lowest-ranked merge that is not in the vocab. Call once.
  Result<MergeTable> finish();

 private:
  static constexpr size_t kChunk = 4096;                 // 64 KB of texts
  static constexpr size_t kMinMergesForHelper = 32768;  // below this a thread costs more than it saves
  struct Chunk {
    uint32_t first_rank = 0;
    std::vector<MergeTable::MergeText> texts;  // [<= kChunk]
  };
  void submit();                                // hands current_ on and starts a new chunk
  void resolve(Chunk& chunk, MergeTable& table);  // any thread
  void helper_loop();
  std::unique_ptr<Chunk> new_chunk();           // a spare one or a new one; caller holds mu_

  const Vocab& vocab_;
  MergeTable own_;                   // chunks resolved on the calling thread
  std::unique_ptr<Chunk> current_;   // being filled by push
  uint32_t n_pushed_ = 0;

  MergeTable helper_table_;          // chunks resolved by the helper; touched only by it until joined
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Chunk>> ready_;    // guarded by mu_: filled, not yet taken
  std::vector<std::unique_ptr<Chunk>> spare_;   // guarded by mu_: resolved, for reuse
  bool closing_ = false;                        // guarded by mu_
  std::optional<uint32_t> error_rank_;          // guarded by mu_: first rank of the lowest failing chunk
  std::optional<Error> error_;                  // guarded by mu_: its error
  std::thread helper_;                          // not joinable when there is no helper
};

}  // namespace gemma3
