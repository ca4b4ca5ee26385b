// The 13 weights of a Gemma 3 decoder block in one table: where each goes in LayerWeights, its
// shape (from the config), and its name in a Hugging Face checkpoint and in a GGUF file. The
// safetensors and GGUF loaders bind blocks through it, and `gemma3 quantize` renames through it,
// so the three can never disagree about a tensor.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/model_config.h"
#include "model/model_weights.h"
#include "model/safetensors.h"  // TensorInfo
#include "util/result.h"

namespace gemma3 {

enum class BlockDim { kHidden, kQ, kKv, kIntermediate, kHeadDim };
int64_t block_dim(const ModelConfig& c, BlockDim d);

struct BlockTensor {
  const char* hf_name;    // after "<weight_prefix>layers.N.", before ".weight"
  const char* gguf_name;  // after "blk.N.", before ".weight"
  WeightView LayerWeights::*matrix;        // a matrix (rows, cols) ...
  std::vector<float> LayerWeights::*norm;  // ... or an RMSNorm weight (rows,)
  BlockDim rows, cols;
};

// "[rows, cols]", for error messages.
std::string tensor_shape_string(const std::vector<int64_t>& shape);

// What both loaders bind with: looks a tensor up by name, checks its shape, and makes a WeightView
// of it in place, or an f32 (1 + w) vector of an RMSNorm weight. A safetensors checkpoint stores
// Gemma's norm weights as w, a GGUF file as 1 + w (`norm_has_one`). Errors: `missing_prefix` +
// "missing tensor 'NAME' (expected shape S)"; "FILE: tensor 'NAME' has shape A (rows, cols) but
// the SHAPE_SOURCE implies B".
class TensorBinder {
 public:
  using Lookup = std::function<const TensorInfo*(const std::string& name)>;
  TensorBinder(Lookup lookup, std::string missing_prefix, std::string shape_source, bool norm_has_one)
      : lookup_(std::move(lookup)), missing_prefix_(std::move(missing_prefix)), shape_source_(std::move(shape_source)),
        norm_has_one_(norm_has_one) {}
  Status matrix(const std::string& name, int64_t rows, int64_t cols, WeightView* out) const;
  Status norm(const std::string& name, int64_t n, std::vector<float>* out) const;

 private:
  Result<const TensorInfo*> find(const std::string& name, const std::vector<int64_t>& shape) const;
  Lookup lookup_;
  std::string missing_prefix_, shape_source_;
  bool norm_has_one_;
};

// In binding order (the first missing tensor is the one an error names).
extern const std::array<BlockTensor, 13> kBlockTensors;

// Binds block `layer` through b.matrix(name, rows, cols, WeightView*) and
// b.norm(name, n, std::vector<float>*), naming tensors the Hugging Face way (prefix =
// "<weight_prefix>layers.N.") or the GGUF way (prefix = "blk.N.").
enum class TensorNaming { kHuggingFace, kGguf };
template <class Binder>
Status bind_block(Binder& b, const ModelConfig& c, const std::string& prefix, TensorNaming naming, LayerWeights* l) {
  for (const BlockTensor& t : kBlockTensors) {
    const std::string name = prefix + (naming == TensorNaming::kGguf ? t.gguf_name : t.hf_name) + ".weight";
    if (t.matrix != nullptr) {
      G3_TRY(b.matrix(name, block_dim(c, t.rows), block_dim(c, t.cols), &(l->*t.matrix)));
    } else {
      G3_TRY(b.norm(name, block_dim(c, t.rows), &(l->*t.norm)));
    }
  }
  return ok_status();
}

}  // namespace gemma3
