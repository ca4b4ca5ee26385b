#include "model/weight_prepack.h"

#include <cstdint>

#include "model/weight_convert.h"
#include "ops/int8_prepack.h"
#include "util/mapped_file.h"

namespace gemma3 {

namespace {

constexpr size_t kPanelAlign = 64;  // the panels are read with aligned 512-bit loads

size_t prepack(Model& model, WeightView* w) {
  const size_t bytes = int8_prepacked_bytes(*w);
  if (bytes == 0 || w->int8_packed != nullptr) return 0;
  model.owned_weights.emplace_back(bytes + kPanelAlign);
  auto addr = reinterpret_cast<uintptr_t>(model.owned_weights.back().data());
  void* out = reinterpret_cast<void*>((addr + kPanelAlign - 1) / kPanelAlign * kPanelAlign);
  // Weights re-encoded at load (--dtype) are the only copy of the embedding rows: kept. File pages
  // can always be read again, so they are released as each run of rows is packed.
  const bool release = in_file_map(model, w->data);
  const size_t row_bytes = dtype_row_bytes(w->dtype, w->cols);
  const auto* src = static_cast<const uint8_t*>(w->data);
  int8_prepack(*w, out, [&](size_t begin, size_t end) {
    if (release) release_mapped_pages(src + begin * row_bytes, (end - begin) * row_bytes);
  });
  w->int8_packed = out;
  return bytes;
}

}  // namespace

size_t prepack_int8_weights(Model& model) {
  ModelWeights& w = model.weights;
  size_t total = prepack(model, &w.lm_head);
  if (w.embed_tokens.data == w.lm_head.data) w.embed_tokens.int8_packed = w.lm_head.int8_packed;
  for (auto& l : w.layers) {
    for (WeightView* m : {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj, &l.down_proj})
      total += prepack(model, m);
  }
  return total;
}

}  // namespace gemma3
