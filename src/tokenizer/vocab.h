// Vocab: the id <-> piece table of a tokenizer (262,144 entries for Gemma 3). Pieces live in one
// arena string; lookup by piece is an open-addressing hash table whose 16-byte slots hold the
// piece's first 7 bytes and its length inline, so a piece of up to 7 bytes (most merge parts) is
// found and checked in one cache line, and a longer one also reads its text in the arena. That
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
  bool add(int32_t id, std::string_view piece) { return add(id, piece, hash(piece)); }
  bool add(int32_t id, std::string_view piece, uint32_t hash);  // hash == Vocab::hash(piece)

  std::optional<int32_t> find(std::string_view piece) const { return find(piece, hash(piece)); }

  // Batched lookups (loading resolves 1.5 M merge pieces): hash many pieces, prefetch their slots,
  // then the text of the long ones, then find; the cache misses of independent lookups overlap.
  //
  // The hash: multiply-xor over 8-byte words. Pieces are short (9 bytes on average for Gemma),
  // so this is a few multiplies where std::hash runs a byte loop.
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
  void prefetch_piece(std::string_view piece, uint32_t hash) const {  // only pieces not inline
    if (piece.size() > kInline) __builtin_prefetch(arena_.data() + slots_[hash & (slots_.size() - 1)].offset);
  }
  std::optional<int32_t> find(std::string_view piece, uint32_t hash) const {
    if (slots_.empty()) return std::nullopt;
    const Slot& s = slots_[find_slot(piece, hash)];
    if (s.id < 0) return std::nullopt;
    return s.id;
  }
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
  static constexpr size_t kInline = 7;  // piece bytes held in a slot
  struct Slot {
    uint64_t head = 0;  // head_of(piece)
    int32_t id = -1;    // -1: empty
    uint32_t offset = 0;
  };
  // The first kInline bytes of `piece`, zero-padded, and min(size, 255) in the top byte: equal heads
  // mean equal pieces when size <= kInline; longer pieces also compare the rest.
  static uint64_t head_of(std::string_view piece) {
    const char* p = piece.data();
    const size_t n = piece.size();
    uint64_t bytes = 0;
    if (n > kInline) {
      bytes = load64(p) & 0x00FFFFFFFFFFFFFFULL;
    } else if (n >= 4) {  // two overlapping loads, each byte at its place
      bytes = load32(p) | (load32(p + n - 4) << (8 * (n - 4)));
    } else if (n > 0) {
      const auto b = [&](size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i); };
      bytes = b(0) | b(n / 2) | b(n - 1);
    }
    return bytes | (static_cast<uint64_t>(n < 255 ? n : 255) << 56);
  }
  // Whether the piece at `s` equals `piece`, given equal heads.
  bool same_rest(const Slot& s, std::string_view piece) const {
    const size_t n = piece.size();
    if (n <= kInline) return true;
    if (n >= 255 && spans_[s.id].len != n) return false;
    const char* a = arena_.data() + s.offset;
    if (n <= 15) return load64(a + n - 8) == load64(piece.data() + n - 8);  // bytes 7..n-1 lie in [n-8, n)
    return std::memcmp(a + kInline, piece.data() + kInline, n - kInline) == 0;
  }
  size_t find_slot(std::string_view piece, uint32_t hash) const {  // the match, or the empty slot
    const uint64_t head = head_of(piece);
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.id < 0 || (s.head == head && same_rest(s, piece))) return i;
    }
  }
  void grow();

  std::string arena_;         // all pieces, concatenated
  std::vector<Span> spans_;   // [id_limit] where each piece lies in arena_
  std::vector<Slot> slots_;   // [power of two] hash index, load <= 1/2
  size_t n_tokens_ = 0;
};

}  // namespace gemma3
