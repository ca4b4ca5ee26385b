// Cost of the engine's bookkeeping per step, without a model: schedule + commit for N decoding
// sequences (each step appends one token to each), and prefix matching of a long prompt. These
// bound the CPU time the engine thread spends outside the forward pass.
#include <benchmark/benchmark.h>

#include <memory>
#include <numeric>
#include <vector>

#include "engine/scheduler.h"
#include "kv/block_manager.h"

namespace gemma3 {
namespace {

KvGeometry geometry_270m(int32_t n_blocks) {
  KvGeometry g;
  g.block_size = 16;
  g.n_full_blocks = n_blocks;
  g.n_sliding_blocks = n_blocks;
  g.sliding_window = 512;
  g.max_context = 32768;
  return g;
}

void BM_DecodeStep(benchmark::State& state) {
  const int32_t n_seqs = static_cast<int32_t>(state.range(0));
  BlockManager bm(geometry_270m(1 << 16), true);
  Scheduler sched(&bm, SchedulerOptions{.max_batch_tokens = 4096, .max_running = 256});
  std::vector<std::unique_ptr<Sequence>> seqs;
  for (int32_t i = 0; i < n_seqs; ++i) {
    auto s = std::make_unique<Sequence>();
    s->id = i;
    s->arrival = static_cast<uint64_t>(i);
    s->tokens.resize(200);
    std::iota(s->tokens.begin(), s->tokens.end(), i * 1000);
    s->n_prompt = 200;
    sched.add(s.get());
    seqs.push_back(std::move(s));
  }
  // Prefill everything once.
  while (true) {
    ScheduledStep st = sched.schedule();
    sched.commit(st);
    bool all_decoding = true;
    for (auto& s : seqs) {
      if (s->kv.n_computed == static_cast<int32_t>(s->tokens.size())) s->tokens.push_back(7);
      all_decoding = all_decoding && s->n_uncomputed() == 1;
    }
    if (all_decoding) break;
  }
  for (auto _ : state) {
    ScheduledStep st = sched.schedule();
    sched.commit(st);
    for (const ScheduledItem& it : st.items) {
      if (it.want_logits) it.seq->tokens.push_back(7);
    }
    benchmark::DoNotOptimize(st.n_tokens);
  }
  state.SetItemsProcessed(state.iterations() * n_seqs);
}
// A fixed iteration count keeps every sequence within its pool (no preemption in the timing).
BENCHMARK(BM_DecodeStep)->Arg(1)->Arg(16)->Arg(64)->Arg(256)->Iterations(2000);

void BM_MatchPrefix(benchmark::State& state) {
  const int32_t n = static_cast<int32_t>(state.range(0));
  BlockManager bm(geometry_270m(4096), true);
  std::vector<int32_t> tokens(static_cast<size_t>(n) + 1);
  std::iota(tokens.begin(), tokens.end(), 5);
  SeqKv s;
  bm.append(&s, n);
  bm.commit(&s, tokens, n);
  for (auto _ : state) benchmark::DoNotOptimize(bm.match_prefix(tokens));
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_MatchPrefix)->Arg(512)->Arg(8192);

}  // namespace
}  // namespace gemma3
