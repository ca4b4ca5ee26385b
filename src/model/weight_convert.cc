#include "model/weight_convert.h"

#include <algorithm>
#include <vector>

#include "ops/thread_pool.h"
#include "util/mapped_file.h"

namespace gemma3 {

Result<DType> parse_weight_dtype(const std::string& name) {
  for (DType d : {DType::kBF16, DType::kF16, DType::kF32, DType::kQ8_0, DType::kQ4_0}) {
    if (name == dtype_name(d)) return d;
  }
  return make_error("--dtype: unknown weight type '" + name + "' (expected bf16, f16, f32, q8_0 or q4_0)");
}

namespace {

class Converter {
 public:
  Converter(Model& model, DType dtype) : model_(model), dtype_(dtype) {}

  Status convert(WeightView* w, const char* what) {
    if (w->dtype == dtype_) return ok_status();
    if (w->cols % dtype_block_elems(dtype_) != 0)
      return make_error(std::string("--dtype ") + dtype_name(dtype_) + ": " + what + " has rows of " +
                        std::to_string(w->cols) + " elements, not a multiple of " +
                        std::to_string(dtype_block_elems(dtype_)));
    const size_t row_bytes = dtype_row_bytes(dtype_, w->cols);
    model_.owned_weights.emplace_back(w->rows * row_bytes);
    model_.reencoded = true;
    uint8_t* out = model_.owned_weights.back().data();
    const WeightView src = *w;
    // Source pages are released as each run of rows is done, so the peak holds little more than
    // the new encoding (converting the 335 MB bf16 embedding at once would peak at both).
    const bool release = in_file_map(model_, src.data);
    const size_t src_row_bytes = dtype_row_bytes(src.dtype, src.cols);
    const auto* src_bytes = static_cast<const uint8_t*>(src.data);
    constexpr size_t kRowsPerRun = 256;
    parallel_for(src.rows, 64, [&](size_t begin, size_t end) {
      std::vector<float> row(src.cols);
      for (size_t r0 = begin; r0 < end; r0 += kRowsPerRun) {
        const size_t r1 = std::min(end, r0 + kRowsPerRun);
        for (size_t r = r0; r < r1; ++r) {
          row_to_f32(src, r, row.data());
          encode_row_from_f32(row.data(), src.cols, dtype_, out + r * row_bytes);
        }
        if (release) release_mapped_pages(src_bytes + r0 * src_row_bytes, (r1 - r0) * src_row_bytes);
      }
    });
    *w = WeightView{dtype_, out, src.rows, src.cols};
    return ok_status();
  }

 private:
  Model& model_;
  DType dtype_;
};

}  // namespace

bool in_file_map(const Model& model, const void* p) {
  if (!model.store && !model.gguf) return false;
  const auto* b = static_cast<const uint8_t*>(p);
  for (const auto& owned : model.owned_weights) {
    if (b >= owned.data() && b < owned.data() + owned.size()) return false;
  }
  return true;
}

Status convert_weights(Model& model, DType dtype) {
  Converter c(model, dtype);
  ModelWeights& w = model.weights;
  const bool tied = w.lm_head.data == w.embed_tokens.data;
  G3_TRY(c.convert(&w.embed_tokens, "embed_tokens"));
  if (tied) {
    w.lm_head = w.embed_tokens;
  } else {
    G3_TRY(c.convert(&w.lm_head, "lm_head"));
  }
  for (auto& l : w.layers) {
    for (WeightView* m : {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj, &l.down_proj})
      G3_TRY(c.convert(m, "a block matrix"));
  }
  return ok_status();
}

}  // namespace gemma3
