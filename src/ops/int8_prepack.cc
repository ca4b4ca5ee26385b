#include "ops/int8_prepack.h"

#include <algorithm>

#include "ops/cpu_features.h"
#include "ops/thread_pool.h"

namespace gemma3 {

namespace {
// The int8 kernel matmul() dispatches to (ops/matmul.cc): the VNNI one is the only one with panels.
bool vnni_kernel_active() { return active_isa() == Isa::kAvx512 && cpu_has_avx512_vnni(); }
}  // namespace

size_t int8_prepacked_bytes(const WeightView& w) {
  return vnni_kernel_active() ? kernels::avx512_vnni::packed_bytes(w) : 0;
}

void int8_prepack(const WeightView& w, void* out, const std::function<void(size_t, size_t)>& rows_done) {
  constexpr size_t kGroupsPerRun = 64;  // 1,024 rows: the originals' pages go as the copy grows
  parallel_for(kernels::avx512_vnni::packed_groups(w), kGroupsPerRun, [&](size_t begin, size_t end) {
    for (size_t g0 = begin; g0 < end; g0 += kGroupsPerRun) {
      const size_t g1 = std::min(end, g0 + kGroupsPerRun);
      kernels::avx512_vnni::pack(w, g0, g1, out);
      if (rows_done) rows_done(g0 * 16, std::min(w.rows, g1 * 16));
    }
  });
}

}  // namespace gemma3
