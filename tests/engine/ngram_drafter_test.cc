// Prompt-lookup drafting and the adaptive draft length.
#include "engine/ngram_drafter.h"

#include <gtest/gtest.h>

namespace gemma3 {
namespace {

std::vector<int32_t> draft(const std::vector<int32_t>& context, int32_t max, NgramOptions o = {}) {
  std::vector<int32_t> out = {99};  // cleared by the call
  propose_ngram_draft(context, max, o, &out);
  return out;
}

TEST(NgramDraft, ProposesWhatFollowedTheMostRecentMatch) {
  // Suffix "1 2" occurs at 0 (followed by 3 4) and at 5 (followed by 7 8): the recent one wins.
  EXPECT_EQ(draft({1, 2, 3, 4, 0, 1, 2, 7, 8, 5, 1, 2}, 2), (std::vector<int32_t>{7, 8}));
}

TEST(NgramDraft, LongerSuffixWinsOverMoreRecentShorterOne) {
  // "5 1 2" occurred once (followed by 9); "1 2" alone more recently (followed by 7).
  EXPECT_EQ(draft({5, 1, 2, 9, 0, 1, 2, 7, 3, 5, 1, 2}, 1), (std::vector<int32_t>{9}));
  NgramOptions bigrams;
  bigrams.max_ngram = 2;
  EXPECT_EQ(draft({5, 1, 2, 9, 0, 1, 2, 7, 3, 5, 1, 2}, 1, bigrams), (std::vector<int32_t>{7}));
}

TEST(NgramDraft, LoopsAreExtendedThroughTheProposal) {
  // Period 3: the continuation runs past the context's end and keeps looping.
  EXPECT_EQ(draft({4, 5, 6, 4, 5, 6, 4}, 7), (std::vector<int32_t>{5, 6, 4, 5, 6, 4, 5}));
  // Period 1.
  EXPECT_EQ(draft({8, 3, 3}, 4), (std::vector<int32_t>{3, 3, 3, 3}));
}

TEST(NgramDraft, NothingWithoutAMatchOrRoom) {
  EXPECT_TRUE(draft({1, 2, 3, 4, 5}, 4).empty());
  EXPECT_TRUE(draft({}, 4).empty());
  EXPECT_TRUE(draft({7}, 4).empty());
  EXPECT_TRUE(draft({1, 2, 1}, 0).empty());
  NgramOptions o;
  o.min_ngram = 2;  // only the unigram "1" repeats
  EXPECT_TRUE(draft({1, 2, 3, 1}, 3, o).empty());
  EXPECT_EQ(draft({1, 2, 3, 1}, 3), (std::vector<int32_t>{2, 3, 1}));
}

TEST(NgramDraft, LookbackBoundsTheSearch) {
  NgramOptions o;
  o.max_lookback = 4;
  EXPECT_TRUE(draft({1, 2, 9, 9, 9, 9, 1}, 2, o).empty());
  o.max_lookback = 7;
  EXPECT_EQ(draft({1, 2, 9, 9, 9, 9, 1}, 2, o), (std::vector<int32_t>{2, 9}));
}

TEST(DraftController, GrowsOnFullAcceptanceAndFollowsPartialOnes) {
  DraftController c(12);
  EXPECT_EQ(c.length_for_step(), DraftController::kInitialLength);
  c.record(4, 4);
  EXPECT_EQ(c.length_for_step(), 6);
  c.record(6, 6);
  EXPECT_EQ(c.length_for_step(), 9);
  c.record(9, 9);
  EXPECT_EQ(c.length_for_step(), 12);
  c.record(12, 12);
  EXPECT_EQ(c.length_for_step(), 12);  // capped
  c.record(12, 2);
  EXPECT_EQ(c.length_for_step(), 3);
}

TEST(DraftController, BacksOffExponentiallyAfterRejectionsAndRecovers) {
  DraftController c(8);
  // Count the steps skipped after each of several total rejections: 1, 2, 4, ... up to the cap.
  std::vector<int32_t> skipped;
  for (int round = 0; round < 8; ++round) {
    c.record(1, 0);
    int32_t n = 0;
    while (c.length_for_step() == 0) ++n;
    skipped.push_back(n);
  }
  EXPECT_EQ(skipped, (std::vector<int32_t>{1, 2, 4, 8, 16, 32, 32, 32}));
  // After a rejection the length is 1; an accepted token ends the back-off at once.
  c.record(1, 1);
  EXPECT_EQ(c.length_for_step(), 3);
  c.record(3, 0);
  EXPECT_EQ(c.length_for_step(), 0);
  EXPECT_EQ(c.length_for_step(), 1);
}

TEST(DraftController, ZeroMaximumNeverDrafts) {
  DraftController c(0);
  EXPECT_EQ(c.length_for_step(), 0);
  c.record(1, 1);
  EXPECT_EQ(c.length_for_step(), 0);
}

}  // namespace
}  // namespace gemma3
