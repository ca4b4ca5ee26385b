#include "engine/scheduler.h"

#include <algorithm>
#include <unordered_map>

#include "util/check.h"

namespace gemma3 {

Scheduler::Scheduler(BlockManager* kv, SchedulerOptions options) : kv_(kv), options_(options) {
  G3_CHECK(options_.max_batch_tokens > 0 && options_.max_running > 0);
}

void Scheduler::insert_by_arrival(std::deque<Sequence*>* queue, Sequence* seq) {
  auto it = std::upper_bound(queue->begin(), queue->end(), seq,
                             [](const Sequence* a, const Sequence* b) { return a->arrival < b->arrival; });
  queue->insert(it, seq);
}

void Scheduler::add(Sequence* seq) {
  G3_CHECK(seq->kv.n_computed == 0 && seq->kv.full_blocks.empty() && seq->kv.sliding_blocks.empty());
  seq->queued_step = n_steps_;
  insert_by_arrival(&waiting_, seq);
}

double Scheduler::prefill_key(const Sequence* seq) const {
  const double waited = static_cast<double>(n_steps_ - seq->queued_step);
  return static_cast<double>(seq->n_uncomputed()) - options_.prefill_aging * options_.max_batch_tokens * waited;
}

bool Scheduler::prefill_before(const Sequence* a, const Sequence* b) const {
  // A preempted sequence has already streamed to its client: it resumes before any newcomer, in
  // arrival order, or it could wait behind every shorter prompt while its stream stalls.
  const bool pa = a->n_preemptions > 0, pb = b->n_preemptions > 0;
  if (pa != pb) return pa;
  if (pa) return a->arrival < b->arrival;
  const double ka = prefill_key(a), kb = prefill_key(b);
  return ka != kb ? ka < kb : a->arrival < b->arrival;
}

void Scheduler::remove(Sequence* seq) {
  if (auto it = std::find(running_.begin(), running_.end(), seq); it != running_.end()) running_.erase(it);
  if (auto it = std::find(waiting_.begin(), waiting_.end(), seq); it != waiting_.end()) waiting_.erase(it);
  kv_->deallocate(&seq->kv);
}

void Scheduler::preempt(Sequence* seq, ScheduledStep* step) {
  auto it = std::find(running_.begin(), running_.end(), seq);
  G3_CHECK(it != running_.end());
  running_.erase(it);
  kv_->deallocate(&seq->kv);  // n_computed = 0: everything is recomputed on readmission
  seq->trim_draft(0);         // a draft is never recomputed as if it were the sequence's text
  ++seq->n_preemptions;
  ++n_preemptions_total_;
  insert_by_arrival(&waiting_, seq);
  step->preempted.push_back(seq);
}

void Scheduler::emit(ScheduledStep* step, Sequence* seq, int32_t n_end) {
  kv_->append(&seq->kv, n_end);
  ScheduledItem item;
  item.seq = seq;
  item.n_tokens = n_end - seq->kv.n_computed;
  item.want_logits = n_end == static_cast<int32_t>(seq->tokens.size());
  item.n_draft = seq->n_draft;
  G3_CHECK(item.n_draft == 0 || (item.want_logits && item.n_tokens == item.n_draft + 1));
  step->items.push_back(item);
  step->n_tokens += item.n_tokens;
  step->n_logits += item.n_logit_rows();
}

ScheduledStep Scheduler::schedule() {
  ScheduledStep step;
  int32_t budget = options_.max_batch_tokens;

  ++n_steps_;

  // Decodes not yet served this step; a prefill chunk leaves budget for them.
  int32_t pending_decodes = 0;
  for (const Sequence* s : running_) pending_decodes += s->n_uncomputed() - s->n_draft == 1 ? 1 : 0;

  // The prompt budget, granted shortest-remaining-first over running prefills and the waiting
  // sequences that have a running slot to go to. A waiting sequence's grant only holds budget back
  // from lower-priority running prefills; admission below then spends what is left in that order.
  std::vector<std::pair<Sequence*, bool>> by_priority;  // (sequence, is running)
  for (Sequence* s : running_) {
    if (s->n_uncomputed() - s->n_draft > 1) by_priority.emplace_back(s, true);
  }
  std::vector<Sequence*> admission_order(waiting_.begin(), waiting_.end());
  std::stable_sort(admission_order.begin(), admission_order.end(),
                   [this](const Sequence* a, const Sequence* b) { return prefill_before(a, b); });
  const size_t free_slots = static_cast<size_t>(std::max<int64_t>(0, options_.max_running - static_cast<int64_t>(running_.size())));
  for (size_t k = 0; k < std::min(free_slots, admission_order.size()); ++k) by_priority.emplace_back(admission_order[k], false);
  std::stable_sort(by_priority.begin(), by_priority.end(),
                   [this](const auto& a, const auto& b) { return prefill_before(a.first, b.first); });
  std::unordered_map<const Sequence*, int32_t> grant;  // running prefills only
  int32_t reserved = 0;                                 // granted to running prefills, not yet emitted
  int32_t avail = std::max(0, budget - pending_decodes);
  for (const auto& [s, is_running] : by_priority) {
    const int32_t g = std::min(s->n_uncomputed(), avail);
    avail -= g;
    if (is_running) {
      grant[s] = g;
      reserved += g;
    }
  }
  auto take_grant = [&](const Sequence* s) {
    auto it = grant.find(s);
    if (it == grant.end()) return 0;
    const int32_t g = it->second;
    reserved -= g;
    grant.erase(it);
    return g;
  };

  // Running sequences, oldest first. Victims come from the back, so they are never sequences
  // already scheduled in this step (those are in front of index i).
  for (size_t i = 0; i < running_.size();) {
    Sequence* seq = running_[i];
    const int32_t remaining = seq->n_uncomputed() - seq->n_draft;  // real tokens not in the cache
    G3_CHECK(remaining >= 1 && (seq->n_draft == 0 || remaining == 1));
    const bool decode = remaining == 1;
    if (decode) --pending_decodes;
    int32_t cap = decode ? budget : budget - pending_decodes;
    if (!decode) cap = std::min(cap, take_grant(seq));
    if (cap <= 0) {
      seq->trim_draft(0);
      ++i;
      continue;
    }
    // A draft gets what is left once every other decode of the step has its token and the prompts
    // their grants.
    seq->trim_draft(std::max(0, budget - pending_decodes - reserved - 1));
    int32_t n_end = kv_->max_appendable(seq->kv, seq->kv.n_computed + std::min(remaining, cap) + seq->n_draft);
    if (decode) seq->trim_draft(std::max(0, n_end - seq->kv.n_computed - 1));  // only what the free blocks hold
    const int32_t want_end = seq->kv.n_computed + std::min(remaining, cap) + seq->n_draft;
    bool self_preempted = false;
    while (n_end == seq->kv.n_computed) {
      Sequence* victim = running_.back();
      if (victim != seq && victim->n_uncomputed() - victim->n_draft == 1) --pending_decodes;
      take_grant(victim);
      preempt(victim, &step);
      if (victim == seq) {
        self_preempted = true;
        break;
      }
      n_end = kv_->max_appendable(seq->kv, want_end);
    }
    if (self_preempted) break;  // seq was the newest: nothing after it is left
    emit(&step, seq, n_end);
    budget = options_.max_batch_tokens - step.n_tokens;
    ++i;
  }

  // Admission in priority order, only when this step preempted nothing (the pools are not under
  // pressure). admission_order may hold sequences preempted in this step: the loop never starts then.
  for (size_t next = 0; step.preempted.empty() && next < admission_order.size() && budget > 0 &&
                        static_cast<int32_t>(running_.size()) < options_.max_running; ++next) {
    Sequence* seq = admission_order[next];
    const int32_t reused = kv_->allocate_prefix(&seq->kv, seq->tokens);
    const int32_t remaining = seq->n_uncomputed();
    const int32_t total = static_cast<int32_t>(seq->tokens.size());
    // The whole remaining sequence (plus the next token) must fit the full pool now, or the
    // newcomer would only be preempted again; its first chunk must fit both pools.
    const BlockCount whole = kv_->blocks_needed(seq->kv, total + 1);
    const int32_t n_end = kv_->max_appendable(seq->kv, seq->kv.n_computed + std::min(remaining, budget));
    if (whole.full > kv_->n_free_full() || n_end == seq->kv.n_computed) {
      kv_->deallocate(&seq->kv);
      break;
    }
    if (!seq->admitted_once) {
      seq->admitted_once = true;
      seq->n_cached_prompt = std::min(reused, seq->n_prompt);
      n_prefix_hit_tokens_total_ += seq->n_cached_prompt;
    }
    waiting_.erase(std::find(waiting_.begin(), waiting_.end(), seq));
    insert_by_arrival(&running_, seq);
    emit(&step, seq, n_end);
    budget = options_.max_batch_tokens - step.n_tokens;
  }

  // Spans are built last: every table of a scheduled sequence is final by now.
  step.batch.reserve(step.items.size());
  for (const ScheduledItem& item : step.items) {
    const Sequence* seq = item.seq;
    BatchItem b;
    b.seq_id = seq->id;
    b.first_pos = seq->kv.n_computed;
    b.tokens = std::span<const int32_t>(seq->tokens).subspan(static_cast<size_t>(b.first_pos), static_cast<size_t>(item.n_tokens));
    b.full_blocks = seq->kv.full_blocks;
    b.sliding_blocks = seq->kv.sliding_blocks;
    b.want_logits = item.want_logits;
    b.want_all_logits = item.n_draft > 0;  // the item is the decode token and its draft
    step.batch.push_back(b);
  }
  return step;
}

void Scheduler::commit(const ScheduledStep& step) {
  for (const ScheduledItem& item : step.items) {
    Sequence* seq = item.seq;
    G3_CHECK(item.n_rejected >= 0 && item.n_rejected <= item.n_draft);
    kv_->commit(&seq->kv, seq->tokens, seq->kv.n_computed + item.n_tokens - item.n_rejected);
  }
}

}  // namespace gemma3
