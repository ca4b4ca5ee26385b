#include "model/weight_prepack.h"

#include <cstdint>
#include <vector>

#include "model/weight_convert.h"
#include "ops/int8_prepack.h"
#include "util/mapped_file.h"

namespace gemma3 {

namespace {

constexpr size_t kPanelAlign = 64;  // the panels are read with aligned 512-bit loads

size_t aligned(size_t bytes) { return (bytes + kPanelAlign - 1) / kPanelAlign * kPanelAlign; }

void prepack_into(const Model& model, WeightView* w, void* out) {
  // Weights re-encoded at load (--dtype) are the only copy of the embedding rows: kept. File pages
  // can always be read again, so they are released as each run of rows is packed.
  const bool release = in_file_map(model, w->data);
  const size_t row_bytes = dtype_row_bytes(w->dtype, w->cols);
  const auto* src = static_cast<const uint8_t*>(w->data);
  int8_prepack(*w, out, [&](size_t begin, size_t end) {
    if (release) release_mapped_pages(src + begin * row_bytes, (end - begin) * row_bytes);
  });
  w->int8_packed = out;
}

}  // namespace

size_t prepack_int8_weights(Model& model) {
  ModelWeights& w = model.weights;
  std::vector<WeightView*> matrices{&w.lm_head};
  for (auto& l : w.layers) {
    for (WeightView* m : {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj, &l.down_proj})
      matrices.push_back(m);
  }
  // One buffer for all of them, so the block matrices (0.2-1.4 MB each, smaller than a huge page)
  // are in huge pages too: decode streams them all once per token (util/huge_page_buffer.h).
  std::vector<size_t> offsets;
  size_t total = 0;
  for (WeightView* m : matrices) {
    offsets.push_back(total);
    if (m->int8_packed == nullptr) total += aligned(int8_prepacked_bytes(*m));
  }
  if (total == 0) return 0;
  model.owned_weights.emplace_back(total);
  uint8_t* arena = model.owned_weights.back().data();
  size_t packed = 0;
  for (size_t i = 0; i < matrices.size(); ++i) {
    const size_t bytes = int8_prepacked_bytes(*matrices[i]);
    if (bytes == 0 || matrices[i]->int8_packed != nullptr) continue;
    prepack_into(model, matrices[i], arena + offsets[i]);
    packed += bytes;
  }
  if (w.embed_tokens.data == w.lm_head.data) w.embed_tokens.int8_packed = w.lm_head.int8_packed;
  return packed;
}

}  // namespace gemma3
