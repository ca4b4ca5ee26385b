#include "model/weight_residency.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "model/weight_convert.h"
#include "ops/thread_pool.h"
#include "util/mapped_file.h"

namespace gemma3 {

namespace {
constexpr size_t kAlign = 64;
size_t aligned(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }
}  // namespace

size_t move_weights_to_huge_pages(Model& model) {
  ModelWeights& w = model.weights;
  std::vector<WeightView*> matrices{&w.lm_head};
  for (auto& l : w.layers) {
    for (WeightView* m : {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj, &l.down_proj})
      matrices.push_back(m);
  }
  std::vector<size_t> offsets;
  size_t total = 0;
  for (WeightView* m : matrices) {
    offsets.push_back(total);
    const bool move = m->data != nullptr && m->int8_packed == nullptr && in_file_map(model, m->data);
    if (move) total += aligned(dtype_row_bytes(m->dtype, m->cols) * m->rows);
  }
  if (total == 0) return 0;
  model.owned_weights.emplace_back(total);
  uint8_t* arena = model.owned_weights.back().data();
  const void* lm_head_before = w.lm_head.data;
  for (size_t i = 0; i < matrices.size(); ++i) {
    WeightView* m = matrices[i];
    if (m->data == nullptr || m->int8_packed != nullptr || !in_file_map(model, m->data)) continue;
    const size_t row_bytes = dtype_row_bytes(m->dtype, m->cols);
    const auto* src = static_cast<const uint8_t*>(m->data);
    uint8_t* dst = arena + offsets[i];
    constexpr size_t kRowsPerRun = 1024;  // the file pages go as the copy grows
    parallel_for(m->rows, kRowsPerRun, [&](size_t begin, size_t end) {
      for (size_t r0 = begin; r0 < end; r0 += kRowsPerRun) {
        const size_t r1 = std::min(end, r0 + kRowsPerRun);
        std::memcpy(dst + r0 * row_bytes, src + r0 * row_bytes, (r1 - r0) * row_bytes);
        release_mapped_pages(src + r0 * row_bytes, (r1 - r0) * row_bytes);
      }
    });
    m->data = dst;
  }
  if (w.embed_tokens.data == lm_head_before) w.embed_tokens.data = w.lm_head.data;
  return total;
}

}  // namespace gemma3
