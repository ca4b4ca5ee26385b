// The matcher with Gemma 3's real tokenizer (262,145 ids) and a hand-built JSON grammar: documents
// as json.dumps and compact writers produce them are accepted token by token, every token of them
// allowed by its full mask; invalid ones are refused; sampled mask bits equal the independent
// byte-level reference (tests/grammar/reference_recognizer.h); forced tokens are allowed.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include <nlohmann/json.hpp>

#include "grammar/front_ends.h"
#include "grammar/matcher.h"
#include "gemma3_vocab_fixture.h"
#include "grammar/token_table.h"
#include "json_test_grammar.h"
#include "reference_recognizer.h"
#include "tokenizer/tokenizer.h"

namespace gemma3::grammar {
namespace {

class JsonMatcher : public test::Gemma3Vocab {};

bool bit(const std::vector<uint32_t>& mask, int32_t id) { return (mask[static_cast<size_t>(id) / 32] >> (id % 32)) & 1u; }

TEST_F(JsonMatcher, DocumentsAreAcceptedTokenByTokenAndMasksMatchTheReference) {
  const TokenTable& table = **table_;
  const Grammar g = testing::json_test_grammar();
  auto compiled = compile(g, *table_);
  ASSERT_TRUE(compiled.ok()) << compiled.error();
  const testing::ReferenceRecognizer ref(g);
  const int32_t eos = tokenizer_->eos_id();
  std::mt19937 rng(7);
  std::vector<int32_t> rest_ids;   // tokens outside the string slice: quotes, controls, partial UTF-8
  for (int32_t id = 0; id < table.vocab_size(); ++id) {
    if (!table.is_special(id) && !table.bytes(id).empty() && !TokenTable::is_string_slice(table.bytes(id))) rest_ids.push_back(id);
  }
  const std::vector<std::string> docs = {
      R"({"name": "Ada Lovelace", "age": 36, "tags": ["math", "poetry"], "alive": false, "spouse": null})",
      R"({"a":[1,2.5,-3e10,{"b":{}}],"c":"\u00e9\n\"q\"","d":true})",
      "[\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\", 0, -0.5, 1E+2]",
      "  {\n  \"k\": [\n    1,\n    2\n  ]\n}  ",
  };
  double mask_us_total = 0;
  size_t n_masks = 0;
  for (const std::string& doc : docs) {
    const auto ids = tokenizer_->encode(doc, /*parse_special=*/false);
    Matcher m(*compiled, {eos});
    std::vector<uint32_t> mask(mask_words(table));
    std::vector<testing::ReferenceRecognizer::Unit> units;
    for (size_t i = 0; i <= ids.size(); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      m.fill_mask(mask);
      mask_us_total += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      ++n_masks;
      // Sampled bits against the reference: random ids and ids outside the slice.
      for (int k = 0; k < 150; ++k) {
        const int32_t id = k % 2 ? static_cast<int32_t>(rng() % static_cast<unsigned>(table.vocab_size()))
                                 : rest_ids[rng() % rest_ids.size()];
        bool want;
        if (id == eos) {
          want = ref.check(units).complete;
        } else if (table.is_special(id) || table.bytes(id).empty()) {
          want = false;
        } else {
          auto u = units;
          for (char c : table.bytes(id)) u.push_back(static_cast<uint8_t>(c));
          want = ref.check(u).viable;
        }
        ASSERT_EQ(bit(mask, id), want) << "doc " << doc << " step " << i << " id " << id << " '" << table.bytes(id) << "'";
      }
      const auto forced = m.forced_tokens(8);
      if (!forced.empty()) {
        ASSERT_TRUE(bit(mask, forced[0]));
        for (int32_t id : forced) ASSERT_TRUE(m.accept(id)) << "forced " << id;
        m.rollback(forced.size());
      }
      if (i == ids.size()) break;
      ASSERT_TRUE(bit(mask, ids[i])) << "doc " << doc << " token " << i << " '" << table.bytes(ids[i]) << "' not allowed";
      ASSERT_TRUE(m.accept(ids[i]));
      for (char c : table.bytes(ids[i])) units.push_back(static_cast<uint8_t>(c));
    }
    EXPECT_TRUE(m.is_complete()) << doc;
    EXPECT_TRUE(bit(mask, eos)) << doc;
  }
  std::printf("mean mask time %.1f us over %zu masks (vocabulary %d)\n", mask_us_total / n_masks, n_masks, table.vocab_size());
}

TEST_F(JsonMatcher, InvalidDocumentsAreRefused) {
  const TokenTable& table = **table_;
  auto compiled = compile(testing::json_test_grammar(), *table_);
  ASSERT_TRUE(compiled.ok()) << compiled.error();
  for (const std::string doc : {R"({"a": 01})", R"({"a" 1})", R"([1,])", R"({"a": tru})", "\"a\x01\"", R"({"a": 1}})",
                                R"("\x")", "\"\xC3\x28\""}) {
    const auto ids = tokenizer_->encode(doc, /*parse_special=*/false);
    Matcher m(*compiled, {tokenizer_->eos_id()});
    bool all = true;
    for (int32_t id : ids) all = all && m.accept(id);
    EXPECT_FALSE(all && m.is_complete()) << doc;
  }
}

// Inside a string with a maxLength the slice bitmaps cover the tokens of at most the characters
// left and the trie walk skips their subtrees: the mask must still be exactly the tokens accept()
// takes (every 3rd id checked, at each position of a document).
TEST_F(JsonMatcher, BoundedStringMasksMatchAccept) {
  const TokenTable& table = **table_;
  // The last: every 1-character run survives but "xx" dies, so only tokens of 1 character come from
  // the bitmap and longer ones without "xx" must be found by the walk.
  // Then object keys: listed names and the other keys (any string but those names) open at once,
  // where the search's results for the states it reached are reused by the next masks.
  const std::pair<const char*, const char*> cases[] = {
      {R"({"type":"string","maxLength":12})", "\"abc d\xc3\xa9" "gh ijk\""},
      {R"({"type":"string","minLength":2,"maxLength":40})", "\"abc d\xc3\xa9" "gh ijk\""},
      {R"({"type":"string","pattern":"^([^x]|x[^x])*x?$"})", "\"abc d\xc3\xa9" "gh ijk\""},
      {R"({"properties":{"alpha":{},"alpine":{"maxLength":3},"beta":{}},"additionalProperties":{"type":"integer"}})",
       R"({"alpine": "abc", "beta": 3, "alpx": 2, "alphabet": 4})"}};
  for (const auto& [schema, text] : cases) {
    auto g = json_schema_grammar(nlohmann::ordered_json::parse(schema));
    ASSERT_TRUE(g.ok()) << g.error();
    auto compiled = compile(std::move(*g), *table_);
    ASSERT_TRUE(compiled.ok()) << compiled.error();
    Matcher m(*compiled, {tokenizer_->eos_id()});
    std::vector<uint32_t> mask(mask_words(table));
    size_t allowed = 0;
    for (int32_t next : tokenizer_->encode(text, false)) {
      m.fill_mask(mask);
      for (int32_t id = 0; id < table.vocab_size(); id += 3) {
        const bool ok = m.accept(id);
        if (ok) m.rollback(1);
        ASSERT_EQ(ok, bit(mask, id)) << schema << " id " << id << " '" << table.bytes(id) << "' after " << m.accepted_count() << " tokens";
        allowed += ok ? 1 : 0;
      }
      ASSERT_TRUE(m.accept(next));
    }
    EXPECT_GT(allowed, 1000u);
  }
}

}  // namespace
}  // namespace gemma3::grammar
