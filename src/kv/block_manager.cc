#include "kv/block_manager.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace gemma3 {
namespace {

// Internal invariant violated: a scheduler bug, not user input. Abort with a message.
[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "gemma3: block manager invariant violated: %s\n", what);
  std::abort();
}

int32_t ceil_div(int32_t a, int32_t b) { return (a + b - 1) / b; }

uint64_t mix64(uint64_t x) {  // splitmix64 finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

// ---- Pool ----

BlockManager::Pool::Pool(int32_t n_blocks, int32_t block_size)
    : n_blocks_(n_blocks), block_size_(block_size), blocks_(static_cast<size_t>(n_blocks)) {
  free_.reserve(static_cast<size_t>(n_blocks));
  // Hand out low block ids first (stack: the last pushed is popped first).
  for (int32_t b = n_blocks - 1; b >= 0; --b) free_.push_back(b);
}

int32_t BlockManager::Pool::allocate() {
  int32_t b;
  if (!free_.empty()) {
    b = free_.back();
    free_.pop_back();
  } else if (!lru_.empty()) {
    b = lru_.front();
    lru_.pop_front();
    Block& blk = blocks_[static_cast<size_t>(b)];
    auto it = by_hash_.find(blk.hash);
    if (it != by_hash_.end() && it->second == b) by_hash_.erase(it);
    blk.hashed = false;
    blk.tokens.clear();
  } else {
    die("allocate from an exhausted pool");
  }
  Block& blk = blocks_[static_cast<size_t>(b)];
  if (blk.ref != 0) die("allocated block has references");
  blk.ref = 1;
  return b;
}

void BlockManager::Pool::retain(int32_t block) {
  Block& blk = blocks_.at(static_cast<size_t>(block));
  if (blk.ref == 0) {
    if (!blk.hashed) die("retain of a free, unhashed block");
    lru_.erase(blk.lru_pos);
  }
  ++blk.ref;
}

void BlockManager::Pool::release(int32_t block) {
  Block& blk = blocks_.at(static_cast<size_t>(block));
  if (blk.ref <= 0) die("release of an unreferenced block");
  if (--blk.ref > 0) return;
  if (blk.hashed) {
    lru_.push_back(block);
    blk.lru_pos = std::prev(lru_.end());
  } else {
    free_.push_back(block);
  }
}

int32_t BlockManager::Pool::lookup(uint64_t hash, uint64_t parent, std::span<const int32_t> tokens) const {
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return -1;
  const Block& blk = blocks_[static_cast<size_t>(it->second)];
  if (!blk.hashed || blk.parent != parent || !std::equal(tokens.begin(), tokens.end(), blk.tokens.begin(), blk.tokens.end())) {
    return -1;
  }
  return it->second;
}

void BlockManager::Pool::register_hash(int32_t block, uint64_t hash, uint64_t parent,
                                       std::span<const int32_t> tokens) {
  Block& blk = blocks_.at(static_cast<size_t>(block));
  if (blk.hashed || by_hash_.count(hash)) return;  // a twin computed independently keeps the slot
  blk.hashed = true;
  blk.hash = hash;
  blk.parent = parent;
  blk.tokens.assign(tokens.begin(), tokens.end());
  by_hash_.emplace(hash, block);
}

// ---- BlockManager ----

BlockManager::BlockManager(const KvGeometry& geometry, bool enable_prefix_caching)
    : geometry_(geometry),
      caching_(enable_prefix_caching),
      full_(std::max(geometry.n_full_blocks, 0), geometry.block_size),
      sliding_(std::max(geometry.n_sliding_blocks, 0), geometry.block_size) {
  if (geometry_.block_size <= 0) die("block_size must be positive");
}

uint64_t BlockManager::chain_hash(uint64_t parent, std::span<const int32_t> block_tokens) {
  uint64_t h = mix64(parent ^ 0x3c6ef372fe94f82bULL);
  for (int32_t t : block_tokens) h = mix64(h ^ (static_cast<uint64_t>(static_cast<uint32_t>(t)) + 0x9e3779b97f4a7c15ULL));
  return h;
}

int32_t BlockManager::first_live_sliding_block(int32_t n_computed) const {
  const int32_t first_pos = std::max(0, n_computed - geometry_.sliding_window + 1);
  return first_pos / geometry_.block_size;
}

BlockCount BlockManager::min_blocks_for(int32_t n_tokens) const {
  const int32_t bs = geometry_.block_size;
  BlockCount c;
  if (has_full()) c.full = ceil_div(n_tokens, bs);
  // A query's window [p - W + 1, p] spans at most ceil((W - 1) / bs) + 1 blocks.
  if (has_sliding()) c.sliding = std::min(ceil_div(n_tokens, bs), ceil_div(geometry_.sliding_window - 1, bs) + 1);
  return c;
}

bool BlockManager::can_ever_fit(int32_t n_tokens) const {
  const BlockCount c = min_blocks_for(n_tokens);
  return c.full <= full_.n_blocks() && c.sliding <= sliding_.n_blocks();
}

int32_t BlockManager::match_prefix(std::span<const int32_t> tokens) const {
  if (!caching_ || tokens.empty()) return 0;
  const int32_t bs = geometry_.block_size;
  const int32_t max_blocks = (static_cast<int32_t>(tokens.size()) - 1) / bs;
  // hashes[i]: chain hash of logical block i; stop at the first block the full pool lacks (every
  // full block of the prefix must be cached, so nothing longer can work).
  std::vector<uint64_t> hashes;
  std::vector<bool> sliding_cached;
  uint64_t parent = kRootHash;
  for (int32_t i = 0; i < max_blocks; ++i) {
    auto blk = tokens.subspan(static_cast<size_t>(i) * bs, static_cast<size_t>(bs));
    const uint64_t h = chain_hash(parent, blk);
    if (has_full() && full_.lookup(h, parent, blk) < 0) break;
    sliding_cached.push_back(!has_sliding() || sliding_.lookup(h, parent, blk) >= 0);
    hashes.push_back(h);
    parent = h;
  }
  // Longest k whose sliding blocks [first_live(k * bs), k) are all cached. A run of cached
  // sliding blocks ending at k - 1 must reach back to the window start.
  for (int32_t k = static_cast<int32_t>(hashes.size()); k >= 1; --k) {
    if (!has_sliding()) return k * bs;
    bool ok = true;
    for (int32_t i = first_live_sliding_block(k * bs); i < k && ok; ++i) ok = sliding_cached[static_cast<size_t>(i)];
    if (ok) return k * bs;
  }
  return 0;
}

int32_t BlockManager::allocate_prefix(SeqKv* seq, std::span<const int32_t> tokens) {
  if (!seq->full_blocks.empty() || !seq->sliding_blocks.empty() || seq->n_computed != 0) {
    die("allocate_prefix on a sequence that holds blocks");
  }
  const int32_t n = match_prefix(tokens);
  if (n == 0) return 0;
  const int32_t bs = geometry_.block_size;
  const int32_t k = n / bs;
  const int32_t first_live = has_sliding() ? first_live_sliding_block(n) : 0;
  uint64_t parent = kRootHash;
  for (int32_t i = 0; i < k; ++i) {
    auto blk = tokens.subspan(static_cast<size_t>(i) * bs, static_cast<size_t>(bs));
    const uint64_t h = chain_hash(parent, blk);
    if (has_full()) {
      const int32_t b = full_.lookup(h, parent, blk);
      if (b < 0) die("matched full block vanished");
      full_.retain(b);
      seq->full_blocks.push_back(b);
    }
    if (has_sliding()) {
      int32_t b = -1;
      if (i >= first_live) {
        b = sliding_.lookup(h, parent, blk);
        if (b < 0) die("matched sliding block vanished");
        sliding_.retain(b);
      }
      seq->sliding_blocks.push_back(b);
    }
    seq->block_hashes.push_back(h);
    parent = h;
  }
  seq->n_computed = n;
  seq->n_sliding_released = has_sliding() ? first_live : 0;
  return n;
}

BlockCount BlockManager::blocks_needed(const SeqKv& seq, int32_t n_end) const {
  const int32_t bs = geometry_.block_size;
  BlockCount c;
  const int32_t n_logical = ceil_div(n_end, bs);
  if (has_full()) c.full = std::max(0, n_logical - static_cast<int32_t>(seq.full_blocks.size()));
  if (has_sliding()) {
    const int32_t start = std::max(static_cast<int32_t>(seq.sliding_blocks.size()), first_live_sliding_block(seq.n_computed));
    c.sliding = std::max(0, n_logical - start);
  }
  return c;
}

bool BlockManager::can_append(const SeqKv& seq, int32_t n_end) const {
  const BlockCount c = blocks_needed(seq, n_end);
  return c.full <= full_.n_free() && c.sliding <= sliding_.n_free();
}

int32_t BlockManager::max_appendable(const SeqKv& seq, int32_t n_end) const {
  if (can_append(seq, n_end)) return n_end;
  int32_t lo = seq.n_computed, hi = n_end;  // can_append(lo) holds (needs nothing); hi fails
  while (hi - lo > 1) {
    const int32_t mid = lo + (hi - lo) / 2;
    (can_append(seq, mid) ? lo : hi) = mid;
  }
  return lo;
}

void BlockManager::append(SeqKv* seq, int32_t n_end) {
  if (!can_append(*seq, n_end)) die("append without room");
  const int32_t n_logical = ceil_div(n_end, geometry_.block_size);
  if (has_full()) {
    while (static_cast<int32_t>(seq->full_blocks.size()) < n_logical) seq->full_blocks.push_back(full_.allocate());
  }
  if (has_sliding()) {
    const int32_t first_live = first_live_sliding_block(seq->n_computed);
    while (static_cast<int32_t>(seq->sliding_blocks.size()) < n_logical) {
      const bool live = static_cast<int32_t>(seq->sliding_blocks.size()) >= first_live;
      seq->sliding_blocks.push_back(live ? sliding_.allocate() : -1);
    }
  }
}

void BlockManager::commit(SeqKv* seq, std::span<const int32_t> tokens, int32_t n_computed) {
  const int32_t bs = geometry_.block_size;
  if (n_computed < seq->n_computed || static_cast<size_t>(n_computed) > tokens.size()) die("commit out of range");
  if ((has_full() && ceil_div(n_computed, bs) > static_cast<int32_t>(seq->full_blocks.size())) ||
      (has_sliding() && ceil_div(n_computed, bs) > static_cast<int32_t>(seq->sliding_blocks.size()))) {
    die("commit beyond allocated blocks");
  }
  seq->n_computed = n_computed;
  if (caching_) {
    // Register blocks completed by this step, before any sliding release below, so a block that
    // leaves the window in the same step stays findable in the cache.
    const int32_t n_complete = n_computed / bs;
    for (int32_t i = static_cast<int32_t>(seq->block_hashes.size()); i < n_complete; ++i) {
      const uint64_t parent = i == 0 ? kRootHash : seq->block_hashes[static_cast<size_t>(i) - 1];
      auto blk = tokens.subspan(static_cast<size_t>(i) * bs, static_cast<size_t>(bs));
      const uint64_t h = chain_hash(parent, blk);
      seq->block_hashes.push_back(h);
      if (has_full()) full_.register_hash(seq->full_blocks[static_cast<size_t>(i)], h, parent, blk);
      if (has_sliding() && seq->sliding_blocks[static_cast<size_t>(i)] >= 0) {
        sliding_.register_hash(seq->sliding_blocks[static_cast<size_t>(i)], h, parent, blk);
      }
    }
  }
  if (has_sliding()) {
    const int32_t first_live = first_live_sliding_block(n_computed);
    for (int32_t i = seq->n_sliding_released; i < first_live; ++i) {
      int32_t& b = seq->sliding_blocks[static_cast<size_t>(i)];
      if (b >= 0) sliding_.release(b);
      b = -1;
    }
    seq->n_sliding_released = std::max(seq->n_sliding_released, first_live);
  }
}

void BlockManager::deallocate(SeqKv* seq) {
  // Release from the last block to the first so the LRU evicts a sequence's tail before its head
  // (a later request is more likely to share the head).
  for (auto it = seq->full_blocks.rbegin(); it != seq->full_blocks.rend(); ++it) full_.release(*it);
  for (auto it = seq->sliding_blocks.rbegin(); it != seq->sliding_blocks.rend(); ++it) {
    if (*it >= 0) sliding_.release(*it);
  }
  *seq = SeqKv{};
}

double BlockManager::usage_ratio() const {
  double r = 0.0;
  if (full_.n_blocks() > 0) r = std::max(r, static_cast<double>(full_.n_used()) / full_.n_blocks());
  if (sliding_.n_blocks() > 0) r = std::max(r, static_cast<double>(sliding_.n_used()) / sliding_.n_blocks());
  return r;
}

}  // namespace gemma3
