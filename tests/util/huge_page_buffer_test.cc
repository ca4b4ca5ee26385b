#include "util/huge_page_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

namespace gemma3 {
namespace {

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != 0) return false;
  return true;
}

TEST(HugePageBuffer, SmallBufferIsZeroedAndCacheLineAligned) {
  HugePageBuffer b(1000);
  ASSERT_NE(b.data(), nullptr);
  EXPECT_EQ(b.size(), 1000u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % 64, 0u);
  EXPECT_TRUE(all_zero(b.data(), b.size()));
}

TEST(HugePageBuffer, LargeBufferStartsOnAHugePageBoundary) {
  const size_t bytes = (size_t{5} << 20) + 123;
  HugePageBuffer b(bytes);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % (size_t{2} << 20), 0u);
  EXPECT_TRUE(all_zero(b.data(), bytes));
  b.data()[bytes - 1] = 7;  // the whole size is writable
  EXPECT_EQ(b.data()[bytes - 1], 7);
}

TEST(HugePageBuffer, EmptyBufferHasNoData) {
  HugePageBuffer b(0);
  EXPECT_EQ(b.data(), nullptr);
  EXPECT_EQ(b.size(), 0u);
}

TEST(HugePageBuffer, MovesOwnership) {
  HugePageBuffer a(4096);
  a.data()[10] = 42;
  uint8_t* p = a.data();
  HugePageBuffer b(std::move(a));
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(b.data()[10], 42);
  EXPECT_EQ(a.data(), nullptr);
  HugePageBuffer c(16);
  c = std::move(b);
  EXPECT_EQ(c.data(), p);
  EXPECT_EQ(c.size(), 4096u);
  EXPECT_EQ(b.data(), nullptr);
}

}  // namespace
}  // namespace gemma3
