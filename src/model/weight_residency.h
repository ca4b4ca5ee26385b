// Copies the matrices decode streams (the 7 per block and the LM head) out of the checkpoint's file
// map into one buffer of transparent huge pages (util/huge_page_buffer.h), releasing the file pages as
// it goes. A file map is backed by 4 KiB page-cache pages: streaming 0.3-0.5 GB of weights per token
// through them costs a TLB miss every 4 KiB, which measurably slows a memory-bound decode; the copy
// costs the same resident memory (the file pages leave this process) and ~0.1 s at load.
// Matrices the model already owns (re-encoded with --dtype, or with a prepacked int8 copy) stay.
#pragma once

#include <cstddef>

#include "model/model_weights.h"

namespace gemma3 {

// Returns the bytes copied.
size_t move_weights_to_huge_pages(Model& model);

}  // namespace gemma3
