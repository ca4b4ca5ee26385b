// Under --matmul-int8, gives every matrix the int8 kernel reads (the 7 per block and the LM head) a
// copy in that kernel's own layout, made once at load (ops/int8_prepack.h), so no call rebuilds it.
// The copies live in Model::owned_weights; the file pages of the originals are released (madvise),
// so RSS holds the copies, not both (an embedding lookup faults back in the few rows it reads).
// Nothing changes on CPUs whose int8 kernel reads the file layout.
#pragma once

#include "model/model_weights.h"
#include "util/result.h"

namespace gemma3 {

// Returns the bytes prepacked (0 when the active kernel has no prepacked layout).
size_t prepack_int8_weights(Model& model);

}  // namespace gemma3
