// Scheduler: decides, each step, which tokens of which sequences go into the one forward pass.
//
// Policy (continuous batching with chunked prefill):
//  - Running sequences, oldest first, each get their next tokens: 1 for a decoding sequence, a
//    chunk for one still in prefill. Decodes come first: a prefill chunk never takes budget that a
//    running decode of this step needs, so a long prompt never stalls streaming sequences.
//  - When the KV pools cannot hold a running sequence's next token, the newest running sequence is
//    preempted (blocks freed; it goes back to waiting and is recomputed later from its prompt and
//    generated tokens). The oldest sequence therefore always progresses.
//  - The budget left after the decodes goes to prompts (running ones still in prefill, and waiting
//    ones to admit), shortest remaining prompt first: in a burst of new chats the short ones reach
//    their first token without waiting behind long ones. Aging keeps that from starving anyone:
//    every step a sequence has waited since it was queued lowers its key by prefill_aging x the
//    step budget, so a long prompt overtakes fresh short ones after ~its length / (aging x budget)
//    steps. Ties go to the older sequence. Preempted sequences (their clients already have
//    tokens) come before all others, oldest first.
//  - Then, if nothing was preempted, waiting sequences are admitted in that order (one that does
//    not fit blocks those behind it, so the one at the front is never overtaken) while there is
//    budget, a free running slot, and room in the full pool for the whole remaining prompt.
//  - Speculative drafts (Sequence::n_draft) ride along with their sequence's decode token, all
//    verified in the same pass. They are optional: they take only budget that no other running
//    sequence's decode needs and only blocks that are free, and the scheduler trims (or drops)
//    what does not fit rather than preempting anyone for them. A preempted sequence loses its draft.
// The scheduler does not own sequences; it holds pointers until remove(). Engine thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "kv/batch.h"
#include "kv/block_manager.h"

namespace gemma3 {

// What the scheduler knows about a sequence. The engine derives its per-request state from this.
struct Sequence {
  int64_t id = 0;
  uint64_t arrival = 0;             // FCFS order; unique, increasing with submission
  std::vector<int32_t> tokens;      // prompt + generated; tokens[kv.n_computed..] are not in the cache
  int32_t n_prompt = 0;
  SeqKv kv;
  bool admitted_once = false;       // prefix-cache hits are counted at the first admission only
  int32_t n_cached_prompt = 0;      // prompt tokens reused from the prefix cache at first admission
  int32_t n_preemptions = 0;
  uint64_t queued_step = 0;         // the scheduler step at which it was added (prefill aging)
  // The last n_draft entries of `tokens` are a speculative draft, not yet part of the sequence: the
  // engine appends them before schedule() (only while exactly one real token is uncomputed) and
  // removes those the verifier rejects after the pass.
  int32_t n_draft = 0;

  int32_t n_uncomputed() const { return static_cast<int32_t>(tokens.size()) - kv.n_computed; }
  // Drops all but the first `keep` drafted tokens.
  void trim_draft(int32_t keep) {
    if (keep >= n_draft) return;
    tokens.resize(tokens.size() - static_cast<size_t>(n_draft - keep));
    n_draft = keep;
  }
};

struct SchedulerOptions {
  int32_t max_batch_tokens = 512;   // tokens per forward pass
  int32_t max_running = 64;         // sequences holding KV at once
  double prefill_aging = 0.5;       // see the policy above; 0 = pure shortest-remaining-first
};

struct ScheduledItem {
  Sequence* seq = nullptr;
  int32_t n_tokens = 0;             // tokens[kv.n_computed .. + n_tokens) this step
  bool want_logits = false;         // the chunk ends at the sequence's last token: sample after it
  int32_t n_draft = 0;              // the chunk's last n_draft tokens are a draft: logits at every
                                    // token from the decode token on (n_draft + 1 rows)
  int32_t n_rejected = 0;           // set by the engine before commit(): trailing drafted tokens whose
                                    // KV is dropped (the verifier rejected them)
  int32_t n_logit_rows() const { return want_logits ? n_draft + 1 : 0; }
};

struct ScheduledStep {
  std::vector<ScheduledItem> items;
  std::vector<BatchItem> batch;     // parallel to items; spans point into the sequences
  int32_t n_tokens = 0;
  int32_t n_logits = 0;             // logits rows: the sum of the items' n_logit_rows()
  std::vector<Sequence*> preempted; // sequences sent back to waiting by this step
  bool empty() const { return items.empty(); }
};

class Scheduler {
 public:
  Scheduler(BlockManager* kv, SchedulerOptions options);

  // Queues a new sequence (tokens = its prompt, holding no blocks).
  void add(Sequence* seq);
  // Drops a finished or cancelled sequence from whichever queue holds it and frees its blocks.
  void remove(Sequence* seq);

  // Builds the next step; allocates the blocks its tokens need. Empty when nothing can run.
  ScheduledStep schedule();
  // After the forward pass of `step`: marks its tokens computed, except each item's n_rejected
  // trailing drafted tokens (KV rollback: their positions are simply written again later), and lets
  // the block manager cache complete blocks and release sliding ones. The tokens up to each new
  // n_computed must be the ones the pass saw; later ones may already have changed.
  void commit(const ScheduledStep& step);

  const std::deque<Sequence*>& running() const { return running_; }
  const std::deque<Sequence*>& waiting() const { return waiting_; }
  bool idle() const { return running_.empty() && waiting_.empty(); }
  int64_t n_preemptions_total() const { return n_preemptions_total_; }
  int64_t n_prefix_hit_tokens_total() const { return n_prefix_hit_tokens_total_; }
  const SchedulerOptions& options() const { return options_; }

 private:
  void preempt(Sequence* seq, ScheduledStep* step);
  static void insert_by_arrival(std::deque<Sequence*>* queue, Sequence* seq);
  void emit(ScheduledStep* step, Sequence* seq, int32_t n_end);
  // Lower goes first: remaining prompt tokens minus the aging credit.
  double prefill_key(const Sequence* seq) const;
  bool prefill_before(const Sequence* a, const Sequence* b) const;

  BlockManager* kv_;
  SchedulerOptions options_;
  std::deque<Sequence*> running_;   // sorted by arrival (oldest first)
  std::deque<Sequence*> waiting_;   // sorted by arrival (oldest first)
  int64_t n_preemptions_total_ = 0;
  int64_t n_prefix_hit_tokens_total_ = 0;
  uint64_t n_steps_ = 0;            // schedule() calls so far
};

}  // namespace gemma3
