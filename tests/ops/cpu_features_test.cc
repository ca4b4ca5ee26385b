#include "ops/cpu_features.h"

#include <gtest/gtest.h>

#include "ops/parallel.h"
#include "ops_test_util.h"

namespace gemma3 {
namespace {

TEST(CpuFeatures, Names) {
  EXPECT_STREQ(isa_name(Isa::kScalar), "scalar");
  EXPECT_STREQ(isa_name(Isa::kAvx2), "avx2");
  EXPECT_STREQ(isa_name(Isa::kAvx512), "avx512");
}

TEST(CpuFeatures, SetActiveIsaIsCappedAtSupported) {
  test::IsaScope scope(Isa::kScalar);
  EXPECT_EQ(active_isa(), Isa::kScalar);
  set_active_isa(Isa::kAvx512);
  EXPECT_EQ(active_isa(), best_supported_isa());
}

TEST(Parallel, NumThreads) {
  set_num_threads(3);
  EXPECT_EQ(num_threads(), 3);
  set_num_threads(0);
  EXPECT_GE(num_threads(), 1);
}

}  // namespace
}  // namespace gemma3
