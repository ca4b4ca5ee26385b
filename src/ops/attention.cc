// paged_attention: plans the tiles (one KV head of one run × a range of its query tokens) and the
// key segments, orders the tasks by cost (largest first) and lets the pool's threads claim them
// one at a time; the ISA's tile kernel computes a segment's softmax state, merged here.
#include "ops/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ops/attention_kernels.h"
#include "ops/cpu_features.h"
#include "ops/thread_pool.h"
#include "util/check.h"

namespace gemma3 {

namespace {

using TileFn = void (*)(const kernels::AttentionTile&, kernels::AttentionState);

TileFn tile_kernel(const AttentionParams& p) {
  // The vector kernels step through a head 16 floats at a time.
  if (p.head_dim % 16 != 0) return kernels::scalar::attention_tile;
  switch (active_isa()) {
    case Isa::kAvx512:
      return kernels::avx512::attention_tile;
    case Isa::kAvx2:
      return kernels::avx2::attention_tile;
    case Isa::kScalar:
      break;
  }
  return kernels::scalar::attention_tile;
}

// Keys are split into segments of whole blocks, about kSegmentPositions long, at fixed positions.
// Each segment's softmax state is computed on its own and the states are merged in position order,
// always: so a long decode can spread its segments over threads and give the same bits as one
// thread walking them.
constexpr int32_t kSegmentPositions = 512;

int32_t segment_length(int32_t block_size) { return std::max(1, kSegmentPositions / block_size) * block_size; }

size_t state_floats(int32_t nq, int32_t head_dim) { return static_cast<size_t>(nq) * (2 + static_cast<size_t>(head_dim)); }

kernels::AttentionState state_at(float* base, int32_t nq) { return {base, base + nq, base + 2 * static_cast<size_t>(nq)}; }

// tot ⊕= cur: both states rescaled to the larger max. Plain f32 arithmetic (no contraction), the
// same on every ISA and in every schedule.
void merge(kernels::AttentionState tot, kernels::AttentionState cur, int32_t nq, size_t hd) {
  for (int32_t i = 0; i < nq; ++i) {
    if (cur.m[i] == -std::numeric_limits<float>::infinity()) continue;
    float* ta = tot.acc + static_cast<size_t>(i) * hd;
    const float* ca = cur.acc + static_cast<size_t>(i) * hd;
    if (tot.m[i] == -std::numeric_limits<float>::infinity()) {
      tot.m[i] = cur.m[i];
      tot.l[i] = cur.l[i];
      std::copy_n(ca, hd, ta);
      continue;
    }
    const float m = std::max(tot.m[i], cur.m[i]);
    const float a = std::exp(tot.m[i] - m), b = std::exp(cur.m[i] - m);
    tot.m[i] = m;
    tot.l[i] = tot.l[i] * a + cur.l[i] * b;
    for (size_t d = 0; d < hd; ++d) ta[d] = ta[d] * a + ca[d] * b;
  }
}

// out = acc / l for every query of the tile.
void normalize(const kernels::AttentionTile& tile, kernels::AttentionState st) {
  const AttentionParams& p = *tile.params;
  const int32_t group = p.n_heads / p.n_kv_heads;
  const size_t hd = static_cast<size_t>(p.head_dim), q_stride = static_cast<size_t>(p.n_heads) * hd;
  const int32_t nq = (tile.t_end - tile.t_begin) * group;
  for (int32_t i = 0; i < nq; ++i) {
    const int32_t t = tile.t_begin + i / group;
    const int32_t head = tile.kv_head * group + i % group;
    float* out = tile.run->out + static_cast<size_t>(t) * q_stride + static_cast<size_t>(head) * hd;
    const float* acc = st.acc + static_cast<size_t>(i) * hd;
    const float inv = 1.0f / st.l[i];
    for (size_t d = 0; d < hd; ++d) out[d] = acc[d] * inv;
  }
}

struct PlannedTile {
  kernels::AttentionTile tile;  // key_begin/key_end: the tile's whole key range
  int32_t seg_first, seg_last;  // segments it spans
  bool split = false;           // segments computed as separate tasks into `states`
  size_t state_offset = 0;      // first segment's state in `states` (split tiles)
};

struct Task {
  int32_t tile;     // index into the plan
  int32_t segment;  // -1: the whole tile on one thread
  int64_t cost;     // (query, key) pairs
};

int64_t pairs(const AttentionParams& p, const AttentionRun& run, int32_t t0, int32_t t1, int32_t k0, int32_t k1) {
  int64_t cost = 0;
  for (int32_t t = t0; t < t1; ++t) {
    const int32_t pos = run.first_pos + t;
    cost += std::max(0, std::min(pos + 1, k1) - std::max(kernels::attention_lo(p, pos), k0));
  }
  return cost;
}

}  // namespace

void paged_attention(const AttentionParams& p, const PagedKvLayer& kv, std::span<const AttentionRun> runs) {
  G3_CHECK(p.n_heads > 0 && p.n_kv_heads > 0 && p.n_heads % p.n_kv_heads == 0 && p.head_dim > 0);
  G3_CHECK(kv.dtype == DType::kF32 || kv.dtype == DType::kBF16);
  G3_CHECK(kv.block_size > 0 && kv.row_stride >= static_cast<size_t>(p.n_kv_heads) * p.head_dim);
  const int32_t group = p.n_heads / p.n_kv_heads;
  const size_t hd = static_cast<size_t>(p.head_dim);
  const int32_t seg_len = segment_length(kv.block_size);

  int64_t total_tokens = 0;
  for (const auto& run : runs) total_tokens += std::max(run.n, 0);
  if (total_tokens == 0) return;

  // Tokens per tile: enough queries (group × tokens ≈ 16) for K/V reuse, but more tiles than
  // threads × 4 when a step is small, so the threads stay balanced. How tokens are grouped does not
  // change any result (attention.h), only speed.
  const int threads = std::max(1, num_threads());
  int32_t per_tile = std::max(1, 16 / group);
  while (per_tile > 1 && total_tokens * p.n_kv_heads / per_tile < 4 * threads) per_tile /= 2;

  thread_local std::vector<PlannedTile> plan;
  thread_local std::vector<Task> tasks;
  thread_local std::vector<float> states;
  plan.clear();
  tasks.clear();
  for (const auto& run : runs) {
    for (int32_t t0 = 0; t0 < run.n; t0 += per_tile) {
      const int32_t t1 = std::min(run.n, t0 + per_tile);
      const int32_t k0 = kernels::attention_lo(p, run.first_pos + t0), k1 = run.first_pos + t1;
      for (int32_t h = 0; h < p.n_kv_heads; ++h)
        plan.push_back({{&p, &kv, &run, h, t0, t1, k0, k1}, k0 / seg_len, (k1 - 1) / seg_len});
    }
  }
  // Few tiles (decode of few sequences): spread the segments of long ones over the threads too.
  const bool split_segments = threads > 1 && plan.size() < 2 * static_cast<size_t>(threads);
  size_t n_state_floats = 0;
  for (size_t i = 0; i < plan.size(); ++i) {
    PlannedTile& pt = plan[i];
    const auto& t = pt.tile;
    if (split_segments && pt.seg_last > pt.seg_first) {
      pt.split = true;
      pt.state_offset = n_state_floats;
      const int32_t nq = (t.t_end - t.t_begin) * group;
      n_state_floats += state_floats(nq, p.head_dim) * (pt.seg_last - pt.seg_first + 1);
      for (int32_t s = pt.seg_first; s <= pt.seg_last; ++s)
        tasks.push_back({static_cast<int32_t>(i), s, pairs(p, *t.run, t.t_begin, t.t_end, s * seg_len, (s + 1) * seg_len) * group});
    } else {
      tasks.push_back({static_cast<int32_t>(i), -1, pairs(p, *t.run, t.t_begin, t.t_end, t.key_begin, t.key_end) * group});
    }
  }
  states.resize(n_state_floats);
  // Largest first, claimed dynamically: costs grow with the position.
  std::stable_sort(tasks.begin(), tasks.end(), [](const Task& a, const Task& b) { return a.cost > b.cost; });

  const TileFn kernel = tile_kernel(p);
  // The thread_local vectors by reference: inside run_task on a worker their names would mean
  // that worker's own (empty) copies.
  const std::vector<PlannedTile>& tiles = plan;
  const std::vector<Task>& task_list = tasks;
  float* split_states = states.data();
  auto run_task = [&](size_t index) {
    const Task& task = task_list[index];
    const PlannedTile& pt = tiles[task.tile];
    kernels::AttentionTile seg = pt.tile;
    const int32_t nq = (seg.t_end - seg.t_begin) * group;
    if (task.segment >= 0) {  // one segment of a split tile, into its slot of `states`
      seg.key_begin = task.segment * seg_len;
      seg.key_end = seg.key_begin + seg_len;
      float* base = split_states + pt.state_offset + state_floats(nq, p.head_dim) * (task.segment - pt.seg_first);
      kernel(seg, state_at(base, nq));
      return;
    }
    thread_local std::vector<float> tot_buf, cur_buf;
    tot_buf.resize(state_floats(nq, p.head_dim));
    cur_buf.resize(state_floats(nq, p.head_dim));
    const kernels::AttentionState tot = state_at(tot_buf.data(), nq), cur = state_at(cur_buf.data(), nq);
    for (int32_t s = pt.seg_first; s <= pt.seg_last; ++s) {
      seg.key_begin = s * seg_len;
      seg.key_end = seg.key_begin + seg_len;
      kernel(seg, s == pt.seg_first ? tot : cur);
      if (s > pt.seg_first) merge(tot, cur, nq, hd);
    }
    normalize(pt.tile, tot);
  };
  if (threads == 1 || tasks.size() == 1) {
    for (size_t i = 0; i < tasks.size(); ++i) run_task(i);
  } else {
    kernel_pool().run_chunks(tasks.size(), threads, run_task);
  }
  // Split tiles: merge their segments in order (the same merges run_task does), then normalise.
  for (const PlannedTile& pt : tiles) {
    if (!pt.split) continue;
    const int32_t nq = (pt.tile.t_end - pt.tile.t_begin) * group;
    const size_t stride = state_floats(nq, p.head_dim);
    float* base = split_states + pt.state_offset;
    const kernels::AttentionState tot = state_at(base, nq);
    for (int32_t s = pt.seg_first + 1; s <= pt.seg_last; ++s)
      merge(tot, state_at(base + stride * (s - pt.seg_first), nq), nq, hd);
    normalize(pt.tile, tot);
  }
}

void store_kv_row(const float* src, size_t n, DType dtype, void* dst) {
  if (dtype == DType::kBF16) {
    uint16_t* out = static_cast<uint16_t*>(dst);
    for (size_t i = 0; i < n; ++i) out[i] = f32_to_bf16(src[i]);
    return;
  }
  G3_CHECK(dtype == DType::kF32);
  std::copy_n(src, n, static_cast<float*>(dst));
}

}  // namespace gemma3
