// Vocab: the id <-> piece table of a tokenizer (262,144 entries for Gemma 3). Pieces live in one
// arena string; lookup by piece is an open-addressing hash table whose slots hold the piece's
// place in the arena, so a lookup touches one slot and the piece text (two cache lines), which
// matters when loading checks 1.5 M merge pieces. About 40 bytes per token plus the text; loading
// does no per-token allocation.
// Not thread-safe to build; const methods may be called from any number of threads.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gemma3 {

class Vocab {
 public:
  // Hints for the number of tokens and total piece bytes; avoids regrowth while loading.
  void reserve(size_t n_tokens, size_t n_bytes);

  // Maps `id` <-> `piece`. Returns false (and changes nothing) when `id` < 0, the id already has a
  // piece, or the piece already has an id.
  bool add(int32_t id, std::string_view piece);

  std::optional<int32_t> find(std::string_view piece) const;

  // Batched lookups (loading resolves 1.5 M merge pieces): hash many pieces, prefetch their slots,
  // then their text, then find; the cache misses of independent lookups then overlap.
  // A multiply-xor hash over 8-byte words: pieces are short (7 bytes on average for Gemma), so
  // this is a few multiplies where std::hash runs a byte loop; also used for the 1.5 M lookups
  // of loading.
  static uint32_t hash(std::string_view piece) {
    const char* p = piece.data();
    size_t n = piece.size();
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xC2B2AE3D27D4EB4FULL);
    for (; n >= 8; p += 8, n -= 8) h = mix(h, load64(p));
    if (n >= 4) {  // two overlapping 4-byte loads cover 4..7 bytes
      h = mix(h, load32(p) | (static_cast<uint64_t>(load32(p + n - 4)) << 32));
    } else if (n > 0) {  // 1..3 bytes: first, middle and last cover them all
      const auto b = [&](size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(p[i])); };
      h = mix(h, b(0) | (b(n / 2) << 8) | (b(n - 1) << 16));
    }
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 29;
    return static_cast<uint32_t>(h);
  }
  void prefetch_slot(uint32_t hash) const { __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]); }
  void prefetch_piece(uint32_t hash) const {
    __builtin_prefetch(arena_.data() + slots_[hash & (slots_.size() - 1)].offset);
  }
  std::optional<int32_t> find(std::string_view piece, uint32_t hash) const;
  bool has_id(int32_t id) const { return id >= 0 && id < id_limit() && spans_[id].len != kNoPiece; }
  std::string_view piece(int32_t id) const {  // "" when the id has no piece
    return has_id(id) ? std::string_view(arena_).substr(spans_[id].offset, spans_[id].len) : std::string_view();
  }
  int32_t id_limit() const { return static_cast<int32_t>(spans_.size()); }  // max id + 1
  size_t size() const { return n_tokens_; }

 private:
  static uint64_t load64(const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  static uint64_t load32(const char* p) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    return w;
  }
  static uint64_t mix(uint64_t h, uint64_t w) {
    h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
    return h ^ (h >> 32);
  }
  static constexpr uint32_t kNoPiece = UINT32_MAX;
  struct Span {
    uint32_t offset = 0;
    uint32_t len = kNoPiece;
  };
  struct Slot {
    uint32_t hash = 0;
    int32_t id = -1;  // -1: empty
    uint32_t offset = 0;
    uint32_t len = 0;
  };
  size_t find_slot(std::string_view piece, uint32_t hash) const;  // the match, or the empty slot
  void grow();

  std::string arena_;         // all pieces, concatenated
  std::vector<Span> spans_;   // [id_limit] where each piece lies in arena_
  std::vector<Slot> slots_;   // [power of two] hash index, load <= 1/2
  size_t n_tokens_ = 0;
};

}  // namespace gemma3
