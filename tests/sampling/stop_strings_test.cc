// StopStringMatcher: matches across pushes, overlapping prefixes, several stop strings, UTF-8.
#include "sampling/stop_strings.h"

#include <gtest/gtest.h>

namespace gemma3 {
namespace {

// Pushes each chunk, returns everything emitted (then flush when not stopped) and whether it stopped.
std::pair<std::string, bool> run(StopStringMatcher& m, const std::vector<std::string>& chunks) {
  std::string out;
  bool stopped = false;
  for (const auto& c : chunks) {
    auto o = m.push(c);
    out += o.text;
    stopped = o.stopped;
    if (stopped) break;
  }
  if (!stopped) out += m.flush();
  return {out, stopped};
}

TEST(StopStrings, NoStopsPassesThrough) {
  StopStringMatcher m({});
  EXPECT_EQ(m.push("hello").text, "hello");
  EXPECT_EQ(m.push(" world").text, " world");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopStrings, EmptyStopStringIgnored) {
  StopStringMatcher m({""});
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.push("abc").text, "abc");
}

TEST(StopStrings, MatchInOnePush) {
  StopStringMatcher m({"STOP"});
  auto o = m.push("hello STOP world");
  EXPECT_EQ(o.text, "hello ");
  EXPECT_TRUE(o.stopped);
  auto after = m.push("more");
  EXPECT_EQ(after.text, "");
  EXPECT_TRUE(after.stopped);
  EXPECT_EQ(m.flush(), "");
}

TEST(StopStrings, HoldsBackPossiblePrefix) {
  StopStringMatcher m({"</answer>"});
  auto o = m.push("the answer is 42</ans");
  EXPECT_EQ(o.text, "the answer is 42");
  EXPECT_FALSE(o.stopped);
  o = m.push("wer> trailing");
  EXPECT_EQ(o.text, "");
  EXPECT_TRUE(o.stopped);
}

TEST(StopStrings, ReleasesFalseStart) {
  StopStringMatcher m({"</answer>"});
  EXPECT_EQ(m.push("a</an").text, "a");
  EXPECT_EQ(m.push("d b").text, "</and b");
  EXPECT_EQ(m.push("</").text, "");
  EXPECT_EQ(m.flush(), "</");
}

TEST(StopStrings, SplitAcrossManyPushes) {
  StopStringMatcher m({"<|end|>"});
  std::vector<std::string> chunks;
  for (char c : std::string("Hello <|en<|end|> ignored")) chunks.emplace_back(1, c);
  auto [out, stopped] = run(m, chunks);
  EXPECT_EQ(out, "Hello <|en");
  EXPECT_TRUE(stopped);
}

TEST(StopStrings, OverlappingPrefixes) {
  // "aab" after "aaa...": the held suffix must be the longest prefix, so the match starting one
  // byte later is still found.
  StopStringMatcher m({"aab"});
  auto [out, stopped] = run(m, {"xa", "a", "a", "a", "b", "z"});
  EXPECT_EQ(out, "xaa");
  EXPECT_TRUE(stopped);

  StopStringMatcher m2({"abab"});
  auto [out2, stopped2] = run(m2, {"ab", "a", "b", "ab"});
  EXPECT_EQ(out2, "");
  EXPECT_TRUE(stopped2);

  StopStringMatcher m3({"abab"});
  auto [out3, stopped3] = run(m3, {"aba", "cabab"});
  EXPECT_EQ(out3, "abac");
  EXPECT_TRUE(stopped3);
}

TEST(StopStrings, MultipleStopStringsEarliestWins) {
  StopStringMatcher m({"world", "lo w", "xyz"});
  auto o = m.push("hello world");
  EXPECT_EQ(o.text, "hel");
  EXPECT_TRUE(o.stopped);

  // One stop string is a prefix of another: the shorter matches first, same start.
  StopStringMatcher m2({"ab", "abc"});
  auto [out, stopped] = run(m2, {"x", "a", "bc"});
  EXPECT_EQ(out, "x");
  EXPECT_TRUE(stopped);

  // Hold back for the longer candidate only as long as needed.
  StopStringMatcher m3({"\n\n", "User:"});
  EXPECT_EQ(m3.push("line\n").text, "line");
  EXPECT_EQ(m3.push("Us").text, "\n");
  EXPECT_EQ(m3.push("er").text, "");
  auto o3 = m3.push(": hi");
  EXPECT_EQ(o3.text, "");
  EXPECT_TRUE(o3.stopped);
}

TEST(StopStrings, MultiByteUtf8) {
  StopStringMatcher m({"停止", "🛑"});
  // "停" = E5 81 9C, "止" = E6 AD A2; split mid-character.
  auto [out, stopped] = run(m, {"好\xe5\x81", "\x9c\xe6", "\xad\xa2后"});
  EXPECT_EQ(out, "好");
  EXPECT_TRUE(stopped);

  StopStringMatcher m2({"🛑"});  // F0 9F 9B 91
  auto o = m2.push("ok\xf0\x9f");
  EXPECT_EQ(o.text, "ok");
  o = m2.push("\x9b\x91");
  EXPECT_EQ(o.text, "");
  EXPECT_TRUE(o.stopped);
}

TEST(StopStrings, HoldsIncompleteUtf8) {
  StopStringMatcher m({"zzz"});
  // "é" = C3 A9, "日" = E6 97 A5, arriving byte by byte: nothing half-formed is emitted.
  EXPECT_EQ(m.push("a\xc3").text, "a");
  EXPECT_EQ(m.push("\xa9\xe6").text, "\xc3\xa9");
  EXPECT_EQ(m.push("\x97").text, "");
  EXPECT_EQ(m.push("\xa5").text, "\xe6\x97\xa5");
  // A truncated sequence at the very end is still released by flush.
  EXPECT_EQ(m.push("\xf0\x9f").text, "");
  EXPECT_EQ(m.flush(), "\xf0\x9f");
  // Stray continuation bytes are not waited on.
  StopStringMatcher m2({});
  EXPECT_EQ(m2.push("x\x80\x80\x80").text, "x\x80\x80\x80");
}

TEST(StopStrings, StopAtVeryStart) {
  StopStringMatcher m({"###"});
  auto o = m.push("###");
  EXPECT_EQ(o.text, "");
  EXPECT_TRUE(o.stopped);
}

}  // namespace
}  // namespace gemma3
