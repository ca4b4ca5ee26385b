// Tokenizer tests on the real Gemma 3 tokenizer.json (GEMMA3_TOKENIZER_DIR): hand-checked ids,
// decoding rules, and properties (round trip, streaming == batch, never half a character).
// Expected ids were checked by hand against the vocab: e.g. "Hello" = 9259, "▁world" = 1902,
// <0xNN> = 238 + NN, "\t" = 255968 (an added token), "\n\n\n" = 109 (an added token).
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include "tokenizer/utf8.h"

namespace gemma3 {
namespace {

using Ids = std::vector<int32_t>;

int32_t byte_id(int b) { return 238 + b; }

class GemmaTokenizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = Tokenizer::load(GEMMA3_TOKENIZER_DIR);
    ASSERT_TRUE(loaded.ok()) << loaded.error() << "\n(run tools/fetch_tokenizer.sh to fetch the tokenizer files)";
    tok_ = std::move(loaded).value().release();
  }
  static void TearDownTestSuite() {
    delete tok_;
    tok_ = nullptr;
  }
  static const Tokenizer& tok() { return *tok_; }
  static Tokenizer* tok_;
};
Tokenizer* GemmaTokenizerTest::tok_ = nullptr;

TEST_F(GemmaTokenizerTest, VocabAndConfig) {
  EXPECT_EQ(tok().vocab_size(), 262145);  // 262,144 BPE tokens + <image_soft_token> = 262144
  EXPECT_EQ(tok().bos_id(), 2);
  EXPECT_EQ(tok().eos_id(), 106);  // tokenizer_config.json names <end_of_turn> as eos_token
  EXPECT_EQ(tok().pad_id(), 0);
  EXPECT_NE(tok().chat_template().find("<start_of_turn>"), std::string::npos);
  EXPECT_EQ(tok().token_piece(105), "<start_of_turn>");
  EXPECT_EQ(tok().token_piece(262144), "<image_soft_token>");
  EXPECT_EQ(tok().token_piece(248), "<0x0A>");
  EXPECT_EQ(tok().find_token("▁world"), 1902);
  EXPECT_EQ(tok().find_token("<end_of_turn>"), 106);
  EXPECT_FALSE(tok().find_token("no such token, surely").has_value());
  EXPECT_TRUE(tok().is_special(1));
  EXPECT_TRUE(tok().is_special(105));
  EXPECT_FALSE(tok().is_special(107));  // "\n" is an added token, not a special one
  EXPECT_FALSE(tok().is_special(6));    // <unused0>
  EXPECT_FALSE(tok().is_special(9259));
  EXPECT_EQ(tok().token_bytes(248), "\n");
  EXPECT_EQ(tok().token_bytes(byte_id(0xE4)), "\xE4");
  EXPECT_EQ(tok().token_bytes(1902), " world");
  EXPECT_EQ(tok().token_bytes(138), "  ");
  EXPECT_EQ(tok().byte_value(byte_id(0x41)), 0x41);
  EXPECT_EQ(tok().byte_value(9259), -1);
  EXPECT_FALSE(tok().has_token(-1));
  EXPECT_FALSE(tok().has_token(262145));
}

TEST_F(GemmaTokenizerTest, EncodeHandChecked) {
  EXPECT_EQ(tok().encode(""), Ids{});
  EXPECT_EQ(tok().encode("Hello world"), (Ids{9259, 1902}));
  EXPECT_EQ(tok().encode(" "), (Ids{236743}));
  EXPECT_EQ(tok().encode("  "), (Ids{138}));    // BPE merges ▁▁, which is also added token 138
  EXPECT_EQ(tok().encode("▁▁"), (Ids{138}));   // the literal text matches the added token
  EXPECT_EQ(tok().encode("a\tb"), (Ids{236746, 255968, 236763}));
  EXPECT_EQ(tok().encode("\n"), (Ids{107}));
  EXPECT_EQ(tok().encode("\n\n"), (Ids{108}));
  EXPECT_EQ(tok().encode("\n\n\n"), (Ids{109}));
  // U+10000 is not in the vocab: its four UTF-8 bytes F0 90 80 80 become byte tokens.
  EXPECT_EQ(tok().encode("\xF0\x90\x80\x80x"), (Ids{byte_id(0xF0), byte_id(0x90), byte_id(0x80), byte_id(0x80), 236781}));
  EXPECT_EQ(tok().encode(std::string_view("\0", 1)), (Ids{byte_id(0)}));
  EXPECT_EQ(tok().encode("\r"), (Ids{byte_id('\r')}));
  EXPECT_EQ(tok().encode("\xC2\xA0"), (Ids{byte_id(0xC2), byte_id(0xA0)}));  // NBSP is not in the vocab
  // Not UTF-8 (callers should reject it, as `gemma3 tokenize` does): stray bytes become byte tokens.
  EXPECT_EQ(tok().encode("a\xFF" "b\xE4"), (Ids{236746, byte_id(0xFF), 236763, byte_id(0xE4)}));
}

TEST_F(GemmaTokenizerTest, SpecialTokensInText) {
  const std::string chat = "<start_of_turn>user\nHi there!<end_of_turn>\n";
  EXPECT_EQ(tok().encode(chat), (Ids{105, 2364, 107, 10979, 993, 236888, 106, 107}));
  const Ids plain = tok().encode(chat, /*parse_special=*/false);
  ASSERT_GE(plain.size(), 7u);
  EXPECT_EQ(Ids(plain.begin(), plain.begin() + 7), (Ids{236820, 3041, 236779, 1340, 236779, 887, 236813}));  // < start _ of _ turn >
  for (int32_t id : plain) EXPECT_FALSE(tok().is_special(id)) << id;
  EXPECT_EQ(tok().decode(plain), chat);
  // Non-special added tokens are matched in both modes, as HF's encode_special_tokens does.
  EXPECT_EQ(tok().encode("<unused0><mask>"), (Ids{6, 4}));
  EXPECT_EQ(tok().encode("<unused0><mask>", false), (Ids{6, 4}));
  EXPECT_EQ(tok().encode("<bos>"), (Ids{2}));
  EXPECT_NE(tok().encode("<bos>", false), (Ids{2}));
  // Leftmost-longest: "<start_of_turn" alone is no token; "<<bos>>" finds <bos> after '<'.
  for (int32_t id : tok().encode("<start_of_turn")) EXPECT_NE(id, 105);
  const Ids nested = tok().encode("<<bos>>");
  ASSERT_EQ(nested.size(), 3u);
  EXPECT_EQ(nested[1], 2);
}

TEST_F(GemmaTokenizerTest, DecodeRules) {
  EXPECT_EQ(tok().decode(Ids{9259, 1902}), "Hello world");
  EXPECT_EQ(tok().decode(Ids{2, 9259}), "<bos>Hello");
  EXPECT_EQ(tok().decode(Ids{2, 9259}, /*skip_special_tokens=*/true), "Hello");
  EXPECT_EQ(tok().decode(Ids{byte_id(0xE4), byte_id(0xB8), byte_id(0xAD)}), "中");
  // HF ByteFallback: a run that is not valid UTF-8 becomes one U+FFFD per byte, even when a prefix
  // of it would be valid.
  EXPECT_EQ(tok().decode(Ids{byte_id(0xE4), byte_id(0xB8), 9259}), "\uFFFD\uFFFDHello");
  EXPECT_EQ(tok().decode(Ids{byte_id(0xE4), byte_id(0xB8), byte_id(0xAD), byte_id(0xFF)}), "\uFFFD\uFFFD\uFFFD\uFFFD");
  // A skipped special token does not end a byte run.
  EXPECT_EQ(tok().decode(Ids{byte_id(0xE4), 1, byte_id(0xB8), byte_id(0xAD)}, true), "中");
  EXPECT_EQ(tok().decode(Ids{-5, 999999, 9259}), "Hello");  // ids without a token are skipped (HF)
}

TEST_F(GemmaTokenizerTest, StreamingHoldsByteRuns) {
  StreamingDecoder stream(tok());
  EXPECT_EQ(stream.push(9259), "Hello");
  EXPECT_EQ(stream.push(byte_id(0xE4)), "");
  EXPECT_EQ(stream.push(byte_id(0xB8)), "");
  EXPECT_EQ(stream.push(2), "");  // special, skipped by default
  EXPECT_EQ(stream.push(byte_id(0xAD)), "");
  EXPECT_EQ(stream.push(1902), "中 world");
  EXPECT_EQ(stream.push(byte_id(0xE4)), "");
  EXPECT_EQ(stream.finish(), "\uFFFD");
  EXPECT_EQ(stream.finish(), "");
}

// Random text from pools that exercise the tricky parts: whitespace runs, CJK, emoji with ZWJ and
// modifiers, combining marks, control characters, characters outside the vocab, special-token text.
std::string random_text(std::mt19937& rng, size_t n_pieces) {
  static const std::vector<std::string> kSnippets = {
      "<start_of_turn>", "<end_of_turn>", "<bos>", "<eos>", "<unused17>", "<table>", "\n\n", "\t\t", "    ",
      "<start_of_", "👨‍👩‍👧", "👍🏽", "🇺🇸", "e\u0301", "\r\n", "<", ">", " the", "ing", "def f(x):\n    return x"};
  std::uniform_int_distribution<int> pick(0, 11);
  std::string out;
  for (size_t i = 0; i < n_pieces; ++i) {
    uint32_t cp = 0;
    switch (pick(rng)) {
      case 0: case 1: case 2: cp = std::uniform_int_distribution<uint32_t>(0x20, 0x7E)(rng); break;
      case 3: cp = " \n\t\r\v\f"[std::uniform_int_distribution<int>(0, 5)(rng)]; break;
      case 4: cp = std::uniform_int_distribution<uint32_t>(0x4E00, 0x9FFF)(rng); break;
      case 5: cp = std::uniform_int_distribution<uint32_t>(0x1F300, 0x1FAFF)(rng); break;
      case 6: cp = std::uniform_int_distribution<uint32_t>(0x0300, 0x036F)(rng); break;
      case 7: cp = std::uniform_int_distribution<uint32_t>(0x00, 0x9F)(rng); break;  // C0, ASCII, C1
      case 8: cp = std::uniform_int_distribution<uint32_t>(0x10000, 0x10FFFF)(rng); break;
      case 9: cp = std::uniform_int_distribution<uint32_t>(0x80, 0xFFFD)(rng); break;
      default: out += kSnippets[std::uniform_int_distribution<size_t>(0, kSnippets.size() - 1)(rng)]; continue;
    }
    // U+2581 "▁" decodes to a space by design (HF too); surrogates are not characters.
    if (cp == 0x2581 || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 'x';
    utf8::append_code_point(out, cp);
  }
  return out;
}

TEST_F(GemmaTokenizerTest, RoundTripRandomText) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    const std::string text = random_text(rng, 1 + trial % 60);
    ASSERT_TRUE(utf8::is_valid(text));
    for (bool parse_special : {true, false}) {
      const Ids ids = tok().encode(text, parse_special);
      ASSERT_EQ(tok().decode(ids), text) << "trial " << trial << " parse_special " << parse_special;
      for (int32_t id : ids) ASSERT_TRUE(tok().has_token(id));
    }
  }
}

TEST_F(GemmaTokenizerTest, StreamingEqualsBatchOnRandomIds) {
  std::mt19937 rng(99);
  std::uniform_int_distribution<int> kind(0, 5);
  for (int trial = 0; trial < 300; ++trial) {
    Ids ids;
    const int n = 1 + trial % 40;
    for (int i = 0; i < n; ++i) {
      switch (kind(rng)) {
        case 0: case 1: case 2: ids.push_back(byte_id(std::uniform_int_distribution<int>(0, 255)(rng))); break;
        case 3: ids.push_back(std::uniform_int_distribution<int>(0, 6)(rng)); break;  // specials and <mask>
        default: ids.push_back(std::uniform_int_distribution<int>(0, tok().vocab_size() - 1)(rng)); break;
      }
    }
    for (bool skip : {true, false}) {
      StreamingDecoder stream(tok(), skip);
      std::string streamed;
      for (int32_t id : ids) {
        const std::string piece = stream.push(id);
        ASSERT_TRUE(utf8::is_valid(piece)) << "trial " << trial;  // never half a character
        streamed += piece;
      }
      const std::string tail = stream.finish();
      ASSERT_TRUE(utf8::is_valid(tail));
      streamed += tail;
      ASSERT_EQ(streamed, tok().decode(ids, skip)) << "trial " << trial << " skip " << skip;
    }
  }
}

TEST_F(GemmaTokenizerTest, StreamingEqualsTextOnEncodedText) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 100; ++trial) {
    const std::string text = random_text(rng, 30);
    StreamingDecoder stream(tok(), /*skip_special_tokens=*/false);
    std::string streamed;
    for (int32_t id : tok().encode(text)) streamed += stream.push(id);
    streamed += stream.finish();
    ASSERT_EQ(streamed, text);
  }
}

// The merge loop must be O(n log n): long runs of one character create the most merge work.
TEST_F(GemmaTokenizerTest, LongRunsAreFast) {
  for (const std::string unit : {"a", " ", "\n", "ab", "中", "😀"}) {
    std::string text;
    while (text.size() < 100000) text += unit;
    const auto start = std::chrono::steady_clock::now();
    const Ids ids = tok().encode(text);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(tok().decode(ids), text);
    EXPECT_LT(seconds, 30.0) << "unit '" << unit << "'";  // quadratic would take many minutes
  }
}

// BpeModel::encode cuts the text where no merge can cross; it must equal one heap over everything.
TEST_F(GemmaTokenizerTest, ChunkedBpeEqualsWholeBpe) {
  std::mt19937 rng(5);
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) texts.push_back(random_text(rng, 80));
  texts.push_back("a>\u2581</b> x>\u2581\u2581y \u2581\u2581\u2581z >\u2581<");
  for (const auto& entry : std::filesystem::directory_iterator(GEMMA3_SOURCE_DIR "/tests/data/tokenizer")) {
    std::ifstream in(entry.path(), std::ios::binary);
    texts.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  for (const std::string& raw : texts) {
    std::string text;  // normalized as the tokenizer does: " " -> "▁"
    for (char c : raw) text += c == ' ' ? std::string("\u2581") : std::string(1, c);
    Ids chunked, whole;
    tok().bpe_model().encode(text, chunked);
    tok().bpe_model().encode_whole(text, whole);
    ASSERT_EQ(chunked, whole) << text.substr(0, 200);
  }
}

TEST(TokenizerLoad, ErrorsNameTheProblem) {
  auto missing = Tokenizer::load("/nonexistent/folder");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("tokenizer.json"), std::string::npos);
}

}  // namespace
}  // namespace gemma3
