#include "model/weight_residency.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "model/weight_convert.h"
#include "ops/thread_pool.h"
#include "util/mapped_file.h"

namespace gemma3 {

size_t move_weights_to_huge_pages(Model& model) {
  ModelWeights& w = model.weights;
  const std::vector<WeightView*> matrices = streamed_matrices(w);
  std::vector<size_t> bytes;
  size_t total = 0;
  for (const WeightView* m : matrices) {
    const bool move = m->data != nullptr && m->int8_packed == nullptr && in_file_map(model, m->data);
    bytes.push_back(move ? dtype_row_bytes(m->dtype, m->cols) * m->rows : 0);
    total += bytes.back();
  }
  const std::vector<uint8_t*> out = allocate_weight_arena(model, bytes);
  const void* lm_head_before = w.lm_head.data;
  for (size_t i = 0; i < matrices.size(); ++i) {
    if (out[i] == nullptr) continue;
    WeightView* m = matrices[i];
    const size_t row_bytes = dtype_row_bytes(m->dtype, m->cols);
    const auto* src = static_cast<const uint8_t*>(m->data);
    uint8_t* dst = out[i];
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
