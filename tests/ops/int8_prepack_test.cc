// Weights prepacked at load for the int8 kernel (ops/int8_prepack.h): the matmul on the prepacked
// copy is bit-identical to the one that builds its panels per call (which int8_matmul_test holds to
// the stated arithmetic), for every type the mode covers, partial panels, several batch sizes and
// thread counts; and only the kernel with panels (AVX-512 VNNI) gets a copy.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "ops/cpu_features.h"
#include "ops/int8_prepack.h"
#include "ops/matmul.h"
#include "ops_test_util.h"

namespace gemma3 {
namespace {

using test::IsaScope;
using test::PrecisionScope;
using test::random_floats;
using test::random_weights;
using test::TestWeights;
using test::ThreadsScope;

constexpr DType kTypes[] = {DType::kQ8_0, DType::kQ4_0, DType::kQ4_1, DType::kQ5_0,
                            DType::kQ5_1, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

struct Prepacked {
  std::vector<uint8_t> storage;
  WeightView view;
  Prepacked(const WeightView& w) : view(w) {
    const size_t bytes = int8_prepacked_bytes(w);
    if (bytes == 0) return;
    storage.resize(bytes + 64);
    void* out = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(storage.data()) + 63) / 64 * 64);
    int8_prepack(w, out);
    view.int8_packed = out;
  }
};

TEST(Int8Prepack, SameBitsAsPanelsBuiltPerCall) {
  if (best_supported_isa() != Isa::kAvx512 || !cpu_has_avx512_vnni()) GTEST_SKIP() << "no AVX-512 VNNI here";
  IsaScope isa(Isa::kAvx512);
  PrecisionScope precision(MatmulPrecision::kInt8Activations);
  uint32_t seed = 100;
  for (DType t : kTypes) {
    const bool k = dtype_block_elems(t) == 256;
    for (size_t cols : k ? std::vector<size_t>{256, 768} : std::vector<size_t>{32, 640}) {
      for (size_t rows : {size_t{5}, size_t{16}, size_t{203}}) {  // a partial panel, one, many
        TestWeights w = random_weights(t, rows, cols, seed++);
        Prepacked packed(w.view());
        ASSERT_NE(packed.view.int8_packed, nullptr) << dtype_name(t);
        for (size_t n_rows : {size_t{1}, size_t{3}, size_t{17}}) {
          auto x = random_floats(n_rows * cols, seed++, -2.0f, 2.0f);
          for (int threads : {1, 2}) {
            ThreadsScope th(threads);
            std::vector<float> plain(n_rows * rows), fast(n_rows * rows);
            matmul(x.data(), n_rows, w.view(), plain.data());
            matmul(x.data(), n_rows, packed.view, fast.data());
            for (size_t i = 0; i < plain.size(); ++i)
              ASSERT_EQ(fast[i], plain[i]) << dtype_name(t) << " cols=" << cols << " rows=" << rows
                                           << " n_rows=" << n_rows << " threads=" << threads << " i=" << i;
          }
        }
      }
    }
  }
}

// The 4- and 5-bit types are prepacked as nibbles (plus fifth-bit masks): a decode streams far
// fewer bytes than byte panels (576 per block of 16 rows, +192 of side panel) would take.
TEST(Int8Prepack, FourAndFiveBitTypesArePackedAsNibbles) {
  if (best_supported_isa() != Isa::kAvx512 || !cpu_has_avx512_vnni()) GTEST_SKIP() << "no AVX-512 VNNI here";
  IsaScope isa(Isa::kAvx512);
  const size_t rows = 32, cols = 512, blocks_of_16_rows = rows / 16 * cols / 32;
  auto bytes = [&](DType t) { return int8_prepacked_bytes(random_weights(t, rows, cols, 9).view()) / blocks_of_16_rows; };
  EXPECT_EQ(bytes(DType::kQ8_0), 576u);        // levels 512 + scales 64
  EXPECT_EQ(bytes(DType::kQ4_0), 320u);        // nibbles 256 + scales 64
  EXPECT_EQ(bytes(DType::kQ5_0), 384u);        // + fifth bits 64
  EXPECT_EQ(bytes(DType::kQ4_K), 320u + 64u);  // + mins 64
  EXPECT_EQ(bytes(DType::kQ5_1), 384u + 64u);
  EXPECT_EQ(bytes(DType::kQ6_K), 576u + 192u);  // bytes, with its sub-scales
}

TEST(Int8Prepack, OnlyTheKernelWithPanelsGetsACopy) {
  TestWeights q8 = random_weights(DType::kQ8_0, 16, 64, 1);
  TestWeights f32 = random_weights(DType::kF32, 16, 64, 2);
  for (Isa isa : test::supported_isas()) {
    IsaScope scope(isa);
    const bool panels = isa == Isa::kAvx512 && cpu_has_avx512_vnni();
    EXPECT_EQ(int8_prepacked_bytes(q8.view()) > 0, panels) << isa_name(isa);
    EXPECT_EQ(int8_prepacked_bytes(f32.view()), 0u) << isa_name(isa);
  }
}

}  // namespace
}  // namespace gemma3
