#include "tokenizer/vocab.h"

#include <bit>

namespace gemma3 {

void Vocab::reserve(size_t n_tokens, size_t n_bytes) {
  arena_.reserve(n_bytes);
  spans_.reserve(n_tokens);
  if (slots_.size() < 2 * n_tokens) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(std::bit_ceil(2 * n_tokens), Slot{});
    for (const Slot& s : old) {
      if (s.id >= 0) slots_[find_slot(piece(s.id), s.hash)] = s;
    }
  }
}

void Vocab::grow() { reserve(std::max<size_t>(1024, slots_.size()), arena_.size()); }

size_t Vocab::find_slot(std::string_view p, uint32_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id < 0 || (s.hash == hash && s.len == p.size() && arena_.compare(s.offset, s.len, p) == 0)) return i;
  }
}

bool Vocab::add(int32_t id, std::string_view p) {
  if (id < 0 || has_id(id)) return false;
  if (2 * (n_tokens_ + 1) > slots_.size()) grow();
  const uint32_t hash = Vocab::hash(p);
  const size_t slot = find_slot(p, hash);
  if (slots_[slot].id >= 0) return false;  // piece already has an id
  if (static_cast<size_t>(id) >= spans_.size()) spans_.resize(static_cast<size_t>(id) + 1);
  spans_[id] = Span{static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(p.size())};
  arena_.append(p);
  slots_[slot] = Slot{hash, id, spans_[id].offset, spans_[id].len};
  ++n_tokens_;
  return true;
}

std::optional<int32_t> Vocab::find(std::string_view p) const { return find(p, hash(p)); }

std::optional<int32_t> Vocab::find(std::string_view p, uint32_t hash) const {
  if (slots_.empty()) return std::nullopt;
  const Slot& s = slots_[find_slot(p, hash)];
  if (s.id < 0) return std::nullopt;
  return s.id;
}

}  // namespace gemma3
