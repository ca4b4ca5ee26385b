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
      if (s.id >= 0) slots_[find_slot(piece(s.id), hash(piece(s.id)))] = s;
    }
  }
}

void Vocab::grow() { reserve(std::max<size_t>(1024, slots_.size()), arena_.size()); }

bool Vocab::add(int32_t id, std::string_view p, uint32_t hash) {
  if (id < 0 || has_id(id)) return false;
  if (2 * (n_tokens_ + 1) > slots_.size()) grow();
  const size_t slot = find_slot(p, hash);
  if (slots_[slot].id >= 0) return false;  // piece already has an id
  if (static_cast<size_t>(id) >= spans_.size()) spans_.resize(static_cast<size_t>(id) + 1);
  spans_[id] = Span{static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(p.size())};
  arena_.append(p);
  slots_[slot] = Slot{head_of(p), id, spans_[id].offset};
  ++n_tokens_;
  return true;
}

}  // namespace gemma3
