// Re-encodes a loaded model's matrices in another weight format at load time (`--dtype`), e.g.
// bf16 safetensors -> Q8_0 for a memory-bound decode that reads half the bytes. The new matrices
// are owned by the Model (Model::owned_weights); the pages of the converted matrices in the file
// map are released at once (madvise), so RSS holds the new encoding, not both.
#pragma once

#include <optional>
#include <string>

#include "model/model_weights.h"
#include "util/result.h"

namespace gemma3 {

// "bf16" | "f16" | "f32" | "q8_0" | "q4_0" -> DType; an error naming the accepted values otherwise.
Result<DType> parse_weight_dtype(const std::string& name);

// Converts every matrix (the 7 per block, the embedding, and the LM head, which stays one shared
// matrix when tied) to `dtype`. A matrix already in `dtype` is left in place (never copied).
// Block-quantized targets need every row length to be a multiple of 32 (true for Gemma 3).
// Multi-threaded over rows; deterministic.
Status convert_weights(Model& model, DType dtype);

// Whether `p` points into the checkpoint's file map (whose pages can be released and read again),
// not into a buffer the model owns (a matrix re-encoded at load, a prepacked copy).
bool in_file_map(const Model& model, const void* p);

}  // namespace gemma3
