// ModelWeights: views into the memory-mapped checkpoint, checked against the config's shapes at
// load time. Matrices stay in the file's dtype (bf16 for Gemma 3) and are read in place; the small
// RMSNorm vectors are converted once to f32 with Gemma's (1 + w) scale folded in.
#pragma once

#include <memory>
#include <vector>

#include "kv/batch.h"
#include "model/gguf_file.h"
#include "model/model_config.h"
#include "model/safetensors.h"
#include "ops/dtype.h"
#include "util/huge_page_buffer.h"

namespace gemma3 {

struct LayerWeights {
  WeightView q_proj;     // (num_heads*head_dim, hidden)
  WeightView k_proj;     // (num_kv_heads*head_dim, hidden)
  WeightView v_proj;     // (num_kv_heads*head_dim, hidden)
  WeightView o_proj;     // (hidden, num_heads*head_dim)
  WeightView gate_proj;  // (intermediate, hidden)
  WeightView up_proj;    // (intermediate, hidden)
  WeightView down_proj;  // (hidden, intermediate)
  // (1 + w) in f32:
  std::vector<float> input_norm;          // (hidden,)
  std::vector<float> post_attention_norm;  // (hidden,)
  std::vector<float> pre_feedforward_norm;  // (hidden,)
  std::vector<float> post_feedforward_norm;  // (hidden,)
  std::vector<float> q_norm;              // (head_dim,)
  std::vector<float> k_norm;              // (head_dim,)
};

struct ModelWeights {
  WeightView embed_tokens;  // (vocab, hidden)
  WeightView lm_head;       // (vocab, hidden); the embedding itself when tied
  std::vector<float> final_norm;  // (hidden,), (1 + w)
  std::vector<LayerWeights> layers;
};

// A loaded model: config, tensor store (owning the maps) and weight views. Immutable after
// loading, so any number of KV caches and threads can share it.
struct Model {
  ModelConfig config;
  std::unique_ptr<TensorStore> store;  // safetensors checkpoints
  std::unique_ptr<GgufFile> gguf;      // GGUF files (model/gguf_model.h); the other one is null
  ModelWeights weights;
  // Matrices re-encoded or prepacked at load (model/weight_convert.h, model/weight_prepack.h); the
  // views in `weights` point into these.
  std::vector<HugePageBuffer> owned_weights;
  // Whether --dtype re-encoded any matrix: the file's tensors are then no longer what runs.
  bool reencoded = false;
  // How this process stores the model's KV cache (--kv-dtype): every KvCache built for the model
  // (SequenceRunner, BatchSequences, the server's pools) uses it.
  KvDtype kv_dtype = KvDtype::kF32;
};

// `model_dir` is a checkpoint folder, or a .gguf file (then load_gguf_model).
Result<std::unique_ptr<Model>> load_model(const std::filesystem::path& model_dir);

// The matrices decode streams once per token: the LM head, then the 7 of every block, in order.
std::vector<WeightView*> streamed_matrices(ModelWeights& w);
// One buffer of Model::owned_weights (huge pages, util/huge_page_buffer.h) holding bytes[i] for
// each i at 64-byte-aligned offsets: the start of each (null where bytes[i] == 0), all null when
// every size is 0 (nothing is allocated then).
std::vector<uint8_t*> allocate_weight_arena(Model& model, const std::vector<size_t>& bytes);
// Binds weights for a config from an already opened store (also used by tests).
Result<ModelWeights> bind_weights(const ModelConfig& config, const TensorStore& store);

}  // namespace gemma3
