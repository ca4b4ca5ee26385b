// BlockManager: the paged KV cache's bookkeeping (which physical block holds which positions of
// which sequence). It knows nothing about the model: the model only sees the block tables.
//
// Two pools, as in KvGeometry. The full pool keeps every position of a sequence. The sliding pool
// keeps only the blocks some future query can still read: once positions < n are computed, the
// next query is at >= n and reads keys >= n - W + 1, so a block whose last position is below
// n - W + 1 goes back to the pool (its table entry becomes -1).
//
// Prefix caching: every complete block gets a hash chained over all tokens up to its end (the KV of
// a block depends on every earlier token). Blocks are reference counted; an unreferenced block that
// has a hash stays cached (LRU) until an allocation needs it. A cached prefix of L tokens is
// reusable only if the full-pool blocks of [0, L) AND the sliding-pool blocks covering
// [L - W + 1, L) are all still cached (the sliding layers of the next query need those keys).
//
// Protocol per sequence (the scheduler owns one SeqKv per sequence):
//   allocate_prefix (on admission, optional) -> { can_append / append -> forward pass -> commit }*
//   -> deallocate (finish, cancel or preemption).
// Not thread-safe: the engine thread is the only user. All operations cost O(blocks touched).
#pragma once

#include <cstdint>
#include <list>
#include <span>
#include <unordered_map>
#include <vector>

#include "kv/batch.h"

namespace gemma3 {

// One sequence's KV state. Invariant: positions < n_computed have their KV written in the blocks
// named by the tables; full_blocks.size() and sliding_blocks.size() cover every allocated position.
struct SeqKv {
  std::vector<int32_t> full_blocks;     // physical block per logical block (pos / block_size)
  std::vector<int32_t> sliding_blocks;  // same for the sliding pool; -1 once released
  std::vector<uint64_t> block_hashes;   // chain hash of each complete logical block seen by commit
  int32_t n_computed = 0;               // positions whose KV is in the cache
  int32_t n_sliding_released = 0;      // logical sliding blocks below this index are all -1
};

struct BlockCount {
  int32_t full = 0;
  int32_t sliding = 0;
};

class BlockManager {
 public:
  BlockManager(const KvGeometry& geometry, bool enable_prefix_caching);

  const KvGeometry& geometry() const { return geometry_; }
  bool has_full() const { return geometry_.n_full_blocks > 0; }
  bool has_sliding() const { return geometry_.n_sliding_blocks > 0 && geometry_.sliding_window > 0; }

  // Blocks one sequence of n_tokens positions can need at once when it runs alone, one token per
  // step at worst. A request above the pool sizes can never run.
  BlockCount min_blocks_for(int32_t n_tokens) const;
  bool can_ever_fit(int32_t n_tokens) const;

  // Length of the longest reusable cached prefix of `tokens` (a multiple of block_size, and
  // < tokens.size() so the last token is always computed); 0 when none or caching is off.
  int32_t match_prefix(std::span<const int32_t> tokens) const;
  // Attaches that prefix's cached blocks to `seq` (which must hold nothing) and sets
  // seq->n_computed to its length, which it returns.
  int32_t allocate_prefix(SeqKv* seq, std::span<const int32_t> tokens);

  // New blocks `seq` needs to hold positions < n_end (n_end >= seq.n_computed).
  BlockCount blocks_needed(const SeqKv& seq, int32_t n_end) const;
  bool can_append(const SeqKv& seq, int32_t n_end) const;
  // The largest n in [seq.n_computed, n_end] with can_append(seq, n).
  int32_t max_appendable(const SeqKv& seq, int32_t n_end) const;
  // Allocates the blocks for positions < n_end. Precondition: can_append(seq, n_end).
  void append(SeqKv* seq, int32_t n_end);
  // After the forward pass wrote the KV of positions < n_computed (tokens holds at least those
  // tokens): registers newly complete blocks in the prefix cache, releases sliding blocks no future
  // query reads, and sets seq->n_computed.
  void commit(SeqKv* seq, std::span<const int32_t> tokens, int32_t n_computed);
  // Drops every block reference of `seq` and resets it (cached blocks stay cached, unreferenced).
  void deallocate(SeqKv* seq);

  int32_t n_free_full() const { return full_.n_free(); }        // includes evictable cached blocks
  int32_t n_free_sliding() const { return sliding_.n_free(); }
  int32_t n_used_full() const { return full_.n_used(); }        // blocks with a reference
  int32_t n_used_sliding() const { return sliding_.n_used(); }
  int32_t n_cached_full() const { return full_.n_cached(); }     // unreferenced, hashed, evictable
  int32_t n_cached_sliding() const { return sliding_.n_cached(); }
  // Referenced blocks / total, the larger of the two pools (0 when a pool is empty).
  double usage_ratio() const;

  // Chain hash of one block given its predecessor's (kRootHash for block 0). Exposed for tests.
  static constexpr uint64_t kRootHash = 0x6a09e667f3bcc908ULL;
  static uint64_t chain_hash(uint64_t parent, std::span<const int32_t> block_tokens);

 private:
  // One pool of interchangeable blocks with reference counts and a hash -> block index.
  class Pool {
   public:
    Pool(int32_t n_blocks, int32_t block_size);
    int32_t n_free() const { return static_cast<int32_t>(free_.size() + lru_.size()); }
    int32_t n_cached() const { return static_cast<int32_t>(lru_.size()); }
    int32_t n_used() const { return n_blocks_ - n_free(); }
    int32_t n_blocks() const { return n_blocks_; }
    int32_t allocate();           // ref = 1; evicts the least recently used cached block if needed
    void retain(int32_t block);   // ref + 1 (a cached block leaves the LRU)
    void release(int32_t block);  // ref - 1; at 0 a hashed block becomes cached, else free
    // The block cached under `hash` whose parent hash and tokens match, or -1.
    int32_t lookup(uint64_t hash, uint64_t parent, std::span<const int32_t> tokens) const;
    // Records `block` under `hash` unless another block already is.
    void register_hash(int32_t block, uint64_t hash, uint64_t parent, std::span<const int32_t> tokens);

   private:
    struct Block {
      int32_t ref = 0;
      bool hashed = false;
      uint64_t hash = 0, parent = 0;
      std::vector<int32_t> tokens;               // (block_size,) when hashed, for exact matching
      std::list<int32_t>::iterator lru_pos;      // valid while ref == 0 && hashed
    };
    int32_t n_blocks_, block_size_;
    std::vector<Block> blocks_;
    std::vector<int32_t> free_;        // unreferenced, unhashed blocks (stack)
    std::list<int32_t> lru_;           // unreferenced, hashed blocks; front = least recently used
    std::unordered_map<uint64_t, int32_t> by_hash_;
  };

  // First logical sliding block a query at position >= n_computed can read.
  int32_t first_live_sliding_block(int32_t n_computed) const;

  KvGeometry geometry_;
  bool caching_;
  Pool full_, sliding_;
};

}  // namespace gemma3
