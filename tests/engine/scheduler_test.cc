// Scheduler + BlockManager driven by the auditing FakeRunner (no tokenizer, greedy argmax): chunked
// prefill under the token budget, decode progress, preemption under tiny pools, prefix sharing with
// a sliding window, removal freeing blocks, shortest-prompt-first admission with aging. Every output is compared with a
// reference computed straight from the fake model's logits, token by token, with no cache at all.
#include "engine/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>

#include "fake_runner.h"

namespace gemma3 {
namespace {

using testing::FakeRunner;
using testing::ItemLog;

constexpr int32_t kVocab = 50;

KvGeometry geometry(int32_t bs, int32_t n_full, int32_t n_sliding, int32_t window) {
  KvGeometry g;
  g.block_size = bs;
  g.n_full_blocks = n_full;
  g.n_sliding_blocks = n_sliding;
  g.sliding_window = window;
  g.max_context = 4096;
  return g;
}

int32_t argmax(const float* row) { return static_cast<int32_t>(std::max_element(row, row + kVocab) - row); }

// Greedy continuation computed without any cache.
std::vector<int32_t> reference(const FakeRunner& runner, std::vector<int32_t> tokens, int32_t n_new) {
  std::vector<int32_t> out;
  std::vector<float> row(kVocab);
  for (int32_t i = 0; i < n_new; ++i) {
    runner.logits_for(FakeRunner::history_hash(tokens), row.data());
    out.push_back(argmax(row.data()));
    tokens.push_back(out.back());
  }
  return out;
}

struct Driver {
  Driver(KvGeometry g, SchedulerOptions o, bool caching = true) : bm(g, caching), sched(&bm, o), runner(g, kVocab) {}

  Sequence* add(std::vector<int32_t> prompt, int32_t n_new) {
    auto s = std::make_unique<Sequence>();
    s->id = static_cast<int64_t>(seqs.size());
    s->arrival = seqs.size();
    s->n_prompt = static_cast<int32_t>(prompt.size());
    s->tokens = std::move(prompt);
    EXPECT_TRUE(bm.can_ever_fit(s->n_prompt + n_new));
    sched.add(s.get());
    n_new_[s.get()] = n_new;
    seqs.push_back(std::move(s));
    return seqs.back().get();
  }
  std::vector<int32_t> generated(const Sequence* s) const {
    return std::vector<int32_t>(s->tokens.begin() + s->n_prompt, s->tokens.end());
  }
  // One step; false when nothing ran.
  bool step() {
    ScheduledStep st = sched.schedule();
    if (st.empty()) return false;
    EXPECT_LE(st.n_tokens, sched.options().max_batch_tokens);
    std::vector<float> logits(static_cast<size_t>(st.n_logits) * kVocab);
    runner.run(st.batch, logits.data());
    sched.commit(st);
    int32_t row = 0;
    for (const ScheduledItem& it : st.items) {
      if (!it.want_logits) continue;
      Sequence* s = it.seq;
      s->tokens.push_back(argmax(logits.data() + static_cast<size_t>(row++) * kVocab));
      if (static_cast<int32_t>(s->tokens.size()) - s->n_prompt == n_new_[s]) {
        sched.remove(s);
        finished.push_back(s);
      }
    }
    ++n_steps;
    return true;
  }
  void run(int32_t max_steps = 100000) {
    while (!sched.idle() && n_steps < max_steps) {
      if (!step()) break;
    }
  }

  BlockManager bm;
  Scheduler sched;
  FakeRunner runner;
  std::vector<std::unique_ptr<Sequence>> seqs;
  std::map<const Sequence*, int32_t> n_new_;
  std::vector<Sequence*> finished;
  int32_t n_steps = 0;
};

std::vector<int32_t> random_tokens(std::mt19937* rng, int32_t n) {
  std::uniform_int_distribution<int32_t> d(0, kVocab - 1);
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (auto& x : t) x = d(*rng);
  return t;
}

void expect_all_match_reference(const Driver& d) {
  EXPECT_EQ(d.runner.errors(), std::vector<std::string>{});
  for (const auto& s : d.seqs) {
    std::vector<int32_t> prompt(s->tokens.begin(), s->tokens.begin() + s->n_prompt);
    EXPECT_EQ(d.generated(s.get()), reference(d.runner, prompt, d.n_new_.at(s.get()))) << "seq " << s->id;
  }
}

TEST(Scheduler, SingleSequenceMatchesReference) {
  Driver d(geometry(4, 64, 64, 8), {.max_batch_tokens = 8, .max_running = 4});
  std::mt19937 rng(1);
  d.add(random_tokens(&rng, 30), 20);
  d.run();
  ASSERT_EQ(d.finished.size(), 1u);
  expect_all_match_reference(d);
  EXPECT_EQ(d.bm.n_used_full(), 0);
  EXPECT_EQ(d.bm.n_used_sliding(), 0);
}

TEST(Scheduler, ChunkedPrefillRespectsBudgetAndDecodesProgressEveryStep) {
  Driver d(geometry(4, 256, 256, 16), {.max_batch_tokens = 16, .max_running = 8});
  std::mt19937 rng(2);
  for (int i = 0; i < 4; ++i) d.add(random_tokens(&rng, 5), 40);
  // Let the four short ones reach decode.
  for (int i = 0; i < 3; ++i) d.step();
  Sequence* longp = d.add(random_tokens(&rng, 150), 3);
  int32_t long_steps = 0;
  while (!d.sched.idle()) {
    std::vector<const Sequence*> decoding;
    for (const Sequence* s : d.sched.running()) {
      if (s->n_uncomputed() == 1) decoding.push_back(s);
    }
    const size_t before = d.runner.steps().size();
    ASSERT_TRUE(d.step());
    const auto steps = d.runner.steps();
    ASSERT_EQ(steps.size(), before + 1);
    const auto& last = steps.back();
    int32_t total = 0;
    for (const ItemLog& it : last) {
      total += it.n_tokens;
      if (it.seq_id == longp->id && it.n_tokens > 1) ++long_steps;
    }
    EXPECT_LE(total, 16);
    // Every sequence that was decoding before the step got its token in this step.
    for (const Sequence* s : decoding) {
      EXPECT_TRUE(std::any_of(last.begin(), last.end(), [&](const ItemLog& it) { return it.seq_id == s->id; }))
          << "decode of seq " << s->id << " stalled";
    }
  }
  EXPECT_GE(long_steps, 150 / 12);  // the long prompt was split into chunks of <= 16 - 4
  expect_all_match_reference(d);
}

TEST(Scheduler, PreemptionUnderTinyPoolKeepsOutputsIdentical) {
  // 12 sequences of up to 40 tokens each with room for ~2 at a time.
  Driver d(geometry(4, 24, 12, 8), {.max_batch_tokens = 32, .max_running = 12}, /*caching=*/false);
  std::mt19937 rng(3);
  for (int i = 0; i < 12; ++i) d.add(random_tokens(&rng, 6 + i), 25);
  d.run();
  EXPECT_EQ(d.finished.size(), 12u);
  EXPECT_GT(d.sched.n_preemptions_total(), 0);
  expect_all_match_reference(d);
  EXPECT_EQ(d.bm.n_used_full(), 0);
  EXPECT_EQ(d.bm.n_used_sliding(), 0);
}

TEST(Scheduler, PrefixSharingWithSlidingWindow) {
  Driver d(geometry(4, 128, 64, 6), {.max_batch_tokens = 64, .max_running = 8});
  std::mt19937 rng(4);
  const auto system = random_tokens(&rng, 37);
  auto with_suffix = [&](int32_t n) {
    auto t = system;
    auto s = random_tokens(&rng, n);
    t.insert(t.end(), s.begin(), s.end());
    return t;
  };
  d.add(with_suffix(5), 10);
  d.run();
  // Same system prompt, later: its blocks come from the cache.
  d.add(with_suffix(3), 10);
  d.add(with_suffix(9), 10);
  d.add(system, 10);  // the whole of it cached: still recomputes its last block's tail
  d.run();
  EXPECT_EQ(d.finished.size(), 4u);
  EXPECT_EQ(d.seqs[1]->n_cached_prompt, 36);
  EXPECT_EQ(d.seqs[2]->n_cached_prompt, 36);
  EXPECT_EQ(d.seqs[3]->n_cached_prompt, 36);  // 37 tokens: 36 reusable, the last is computed
  EXPECT_EQ(d.sched.n_prefix_hit_tokens_total(), 108);
  expect_all_match_reference(d);
}

TEST(Scheduler, RemoveFreesBlocksOfRunningAndWaiting) {
  Driver d(geometry(4, 32, 32, 8), {.max_batch_tokens = 16, .max_running = 2});
  std::mt19937 rng(5);
  Sequence* a = d.add(random_tokens(&rng, 20), 30);
  Sequence* b = d.add(random_tokens(&rng, 20), 30);
  Sequence* c = d.add(random_tokens(&rng, 20), 30);  // waits: max_running 2
  for (int i = 0; i < 5; ++i) d.step();
  EXPECT_EQ(d.sched.running().size(), 2u);
  EXPECT_GT(d.bm.n_used_full(), 0);
  d.sched.remove(a);
  d.sched.remove(c);
  d.sched.remove(b);
  EXPECT_TRUE(d.sched.idle());
  EXPECT_EQ(d.bm.n_used_full(), 0);
  EXPECT_EQ(d.bm.n_used_sliding(), 0);
}

// The step at which each sequence got its first generated token.
std::map<int64_t, int32_t> first_token_steps(Driver* d) {
  std::map<int64_t, int32_t> first;
  while (!d->sched.idle()) {
    EXPECT_TRUE(d->step());
    for (const auto& s : d->seqs) {
      if (static_cast<int32_t>(s->tokens.size()) > s->n_prompt && !first.count(s->id)) first[s->id] = d->n_steps;
    }
  }
  return first;
}

TEST(Scheduler, EqualPromptsAreAdmittedInArrivalOrder) {
  Driver d(geometry(4, 80, 80, 8), {.max_batch_tokens = 8, .max_running = 3});
  std::mt19937 rng(6);
  for (int i = 0; i < 10; ++i) d.add(random_tokens(&rng, 6), 5 + (i * 3) % 11);
  std::vector<int64_t> first_seen;
  while (!d.sched.idle()) {
    ASSERT_TRUE(d.step());
    const auto steps = d.runner.steps();
    for (const ItemLog& it : steps.back()) {
      if (std::find(first_seen.begin(), first_seen.end(), it.seq_id) == first_seen.end()) first_seen.push_back(it.seq_id);
    }
  }
  EXPECT_EQ(d.finished.size(), 10u);
  EXPECT_TRUE(std::is_sorted(first_seen.begin(), first_seen.end()));
  expect_all_match_reference(d);
}

// A burst of prompts of mixed lengths arriving together: the shorter ones reach their first token
// first (without aging, strictly by length), and every output still equals the reference.
TEST(Scheduler, BurstServesShortestPromptsFirst) {
  Driver d(geometry(4, 400, 400, 8), {.max_batch_tokens = 16, .max_running = 16, .prefill_aging = 0});
  std::mt19937 rng(9);
  const int32_t lengths[] = {60, 5, 33, 12, 48, 7, 25, 90};
  for (int32_t n : lengths) d.add(random_tokens(&rng, n), 4);
  const auto first = first_token_steps(&d);
  ASSERT_EQ(first.size(), 8u);
  for (int a = 0; a < 8; ++a) {
    for (int b = 0; b < 8; ++b) {
      if (lengths[a] < lengths[b]) EXPECT_LE(first.at(a), first.at(b)) << lengths[a] << " vs " << lengths[b];
    }
  }
  // FCFS would have given the 5-token prompt its first token only after the 60-token one.
  EXPECT_LT(first.at(1), first.at(0));
  expect_all_match_reference(d);
}

// A preempted sequence (its client already has tokens) resumes before shorter newcomers.
TEST(Scheduler, PreemptedSequencesResumeFirst) {
  Driver d(geometry(4, 400, 400, 8), {.max_batch_tokens = 16, .max_running = 16, .prefill_aging = 0});
  std::mt19937 rng(12);
  Sequence* resumed = d.add(random_tokens(&rng, 60), 3);
  resumed->n_preemptions = 1;  // as if sent back to waiting after streaming
  for (int i = 0; i < 4; ++i) d.add(random_tokens(&rng, 5), 3);
  const auto first = first_token_steps(&d);
  for (int i = 1; i <= 4; ++i) EXPECT_LT(first.at(0), first.at(i)) << i;
  expect_all_match_reference(d);
}

// A long prompt under a steady stream of short ones: with aging it still finishes its prefill in a
// bounded number of steps; without aging (pure shortest-first) it would wait for the stream to end.
TEST(Scheduler, AgingBoundsTheWaitOfALongPrompt) {
  for (double aging : {0.0, 0.5}) {
    Driver d(geometry(4, 2000, 2000, 8), {.max_batch_tokens = 16, .max_running = 64, .prefill_aging = aging});
    std::mt19937 rng(11);
    Sequence* longp = d.add(random_tokens(&rng, 64), 2);
    int32_t long_first = -1;
    for (int32_t step = 0; step < 400 && !d.sched.idle(); ++step) {
      if (step < 200) {
        for (int k = 0; k < 2; ++k) d.add(random_tokens(&rng, 8), 1);  // 16 prompt tokens a step: the whole budget
      }
      ASSERT_TRUE(d.step());
      if (long_first < 0 && static_cast<int32_t>(longp->tokens.size()) > longp->n_prompt) long_first = d.n_steps;
    }
    if (aging > 0) {
      // Its key falls 8 per step, so it leads within 64/8 + 1 steps, then takes 64/16 steps.
      EXPECT_GE(long_first, 1);
      EXPECT_LE(long_first, 64 / 8 + 64 / 16 + 2);
    } else {
      EXPECT_GT(long_first, 200);  // only once the stream of short prompts ends
    }
  }
}

// Random mix of prompts with shared prefixes, pool sizes, budgets and cancellations: outputs of
// the survivors always equal the reference, the runner never sees corrupt KV, no block leaks.
TEST(Scheduler, RandomisedStress) {
  for (uint32_t seed = 10; seed < 40; ++seed) {
    std::mt19937 rng(seed);
    const int32_t bs = 1 + static_cast<int32_t>(rng() % 8);
    const int32_t window = 1 + static_cast<int32_t>(rng() % 24);
    const int32_t n_full = 40 + static_cast<int32_t>(rng() % 80);
    const int32_t n_sliding = (window + bs - 2) / bs + 2 + static_cast<int32_t>(rng() % 30);
    const SchedulerOptions o{.max_batch_tokens = 4 + static_cast<int32_t>(rng() % 40), .max_running = 1 + static_cast<int32_t>(rng() % 10)};
    Driver d(geometry(bs, n_full, n_sliding, window), o, /*caching=*/rng() % 4 != 0);
    const auto shared = random_tokens(&rng, 5 + static_cast<int32_t>(rng() % 30));
    std::vector<Sequence*> cancelled;
    for (int i = 0; i < 16; ++i) {
      auto t = rng() % 2 ? shared : std::vector<int32_t>{};
      auto s = random_tokens(&rng, 1 + static_cast<int32_t>(rng() % 30));
      t.insert(t.end(), s.begin(), s.end());
      const int32_t n_new = 1 + static_cast<int32_t>(rng() % 20);
      if (static_cast<int32_t>(t.size()) + n_new > n_full * bs) t.resize(static_cast<size_t>(n_full * bs - n_new));
      d.add(t, n_new);
    }
    while (!d.sched.idle()) {
      ASSERT_TRUE(d.step()) << "seed " << seed << ": stuck";
      if (rng() % 25 == 0) {  // cancel a random live sequence
        std::vector<Sequence*> live(d.sched.running().begin(), d.sched.running().end());
        live.insert(live.end(), d.sched.waiting().begin(), d.sched.waiting().end());
        if (!live.empty()) {
          Sequence* victim = live[rng() % live.size()];
          d.sched.remove(victim);
          cancelled.push_back(victim);
        }
      }
    }
    EXPECT_EQ(d.finished.size() + cancelled.size(), 16u) << "seed " << seed;
    EXPECT_EQ(d.runner.errors(), std::vector<std::string>{}) << "seed " << seed;
    for (const Sequence* s : d.finished) {
      std::vector<int32_t> prompt(s->tokens.begin(), s->tokens.begin() + s->n_prompt);
      EXPECT_EQ(d.generated(s), reference(d.runner, prompt, d.n_new_.at(s))) << "seed " << seed << " seq " << s->id;
    }
    EXPECT_EQ(d.bm.n_used_full(), 0) << "seed " << seed;
    EXPECT_EQ(d.bm.n_used_sliding(), 0) << "seed " << seed;
  }
}

}  // namespace
}  // namespace gemma3
