// Weights prepacked once for the int8 kernel of this CPU (--matmul-int8). The AVX-512 VNNI kernel
// reads 16 rows at a time interleaved into panels (ops/avx512_vnni_matmul.cc); building them on
// every call costs more than the dot products themselves when a call has few activation rows
// (decode: 87% of the time at batch 1, 60% at batch 16). Prepacked, a call only reads them. The
// panels hold the levels the per-call path builds (the 4- and 5-bit types as nibbles and fifth-bit
// masks, restored in registers), so results are bit-identical either way; the other kernels (AVX2,
// scalar) read the file layout and get no prepacked copy.
#pragma once

#include <cstddef>
#include <functional>

#include "ops/dtype.h"

namespace gemma3 {

// Bytes of w's prepacked copy for the active int8 kernel; 0 when it reads the file layout or the
// mode does not cover w's type.
size_t int8_prepacked_bytes(const WeightView& w);
// Writes it to out (int8_prepacked_bytes(w) bytes, 64-byte aligned), on the thread pool; after
// each run of rows, rows_done(begin, end) (e.g. to release the original's pages as it goes).
void int8_prepack(const WeightView& w, void* out, const std::function<void(size_t, size_t)>& rows_done = {});

namespace kernels::avx512_vnni {
size_t packed_bytes(const WeightView& w);
size_t packed_groups(const WeightView& w);
void pack(const WeightView& w, size_t group_begin, size_t group_end, void* out);
}  // namespace kernels::avx512_vnni

}  // namespace gemma3
