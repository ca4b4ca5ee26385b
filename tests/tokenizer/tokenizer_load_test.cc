// Loading tokenizer.json: the streaming scan of model.vocab / model.merges (tokenizer_json_scan.h)
// on both member orders (vocab before merges, as HF writes it, and merges first, as a key-sorted
// dump does), escaped strings, large merge lists that are resolved on two threads
// (merge_resolver.h), and the errors of malformed files. Every expected id follows from how the
// test builds its vocab.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tokenizer/tokenizer.h"

namespace gemma3 {
namespace {

using Ids = std::vector<int32_t>;
using nlohmann::json;

std::filesystem::path write_temp(const std::string& text) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto dir = std::filesystem::temp_directory_path() /
                   ("gemma3_tokenizer_load_test_" + std::to_string(::getpid()) + "_" + info->name());
  std::filesystem::create_directories(dir);
  const auto path = dir / "tokenizer.json";
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

Result<std::unique_ptr<Tokenizer>> load_text(const std::string& text) {
  const auto path = write_temp(text);
  auto t = Tokenizer::load_files(path, {});
  std::filesystem::remove_all(path.parent_path());
  return t;
}

// A tokenizer.json with the members in the order given (HF writes vocab before merges).
std::string tokenizer_text(const std::string& vocab, const std::string& merges, bool vocab_first = true,
                           const std::string& extra_model = "") {
  std::string model = R"({"type": "BPE", "dropout": null, "unk_token": null, "fuse_unk": false, "byte_fallback": false)" + extra_model;
  model += vocab_first ? ", \"vocab\": " + vocab + ", \"merges\": " + merges : ", \"merges\": " + merges + ", \"vocab\": " + vocab;
  model += "}";
  return R"({"version": "1.0", "added_tokens": [], "normalizer": null, "pre_tokenizer": null,
             "decoder": {"type": "Fuse"}, "model": )" +
         model + "}";
}

// 16 letters a..p; every string of length 1-4 over them is a token: id = its index in this order.
// Merges: (x, y) for every pair, then (xy, z), then (wx, yz): 256 + 4,096 + 65,536 = 69,888, enough
// to be resolved on two threads. "abcd": (a, b) has the lowest rank, then (c, d), then (ab, cd).
struct Letters {
  json vocab = json::object();
  json merges = json::array();
  std::vector<std::string> tokens;
  int32_t id(const std::string& s) const {
    return static_cast<int32_t>(std::find(tokens.begin(), tokens.end(), s) - tokens.begin());
  }
  Letters() {
    std::vector<std::string> by_len[5];
    by_len[0] = {""};
    for (int len = 1; len <= 4; ++len) {
      for (const auto& prefix : by_len[len - 1]) {
        for (char c = 'a'; c <= 'p'; ++c) by_len[len].push_back(prefix + c);
      }
      for (const auto& t : by_len[len]) {
        vocab[t] = static_cast<int>(tokens.size());
        tokens.push_back(t);
      }
    }
    for (const auto& t : by_len[2]) merges.push_back(json::array({t.substr(0, 1), t.substr(1)}));
    for (const auto& t : by_len[3]) merges.push_back(json::array({t.substr(0, 2), t.substr(2)}));
    for (const auto& t : by_len[4]) merges.push_back(json::array({t.substr(0, 2), t.substr(2)}));
  }
};

TEST(TokenizerLoad, VocabBeforeOrAfterMergesGiveTheSameTokenizer) {
  const Letters l;
  for (bool vocab_first : {true, false}) {
    auto t = load_text(tokenizer_text(l.vocab.dump(), l.merges.dump(), vocab_first));
    ASSERT_TRUE(t.ok()) << t.error();
    EXPECT_EQ((*t)->bpe_model().n_merges(), 69888u);
    EXPECT_EQ((*t)->encode("abcd"), (Ids{l.id("abcd")})) << vocab_first;
    EXPECT_EQ((*t)->encode("abcdpo"), (Ids{l.id("abcd"), l.id("po")})) << vocab_first;
    EXPECT_EQ((*t)->token_piece(l.id("pona")), "pona");
  }
}

TEST(TokenizerLoad, RepeatedMergeKeepsTheLaterRankAcrossChunks) {
  Letters l;
  l.merges.push_back(json::array({"a", "b"}));  // (a, b) again, now the last rank
  // Now (b, c) comes first: a | bc | d -> a | bcd (there is no merge (a, bcd)).
  auto t = load_text(tokenizer_text(l.vocab.dump(), l.merges.dump()));
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ((*t)->bpe_model().n_merges(), 69888u);  // distinct pairs
  EXPECT_EQ((*t)->encode("abcd"), (Ids{l.id("a"), l.id("bcd")}));
}

TEST(TokenizerLoad, LowestBadMergeIsReported) {
  Letters l;
  l.merges[60000] = json::array({"a", "zz"});
  l.merges[40000] = json::array({"q", "a"});
  for (bool vocab_first : {true, false}) {
    auto t = load_text(tokenizer_text(l.vocab.dump(), l.merges.dump(), vocab_first));
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().find("model.merges: merge 40000 (\"q\", \"a\"): left part is not in the vocab"), std::string::npos)
        << t.error();
  }
  // A merge that does not parse, after one that is not in the vocab: the lower one is reported.
  std::string merges = l.merges.dump();
  merges.replace(merges.rfind("[\"pp\",\"po\"]"), 11, "[\"pp\",\"po\",\"x\"]");
  auto t = load_text(tokenizer_text(l.vocab.dump(), merges));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().find("merge 40000"), std::string::npos) << t.error();
  l.merges[40000] = json::array({"p", "a"});
  l.merges[60000] = json::array({"a", "p"});
  merges = l.merges.dump();
  merges.replace(merges.rfind("[\"pp\",\"po\"]"), 11, "[\"pp\",\"po\",\"x\"]");
  t = load_text(tokenizer_text(l.vocab.dump(), merges));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().find("model.merges[69886]: expected [\"left\", \"right\"]"), std::string::npos) << t.error();
}

TEST(TokenizerLoad, EscapedStringsAreUnescaped) {
  // "\u0061b" is "ab"; keys and merge parts with quotes, backslashes and \u escapes; both formats.
  const std::string vocab = R"({"a": 0, "b": 1, "\u0061b": 2, "\"": 3, "\\": 4, "\"\\": 5, "\u2581": 6, "\u2581a": 7})";
  for (const std::string merges : {R"([["\u0061", "b"], ["\"", "\\"], ["\u2581", "a"]])", R"(["a b", "\" \\", "\u2581 a"])"}) {
    for (bool vocab_first : {true, false}) {
      auto t = load_text(tokenizer_text(vocab, merges, vocab_first));
      ASSERT_TRUE(t.ok()) << t.error();
      EXPECT_EQ((*t)->encode("ab\"\\"), (Ids{2, 5})) << merges;
      EXPECT_EQ((*t)->encode("\u2581a"), (Ids{7})) << merges;
      EXPECT_EQ((*t)->encode("\u2581ab"), (Ids{6, 2})) << merges;  // (a, b) has the lower rank
      EXPECT_EQ((*t)->find_token("\"\\"), 5);
    }
  }
}

TEST(TokenizerLoad, MalformedFilesNameTheProblem) {
  const std::string vocab = R"({"a": 0, "b": 1, "ab": 2})";
  const std::string merges = R"([["a", "b"]])";
  const auto expect_error = [](const std::string& text, const std::string& what) {
    auto t = load_text(text);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_NE(t.error().find(what), std::string::npos) << t.error();
  };
  ASSERT_TRUE(load_text(tokenizer_text(vocab, merges)).ok());
  expect_error(tokenizer_text("[1, 2]", merges), "model.vocab: expected an object");
  expect_error(tokenizer_text(vocab, R"({"a": "b"})"), "model.merges: expected an array");
  expect_error(tokenizer_text(vocab, merges, true, R"(, "vocab": {"x": 0})"), "model.vocab: repeated");
  expect_error(tokenizer_text(vocab, merges, true, R"(, "merges": [])"), "model.merges: repeated");
  expect_error(tokenizer_text(R"({"a": 0, "b": 1.5})", merges), "model.vocab[\"b\"]: expected a non-negative integer id");
  expect_error(tokenizer_text(R"({"a": 0, "b": -1})", merges), "model.vocab[\"b\"]: expected a non-negative integer id");
  expect_error(tokenizer_text(R"({"a": 0, "b": 0})", merges), "model.vocab[\"b\"]: id 0 or the token is repeated");
  expect_error(tokenizer_text(R"({"a": 0, "a": 1})", merges), "model.vocab[\"a\"]: id 1 or the token is repeated");
  expect_error(tokenizer_text(vocab, R"([["a"]])"), "model.merges[0]: expected [\"left\", \"right\"]");
  expect_error(tokenizer_text(vocab, R"([["a", "b"], ["a", 1]])"), "model.merges[1]: expected [\"left\", \"right\"]");
  expect_error(tokenizer_text(vocab, R"(["ab"])"), "model.merges[0]: expected \"left right\"");
  expect_error(tokenizer_text(vocab, R"([["a", "b"], 7])"), "model.merges[1]: expected [\"left\", \"right\"]");
  expect_error(tokenizer_text(vocab, R"([["a", "c"]])"), "merge 0 (\"a\", \"c\"): right part is not in the vocab");
  expect_error(tokenizer_text(R"({"a": 0, "b": 1})", merges), "merge 0 (\"a\", \"b\"): merged token is not in the vocab");
  std::string text = tokenizer_text(vocab, merges);
  expect_error(text.substr(0, text.size() - 1), "invalid JSON");     // the root is not closed
  expect_error(text + " {}", "invalid JSON");                         // something after the root
  expect_error(text.substr(0, text.find("\"merges\"") + 20), "invalid JSON");  // cut inside the merges
  expect_error(tokenizer_text(vocab, R"([["a", "b"] ["a", "b"]])"), "invalid JSON");  // no comma
  // Members copied through to the DOM check are validated there.
  std::string bad_member = tokenizer_text(vocab, merges);
  bad_member.replace(bad_member.find("\"version\": \"1.0\""), 16, "\"version\": [1 2]");
  expect_error(bad_member, "invalid JSON");
  expect_error(R"(["not an object"])", "(root): expected an object");
  text = tokenizer_text(vocab, merges);
  expect_error(text.replace(text.find("\"merges\""), 8, "\"nomerges\""), "model.merges: missing");
  text = tokenizer_text(vocab, merges);
  expect_error(text.replace(text.find("\"vocab\""), 7, "\"novocab\""), "model.vocab: missing");
}

}  // namespace
}  // namespace gemma3
