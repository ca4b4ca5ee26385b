// Tokenizer semantics on small hand-written tokenizer.json files, where every expected id can be
// worked out by hand: merge rank order and the leftmost tie-break, <unk> fusing, byte fallback,
// added-token flags (lstrip, rstrip, single_word, normalized, special), the Split pre-tokenizer,
// tokenizer_config.json, and load errors that name the key.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"

namespace gemma3 {
namespace {

using Ids = std::vector<int32_t>;
using nlohmann::json;

// ids: <unk> 0, a 1, b 2, c 3, ab 4, bc 5, abc 6, ▁ 7, ▁a 8, [M] 9, <s> 10, x▁y 11, aa 12, s> 13,
// [ 14, M 15, ] 16, <0x7A> 17, x 18, y 19
json base_json(json merges) {
  json vocab = {{"<unk>", 0}, {"a", 1},     {"b", 2},   {"c", 3},    {"ab", 4},  {"bc", 5},  {"abc", 6},
                {"\u2581", 7}, {"\u2581a", 8}, {"[M]", 9}, {"<s>", 10}, {"x\u2581y", 11}, {"aa", 12}, {"s>", 13},
                {"[", 14},   {"M", 15},    {"]", 16},  {"<0x7A>", 17}, {"x", 18}, {"y", 19}};
  return json{
      {"version", "1.0"},
      {"added_tokens", json::array()},
      {"normalizer", {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}},
      {"pre_tokenizer", {{"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", "MergedWithPrevious"}, {"invert", false}}},
      {"decoder", {{"type", "Sequence"},
                   {"decoders", {{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                                 {{"type", "ByteFallback"}},
                                 {{"type", "Fuse"}}}}}},
      {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", "<unk>"}, {"fuse_unk", true},
                 {"byte_fallback", false}, {"vocab", vocab}, {"merges", merges}}}};
}

// Merges in the tokenizers >= 0.20 format, [["left", "right"], ...]. (A braced list of pairs given
// straight to nlohmann::json would become an object.)
json merges(const std::vector<std::array<std::string, 2>>& pairs) {
  json list = json::array();
  for (const auto& [l, r] : pairs) list.push_back(json::array({l, r}));
  return list;
}

json added(int id, const std::string& content, bool special, bool normalized = false) {
  return json{{"id", id}, {"content", content}, {"special", special}, {"normalized", normalized},
              {"lstrip", false}, {"rstrip", false}, {"single_word", false}};
}

class TempFiles {
 public:
  TempFiles() {
    dir_ = std::filesystem::temp_directory_path() /
           ("gemma3_bpe_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  ~TempFiles() { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return dir_ / name;
  }

 private:
  std::filesystem::path dir_;
};

Result<std::unique_ptr<Tokenizer>> load_json(const json& j, const std::string& config = "") {
  TempFiles files;
  const auto tok = files.write("tokenizer.json", j.dump());
  return Tokenizer::load_files(tok, config.empty() ? std::filesystem::path() : files.write("tokenizer_config.json", config));
}

// Loads or aborts the test run (every caller needs the tokenizer).
std::unique_ptr<Tokenizer> load_ok(const json& j, const std::string& config = "") {
  auto t = load_json(j, config);
  if (!t.ok()) {
    ADD_FAILURE() << t.error();
    std::abort();
  }
  return std::move(t).value();
}

TEST(BpeSemantics, LowestRankMergesFirst) {
  auto t1 = load_ok(base_json(merges({{"b", "c"}, {"a", "b"}})));
  EXPECT_EQ(t1->encode("abc"), (Ids{1, 5}));  // (b,c) has rank 0
  auto t2 = load_ok(base_json(merges({{"a", "b"}, {"b", "c"}})));
  EXPECT_EQ(t2->encode("abc"), (Ids{4, 3}));
  auto t3 = load_ok(base_json(merges({{"b", "c"}, {"a", "b"}, {"a", "bc"}})));
  EXPECT_EQ(t3->encode("abc"), (Ids{6}));
  EXPECT_EQ(t3->encode("abcabc"), (Ids{6, 6}));
  // Old merge format "left right".
  auto t4 = load_ok(base_json(json::array({"b c", "a b"})));
  EXPECT_EQ(t4->encode("abc"), (Ids{1, 5}));
}

TEST(BpeSemantics, LeftmostWinsTies) {
  auto t = load_ok(base_json(merges({{"a", "a"}})));
  EXPECT_EQ(t->encode("aaa"), (Ids{12, 1}));
  EXPECT_EQ(t->encode("aaaa"), (Ids{12, 12}));
  EXPECT_EQ(t->encode("aaaaa"), (Ids{12, 12, 1}));
}

TEST(BpeSemantics, UnknownCharactersFuseOrNot) {
  auto fused = load_ok(base_json(json::array()));
  EXPECT_EQ(fused->encode("azzqb"), (Ids{1, 0, 2}));  // z, z, q are not in the vocab: one <unk>
  json j = base_json(json::array());
  j["model"]["fuse_unk"] = false;
  auto unfused = load_ok(j);
  EXPECT_EQ(unfused->encode("azzqb"), (Ids{1, 0, 0, 0, 2}));
}

TEST(BpeSemantics, ByteFallbackNeedsEveryByte) {
  json j = base_json(json::array());
  j["model"]["byte_fallback"] = true;
  auto t = load_ok(j);
  EXPECT_EQ(t->encode("z"), (Ids{17}));         // <0x7A> exists
  EXPECT_EQ(t->encode("\xC3\xA9"), (Ids{0}));   // é: <0xC3>, <0xA9> missing -> <unk>
  EXPECT_EQ(t->decode(Ids{17, 1}), "za");
}

TEST(BpeSemantics, SplitPreTokenizerKeepsMergesApart) {
  // No normalizer: the Split pre-tokenizer cuts "a b" into "a " and "b" (space merged with the
  // piece before it), so the rank-0 merge (" ", "b") can never apply across the cut.
  json j = base_json(merges({{" ", "b"}, {"a", " "}}));
  j["normalizer"] = nullptr;
  j["model"]["vocab"][" "] = 20;
  j["model"]["vocab"]["a "] = 21;
  j["model"]["vocab"][" b"] = 22;
  auto t = load_ok(j);
  EXPECT_EQ(t->encode("a b"), (Ids{21, 2}));
  EXPECT_EQ(t->encode("a  b"), (Ids{21, 20, 2}));  // a second space stands alone
  EXPECT_EQ(t->encode(" b"), (Ids{20, 2}));
}

TEST(AddedTokens, FlagsFollowHf) {
  json j = base_json(merges({{"\u2581", "a"}}));
  json strip = added(9, "[M]", false);
  strip["lstrip"] = true;
  strip["rstrip"] = true;
  j["added_tokens"] = json::array({strip});
  auto t = load_ok(j);
  EXPECT_EQ(t->encode("a [M] b"), (Ids{1, 9, 2}));  // the spaces around [M] are swallowed
  EXPECT_EQ(t->encode("a \t[M]\n b"), (Ids{1, 9, 2}));

  j["added_tokens"] = json::array({added(9, "[M]", false)});
  t = load_ok(j);
  EXPECT_EQ(t->encode("a [M] a"), (Ids{1, 7, 9, 8}));  // "a▁", [M], "▁a"

  json single = added(9, "[M]", false);
  single["single_word"] = true;
  j["added_tokens"] = json::array({single});
  t = load_ok(j);
  EXPECT_EQ(t->encode("a[M] [M]"), (Ids{1, 14, 15, 16, 7, 9}));  // the first [M] touches a word
}

TEST(AddedTokens, NormalizedTokensMatchNormalizedText) {
  json j = base_json(json::array());
  j["added_tokens"] = json::array({added(11, "x y", false, /*normalized=*/true)});
  auto t = load_ok(j);
  EXPECT_EQ(t->encode("x y"), (Ids{11}));            // matched as "x▁y" after normalization
  EXPECT_EQ(t->encode("ax yb"), (Ids{1, 11, 2}));
  j["added_tokens"] = json::array({added(11, "x y", false, /*normalized=*/false)});
  t = load_ok(j);
  EXPECT_EQ(t->encode("x y"), (Ids{11}));            // matched on the raw text
  EXPECT_EQ(t->encode("x\u2581y"), (Ids{18, 7, 19}));  // raw "x▁y" is not "x y"
}

TEST(AddedTokens, SpecialTokensCanBePlainText) {
  json j = base_json(json::array());
  j["added_tokens"] = json::array({added(10, "<s>", true), added(13, "s>", false)});
  auto t = load_ok(j);
  EXPECT_EQ(t->encode("<s>a"), (Ids{10, 1}));
  // parse_special=false: "<s>" is skipped and, as in HF, not rescanned, so "s>" inside is not
  // matched either; the text goes to BPE ('<', 's', '>' are unknown -> one fused <unk>).
  EXPECT_EQ(t->encode("<s>a", false), (Ids{0, 1}));
  EXPECT_EQ(t->encode("xs>", false), (Ids{18, 13}));
  EXPECT_TRUE(t->is_special(10));
  EXPECT_FALSE(t->is_special(13));
  EXPECT_EQ(t->decode(Ids{10, 1}, /*skip_special_tokens=*/true), "a");
  // Leftmost-longest: at offset 0 "<s>" (longer) wins over nothing; at "s>" the shorter one.
  EXPECT_EQ(t->encode("a<s>s>"), (Ids{1, 10, 13}));
}

TEST(TokenizerConfig, NamesAndTemplate) {
  json j = base_json(json::array());
  j["added_tokens"] = json::array({added(10, "<s>", true)});
  auto t = load_ok(j, R"({"bos_token": {"content": "<s>"}, "eos_token": "<s>", "pad_token": null,
                          "chat_template": [{"name": "tool_use", "template": "T1"}, {"name": "default", "template": "T2"}]})");
  EXPECT_EQ(t->bos_id(), 10);
  EXPECT_EQ(t->eos_id(), 10);
  EXPECT_EQ(t->pad_id(), -1);  // no <pad> in this vocab
  EXPECT_EQ(t->chat_template(), "T2");
  auto bad = load_json(j, R"({"eos_token": "<nope>"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("eos_token"), std::string::npos) << bad.error();
}

TEST(TokenizerLoad, ErrorsNameTheKey) {
  json j = base_json(json::array());
  j["model"]["type"] = "WordPiece";
  auto r = load_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("model.type"), std::string::npos) << r.error();

  r = load_json(base_json(merges({{"a", "q"}})));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("merge 0 (\"a\", \"q\"): right part is not in the vocab"), std::string::npos) << r.error();

  j = base_json(json::array());
  j["normalizer"] = {{"type", "NFKC"}};
  r = load_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("normalizer.type"), std::string::npos) << r.error();

  j = base_json(json::array());
  j["decoder"] = {{"type", "Strip"}};
  r = load_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("decoder"), std::string::npos) << r.error();

  TempFiles files;
  auto broken = Tokenizer::load_files(files.write("tokenizer.json", "{\"model\": [1, 2"), {});
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().find("invalid JSON"), std::string::npos) << broken.error();
}

// A file that ends within SIMDJSON_PADDING bytes of a page boundary cannot be parsed in place from
// its memory map; the loader then reads a padded copy. Same result either way.
TEST(TokenizerLoad, FileEndingAtAPageBoundary) {
  std::string text = base_json(merges({{"a", "b"}})).dump();
  text.append(8192 - text.size() % 8192, ' ');  // a multiple of every common page size
  TempFiles files;
  auto t = Tokenizer::load_files(files.write("tokenizer.json", text), {});
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ((*t)->encode("ab"), (Ids{4}));
}

}  // namespace
}  // namespace gemma3
