#include "model/weight_prepack.h"

#include <cstdint>
#include <vector>

#include "model/weight_convert.h"
#include "ops/int8_prepack.h"
#include "util/mapped_file.h"

namespace gemma3 {

size_t prepack_int8_weights(Model& model) {
  ModelWeights& w = model.weights;
  // One buffer for all of them, so the block matrices (0.2-1.4 MB each, smaller than a huge page)
  // are in huge pages too: decode streams them all once per token (util/huge_page_buffer.h).
  const std::vector<WeightView*> matrices = streamed_matrices(w);
  std::vector<size_t> bytes;
  for (const WeightView* m : matrices) bytes.push_back(m->int8_packed == nullptr ? int8_prepacked_bytes(*m) : 0);
  const std::vector<uint8_t*> out = allocate_weight_arena(model, bytes);
  size_t packed = 0;
  for (size_t i = 0; i < matrices.size(); ++i) {
    if (out[i] == nullptr) continue;
    WeightView* m = matrices[i];
    // Weights re-encoded at load (--dtype) are the only copy of the embedding rows: kept. File
    // pages can always be read again, so they are released as each run of rows is packed.
    const bool release = in_file_map(model, m->data);
    const size_t row_bytes = dtype_row_bytes(m->dtype, m->cols);
    const auto* src = static_cast<const uint8_t*>(m->data);
    int8_prepack(*m, out[i], [&](size_t begin, size_t end) {
      if (release) release_mapped_pages(src + begin * row_bytes, (end - begin) * row_bytes);
    });
    m->int8_packed = out[i];
    packed += bytes[i];
  }
  if (w.embed_tokens.data == w.lm_head.data) w.embed_tokens.int8_packed = w.lm_head.int8_packed;
  return packed;
}

}  // namespace gemma3
