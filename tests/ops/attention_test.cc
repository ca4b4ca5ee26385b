// paged_attention on every ISA this machine supports: against a double-precision two-pass softmax
// over the same (widened) K/V, against its scalar twin, and for bit-exact independence of how the
// queries are batched and split (each token alone, in one run, next to other runs, any thread
// count). Shapes cover GQA groups, odd lengths, sliding windows across block and chunk boundaries,
// block sizes that are not multiples of the chunk, shuffled block tables, f32 and bf16 storage,
// soft-capping, head sizes the vector kernels leave to the scalar one, and keys in several
// segments (merged in one task, or spread over threads for a decode).
#include "ops/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "ops/parallel.h"
#include "ops_test_util.h"

namespace gemma3 {
namespace {

using test::IsaScope;
using test::random_floats;

struct Case {
  int32_t n_heads, n_kv_heads, head_dim;
  int32_t block_size, window;
  float softcap;
  DType dtype;
  int32_t first_pos, n;  // the query run
};

std::string name(const Case& c) {
  return "heads " + std::to_string(c.n_heads) + "/" + std::to_string(c.n_kv_heads) + " hd " +
         std::to_string(c.head_dim) + " bs " + std::to_string(c.block_size) + " window " +
         std::to_string(c.window) + " softcap " + std::to_string(c.softcap) + " " +
         (c.dtype == DType::kBF16 ? "bf16" : "f32") + " pos " + std::to_string(c.first_pos) + "+" +
         std::to_string(c.n);
}

// A paged cache holding positions 0 .. first_pos + n - 1 of one sequence in shuffled blocks (plus
// spare blocks of garbage), with the widened values kept for the reference.
struct Fixture {
  Case c;
  AttentionParams params;
  std::vector<float> k_f32, v_f32;       // physical storage when f32
  std::vector<uint16_t> k_bf16, v_bf16;  // physical storage when bf16
  std::vector<float> k_exact, v_exact;   // (positions, kv_dim) the values attention must see
  std::vector<int32_t> table;
  std::vector<float> q;
  int32_t n_blocks = 0;
  size_t kv_dim = 0;

  explicit Fixture(const Case& cs, uint32_t seed) : c(cs) {
    params = {c.n_heads, c.n_kv_heads, c.head_dim, 1.0f / std::sqrt(static_cast<float>(c.head_dim)),
              c.softcap, c.window};
    kv_dim = static_cast<size_t>(c.n_kv_heads) * c.head_dim;
    const int32_t positions = c.first_pos + c.n;
    const int32_t logical = (positions + c.block_size - 1) / c.block_size;
    n_blocks = logical + 3;
    std::vector<int32_t> perm(n_blocks);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), std::mt19937(seed));
    table.assign(perm.begin(), perm.begin() + logical);
    // Blocks wholly before the first query's window are gone (as the sliding pool frees them).
    if (c.window > 0) {
      const int32_t lo = std::max(0, c.first_pos - c.window + 1);
      for (int32_t b = 0; b < lo / c.block_size; ++b) table[b] = -1;
    }
    const size_t slots = static_cast<size_t>(n_blocks) * c.block_size * kv_dim;
    // Scores of a few units: q·k over head_dim terms, scaled by 1/sqrt(head_dim).
    const float amp = 2.0f;
    auto garbage = random_floats(slots, seed + 1, -1e3f, 1e3f);
    k_f32 = garbage;
    v_f32 = garbage;
    k_exact = random_floats(positions * kv_dim, seed + 2, -amp, amp);
    v_exact = random_floats(positions * kv_dim, seed + 3, -1.0f, 1.0f);
    if (c.dtype == DType::kBF16) {
      k_bf16.resize(slots);
      v_bf16.resize(slots);
      for (size_t i = 0; i < slots; ++i) k_bf16[i] = v_bf16[i] = f32_to_bf16(garbage[i]);
    }
    for (int32_t p = 0; p < positions; ++p) {
      const int32_t phys = table[p / c.block_size];
      if (phys < 0) continue;
      const size_t row = (static_cast<size_t>(phys) * c.block_size + p % c.block_size) * kv_dim;
      float* ke = &k_exact[p * kv_dim];
      float* ve = &v_exact[p * kv_dim];
      if (c.dtype == DType::kBF16) {
        store_kv_row(ke, kv_dim, DType::kBF16, &k_bf16[row]);
        store_kv_row(ve, kv_dim, DType::kBF16, &v_bf16[row]);
        for (size_t d = 0; d < kv_dim; ++d) {
          ke[d] = bf16_to_f32(k_bf16[row + d]);
          ve[d] = bf16_to_f32(v_bf16[row + d]);
        }
      } else {
        store_kv_row(ke, kv_dim, DType::kF32, &k_f32[row]);
        store_kv_row(ve, kv_dim, DType::kF32, &v_f32[row]);
      }
    }
    q = random_floats(static_cast<size_t>(c.n) * c.n_heads * c.head_dim, seed + 4, -amp, amp);
  }

  PagedKvLayer layer() const {
    PagedKvLayer kv;
    kv.keys = c.dtype == DType::kBF16 ? static_cast<const void*>(k_bf16.data()) : k_f32.data();
    kv.values = c.dtype == DType::kBF16 ? static_cast<const void*>(v_bf16.data()) : v_f32.data();
    kv.dtype = c.dtype;
    kv.block_size = c.block_size;
    kv.n_blocks = n_blocks;
    kv.row_stride = kv_dim;
    return kv;
  }
  size_t q_dim() const { return static_cast<size_t>(c.n_heads) * c.head_dim; }

  // One run of all n tokens.
  std::vector<float> run_together() const {
    std::vector<float> out(c.n * q_dim(), NAN);
    AttentionRun run{q.data(), out.data(), c.first_pos, c.n, table};
    const PagedKvLayer kv = layer();
    paged_attention(params, kv, std::span<const AttentionRun>(&run, 1));
    return out;
  }
  // Every token its own run, all in one call, in reverse order.
  std::vector<float> run_each_alone() const {
    std::vector<float> out(c.n * q_dim(), NAN);
    std::vector<AttentionRun> runs;
    for (int32_t t = c.n - 1; t >= 0; --t)
      runs.push_back({&q[t * q_dim()], &out[t * q_dim()], c.first_pos + t, 1, table});
    const PagedKvLayer kv = layer();
    paged_attention(params, kv, runs);
    return out;
  }

  // Two-pass softmax in double over the exact stored values.
  std::vector<double> reference() const {
    const int32_t group = c.n_heads / c.n_kv_heads;
    std::vector<double> out(c.n * q_dim());
    for (int32_t t = 0; t < c.n; ++t) {
      const int32_t pos = c.first_pos + t;
      const int32_t lo = c.window > 0 ? std::max(0, pos - c.window + 1) : 0;
      for (int32_t h = 0; h < c.n_heads; ++h) {
        const float* qh = &q[t * q_dim() + h * c.head_dim];
        const size_t off = static_cast<size_t>(h / group) * c.head_dim;
        std::vector<double> s;
        double mx = -INFINITY;
        for (int32_t p = lo; p <= pos; ++p) {
          double d = 0;
          for (int32_t i = 0; i < c.head_dim; ++i) d += double(qh[i]) * k_exact[p * kv_dim + off + i];
          d *= params.scale;
          if (c.softcap > 0) d = std::tanh(d / c.softcap) * c.softcap;
          s.push_back(d);
          mx = std::max(mx, d);
        }
        double sum = 0;
        for (double& x : s) sum += (x = std::exp(x - mx));
        for (int32_t i = 0; i < c.head_dim; ++i) {
          double o = 0;
          for (int32_t p = lo; p <= pos; ++p) o += s[p - lo] * v_exact[p * kv_dim + off + i];
          out[t * q_dim() + h * c.head_dim + i] = o / sum;
        }
      }
    }
    return out;
  }
};

const Case kCases[] = {
    // 270m's shape: 4 query heads per KV head, head_dim 256.
    {4, 1, 256, 16, 0, 0.0f, DType::kF32, 0, 37},
    {4, 1, 256, 16, 0, 0.0f, DType::kBF16, 5, 29},
    {4, 1, 256, 16, 20, 0.0f, DType::kF32, 40, 19},    // window edge mid-block
    {4, 1, 256, 16, 512, 0.0f, DType::kBF16, 600, 3},  // window, blocks freed before it
    {4, 1, 256, 16, 0, 0.0f, DType::kF32, 300, 1},     // decode
    // tiny's shape and other groupings.
    {4, 2, 16, 16, 8, 0.0f, DType::kF32, 0, 40},
    {4, 2, 16, 16, 8, 0.0f, DType::kBF16, 13, 11},
    {8, 1, 32, 8, 0, 0.0f, DType::kF32, 3, 21},        // group 8, blocks of 8
    {3, 3, 48, 24, 0, 0.0f, DType::kF32, 10, 30},      // no GQA, block of 24 = chunk + 8
    {6, 2, 64, 40, 33, 0.0f, DType::kBF16, 70, 45},    // group 3 (slab padding), odd window
    {2, 1, 128, 1, 0, 0.0f, DType::kF32, 0, 9},        // one position per block
    {4, 1, 64, 16, 0, 30.0f, DType::kF32, 0, 25},      // soft-capping
    {4, 2, 32, 16, 9, 2.0f, DType::kBF16, 20, 17},     // soft-capping that bites, window
    {4, 2, 24, 16, 0, 0.0f, DType::kF32, 7, 13},       // head_dim 24: the scalar kernel on every ISA
    // Keys in several 512-position segments (merged; a decode spreads them over threads).
    {4, 1, 256, 16, 0, 0.0f, DType::kF32, 1500, 1},
    {4, 1, 256, 16, 0, 0.0f, DType::kBF16, 1023, 2},
    {4, 1, 64, 16, 0, 0.0f, DType::kF32, 500, 40},     // a prefill across a segment boundary
    {4, 2, 16, 8, 700, 0.0f, DType::kF32, 1100, 3},    // window across a segment boundary
    {2, 1, 32, 48, 0, 5.0f, DType::kBF16, 900, 5},     // segments of 480 (10 blocks of 48)
};

class Attention : public ::testing::TestWithParam<Isa> {
 protected:
  IsaScope scope_{GetParam()};
};

TEST_P(Attention, MatchesDoublePrecisionSoftmax) {
  uint32_t seed = 10;
  for (const Case& c : kCases) {
    Fixture f(c, seed++);
    const auto got = f.run_together();
    const auto want = f.reference();
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_TRUE(std::isfinite(got[i])) << name(c) << " index " << i;
      worst = std::max(worst, std::fabs(got[i] - want[i]));
    }
    // Outputs are convex combinations of values in [-1, 1]: absolute error of a few f32 ulps of 1.
    EXPECT_LE(worst, 2e-6) << name(c);
  }
}

TEST_P(Attention, CloseToScalarTwin) {
  uint32_t seed = 100;
  for (const Case& c : kCases) {
    Fixture f(c, seed++);
    const auto got = f.run_together();
    std::vector<float> twin;
    {
      IsaScope s(Isa::kScalar);
      twin = f.run_together();
    }
    float worst = 0;
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - twin[i]));
    EXPECT_LE(worst, 2e-6f) << name(c);
  }
}

TEST_P(Attention, BitIdenticalHoweverQueriesAreBatchedOrSplit) {
  uint32_t seed = 200;
  const int saved = num_threads();
  for (const Case& c : kCases) {
    Fixture f(c, seed++);
    set_num_threads(1);
    const auto one_thread = f.run_together();
    set_num_threads(2);
    const auto together = f.run_together();
    const auto alone = f.run_each_alone();
    set_num_threads(5);  // more threads than cores: smaller tiles
    const auto many = f.run_together();
    for (size_t i = 0; i < together.size(); ++i) {
      ASSERT_EQ(together[i], one_thread[i]) << name(c) << " index " << i;
      ASSERT_EQ(together[i], alone[i]) << name(c) << " index " << i;
      ASSERT_EQ(together[i], many[i]) << name(c) << " index " << i;
    }
  }
  set_num_threads(saved);
}

TEST_P(Attention, RunsInOneCallDoNotAffectEachOther) {
  // Two sequences with different shapes of history, alone and in one call.
  const Case a{4, 1, 256, 16, 0, 0.0f, DType::kF32, 50, 20};
  const Case b{4, 1, 256, 16, 0, 0.0f, DType::kF32, 0, 7};
  Fixture fa(a, 300), fb(b, 301);
  const auto alone_a = fa.run_together();
  const auto alone_b = fb.run_together();
  // Both sequences' blocks in one storage: b's blocks after a's.
  std::vector<float> keys = fa.k_f32, values = fa.v_f32;
  keys.insert(keys.end(), fb.k_f32.begin(), fb.k_f32.end());
  values.insert(values.end(), fb.v_f32.begin(), fb.v_f32.end());
  std::vector<int32_t> table_b = fb.table;
  for (int32_t& blk : table_b) blk += fa.n_blocks;
  PagedKvLayer kv = fa.layer();
  kv.keys = keys.data();
  kv.values = values.data();
  kv.n_blocks = fa.n_blocks + fb.n_blocks;
  std::vector<float> out_a(alone_a.size()), out_b(alone_b.size());
  const AttentionRun runs[] = {{fb.q.data(), out_b.data(), b.first_pos, b.n, table_b},
                               {fa.q.data(), out_a.data(), a.first_pos, a.n, fa.table}};
  paged_attention(fa.params, kv, runs);
  EXPECT_EQ(out_a, alone_a);
  EXPECT_EQ(out_b, alone_b);
}

TEST(AttentionStore, Bf16RoundsToNearestEven) {
  const float src[] = {1.0f, 1.00390625f /* 1 + 2^-8: a tie, rounds to even 1.0 */, 1.01171875f, -3.5f};
  uint16_t got[4];
  store_kv_row(src, 4, DType::kBF16, got);
  EXPECT_EQ(bf16_to_f32(got[0]), 1.0f);
  EXPECT_EQ(bf16_to_f32(got[1]), 1.0f);
  EXPECT_EQ(bf16_to_f32(got[2]), 1.015625f);
  EXPECT_EQ(bf16_to_f32(got[3]), -3.5f);
}

INSTANTIATE_TEST_SUITE_P(Isas, Attention, ::testing::ValuesIn(test::supported_isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace
}  // namespace gemma3
