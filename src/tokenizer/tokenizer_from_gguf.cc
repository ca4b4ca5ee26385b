// Tokenizer::from_sentencepiece: the Hugging Face tokenizer of a SentencePiece BPE vocabulary as
// llama.cpp stores it in GGUF (pieces, scores, types), so a .gguf runs with its own vocabulary.
//
// What the GGUF holds, and how each part maps back to what transformers' GemmaConverter builds
// from the same SentencePiece model (the tokenizer.json we reproduce exactly elsewhere):
//  - pieces by id. llama.cpp's converter rewrote "▁" as " " in user-defined pieces (so its own
//    tokenizer can match them in raw text); we undo that, giving back the model's piece.
//  - token types: CONTROL and UNKNOWN tokens become special added tokens, USER_DEFINED ones
//    non-special added tokens; all are matched on the raw text (normalized=false, no stripping),
//    as in Gemma's tokenizer.json. (The converter marks "<mask>" CONTROL because it "looks
//    special", where tokenizer.json has it non-special: that only changes `--plain` encoding.)
//  - merges: HF derives them from the vocabulary (SentencePieceExtractor): every split of a piece
//    into two pieces of the vocabulary is a merge, ordered by the piece's score (highest first),
//    then by the left part's length and the right part's length in characters (longest first),
//    ties kept in id order. The converter overwrote the scores of user-defined and control pieces
//    with -1000; in the SentencePiece model they are 0, above every learned piece (whose scores are
//    negative), so they rank first here, as they do in tokenizer.json (the whitespace runs).
//  - the Gemma pipeline itself is fixed: normalizer Replace(" " -> "▁"), pre-tokenizer Split(" ",
//    MergedWithPrevious), BPE with byte fallback and fused <unk>, decoder Replace("▁" -> " "),
//    ByteFallback, Fuse.
// Cost: one pass over every split point of every piece (~2 M vocabulary lookups for Gemma 3) and
// a sort of the ~515 K merges.
#include <algorithm>
#include <cctype>

#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace gemma3 {

namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // "▁", SentencePiece's space

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = text.find(from, pos)) != std::string_view::npos; pos = hit + from.size()) {
    out.append(text.substr(pos, hit - pos));
    out.append(to);
  }
  out.append(text.substr(pos));
  return out;
}

// Byte offsets of the character boundaries inside `piece` (excluding 0 and size), or nullopt when
// the piece is not valid UTF-8.
bool char_boundaries(std::string_view piece, std::vector<uint32_t>& out) {
  out.clear();
  size_t pos = 0;
  while (pos < piece.size()) {
    const size_t n = utf8::valid_char_len(piece, pos);
    if (n == 0) return false;
    pos += n;
    if (pos < piece.size()) out.push_back(static_cast<uint32_t>(pos));
  }
  return true;
}

}  // namespace

class SentencePieceBuilder {
 public:
  explicit SentencePieceBuilder(const SentencePieceVocab& v) : v_(v) {}

  Status build(Tokenizer& t);

 private:
  Error error(const std::string& what) const { return make_error(v_.source + ": " + what); }
  Status build_merges(const Tokenizer& t, MergeTable& table);
  void finish_tables(Tokenizer& t);

  const SentencePieceVocab& v_;
};

Status SentencePieceBuilder::build(Tokenizer& t) {
  const size_t n = v_.pieces.size();
  if (n == 0) return error("tokenizer.ggml.tokens is empty");
  if (n > static_cast<size_t>(INT32_MAX)) return error("tokenizer.ggml.tokens has too many tokens");
  if (v_.scores.size() != n)
    return error("tokenizer.ggml.scores has " + std::to_string(v_.scores.size()) + " entries for " + std::to_string(n) + " tokens");
  if (v_.types.size() != n)
    return error("tokenizer.ggml.token_type has " + std::to_string(v_.types.size()) + " entries for " + std::to_string(n) + " tokens");

  size_t total = 0;
  for (std::string_view p : v_.pieces) total += p.size();
  t.vocab_.reserve(n, total + n);
  std::optional<int32_t> unk_id;
  for (size_t id = 0; id < n; ++id) {
    const int32_t type = v_.types[id];
    if (type < SentencePieceVocab::kNormal || type > SentencePieceVocab::kByte)
      return error("tokenizer.ggml.token_type[" + std::to_string(id) + "] = " + std::to_string(type) + " is not a token type (1..6)");
    std::string_view piece = v_.pieces[id];
    if (piece.empty()) return error("tokenizer.ggml.tokens[" + std::to_string(id) + "] is empty");
    std::string restored;
    if (type == SentencePieceVocab::kUserDefined) {
      restored = replace_all(piece, " ", kSpaceMark);
      piece = restored;
    }
    if (!t.vocab_.add(static_cast<int32_t>(id), piece))
      return error("tokenizer.ggml.tokens[" + std::to_string(id) + "] (\"" + std::string(piece) + "\") appears twice");
    if (type == SentencePieceVocab::kUnknown && !unk_id) unk_id = static_cast<int32_t>(id);
    if (type == SentencePieceVocab::kControl || type == SentencePieceVocab::kUnknown || type == SentencePieceVocab::kUserDefined) {
      AddedToken a;
      a.id = static_cast<int32_t>(id);
      a.content = std::string(piece);
      a.special = type != SentencePieceVocab::kUserDefined;
      a.normalized = false;
      t.added_.push_back(std::move(a));
    }
  }

  t.normalizer_.push_back({" ", std::string(kSpaceMark)});
  t.split_on_ = " ";
  t.decoder_replaces_.push_back({std::string(kSpaceMark), " "});
  t.byte_fallback_decoder_ = true;
  BpeModel::Options options;
  options.byte_fallback = true;
  options.fuse_unk = true;
  options.unk_id = unk_id;
  options.word_start = std::string(kSpaceMark);
  MergeTable merges;
  G3_TRY(build_merges(t, merges));
  t.bpe_ = std::make_unique<BpeModel>(&t.vocab_, std::move(merges), options);
  finish_tables(t);

  auto check_id = [&](int32_t id, const char* key) -> Status {
    if (id >= static_cast<int32_t>(n)) return error(std::string(key) + " = " + std::to_string(id) + " is not a token id");
    return ok_status();
  };
  G3_TRY(check_id(v_.bos_id, "tokenizer.ggml.bos_token_id"));
  G3_TRY(check_id(v_.eos_id, "tokenizer.ggml.eos_token_id"));
  G3_TRY(check_id(v_.pad_id, "tokenizer.ggml.padding_token_id"));
  t.bos_id_ = v_.bos_id;
  t.eos_id_ = v_.eos_id;
  t.pad_id_ = v_.pad_id;
  t.chat_template_ = v_.chat_template;
  return ok_status();
}

Status SentencePieceBuilder::build_merges(const Tokenizer& t, MergeTable& table) {
  struct Candidate {
    int32_t result;
    int32_t left;
    int32_t right;
    uint32_t split;      // byte offset of the split in the result piece
    uint32_t left_len;   // characters
    uint32_t right_len;  // characters
  };
  const int32_t n = static_cast<int32_t>(v_.pieces.size());
  std::vector<Candidate> merges;
  merges.reserve(2 * static_cast<size_t>(n));
  std::vector<uint32_t> bounds;
  for (int32_t id = 0; id < n; ++id) {
    const std::string_view piece = t.vocab_.piece(id);
    if (!char_boundaries(piece, bounds) || bounds.empty()) continue;
    const uint32_t n_chars = static_cast<uint32_t>(bounds.size() + 1);
    for (size_t k = 0; k < bounds.size(); ++k) {
      const auto left = t.vocab_.find(piece.substr(0, bounds[k]));
      if (!left) continue;
      const auto right = t.vocab_.find(piece.substr(bounds[k]));
      if (!right) continue;
      const uint32_t left_chars = static_cast<uint32_t>(k + 1);
      merges.push_back({id, *left, *right, bounds[k], left_chars, n_chars - left_chars});
    }
  }
  // Added pieces (user-defined, control, unknown) first: their SentencePiece score is 0.
  auto tier = [&](int32_t id) {
    const int32_t type = v_.types[id];
    return type == SentencePieceVocab::kNormal || type == SentencePieceVocab::kByte || type == SentencePieceVocab::kUnused ? 1 : 0;
  };
  std::sort(merges.begin(), merges.end(), [&](const Candidate& a, const Candidate& b) {
    const int ta = tier(a.result), tb = tier(b.result);
    if (ta != tb) return ta < tb;
    if (ta == 1 && v_.scores[a.result] != v_.scores[b.result]) return v_.scores[a.result] > v_.scores[b.result];
    if (a.left_len != b.left_len) return a.left_len > b.left_len;
    if (a.right_len != b.right_len) return a.right_len > b.right_len;
    if (a.result != b.result) return a.result < b.result;
    if (a.left != b.left) return a.left < b.left;
    return a.right < b.right;
  });
  std::vector<MergeTable::MergeText> texts;
  texts.reserve(merges.size());
  for (const Candidate& m : merges) {
    const std::string_view piece = t.vocab_.piece(m.result);
    texts.emplace_back(piece.substr(0, m.split), piece.substr(m.split));
  }
  table.reserve(texts.size());
  if (auto s = table.add(texts, 0, t.vocab_); !s) return error("deriving merges: " + s.error());
  return ok_status();
}

// The lookup tables Tokenizer keeps over vocab + added tokens (the same ones tokenizer_load.cc
// builds for tokenizer.json).
void SentencePieceBuilder::finish_tables(Tokenizer& t) {
  const int32_t limit = t.vocab_.id_limit();
  t.vocab_size_ = limit;
  t.added_index_.assign(limit, -1);
  for (size_t i = 0; i < t.added_.size(); ++i) {
    const AddedToken& a = t.added_[i];
    t.added_index_[a.id] = static_cast<int32_t>(i);
    t.added_by_content_.emplace(a.content, a.id);
    t.raw_matcher_.add(a.content, static_cast<int32_t>(i));
  }
  t.build_byte_values(limit);
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_sentencepiece(const SentencePieceVocab& vocab) {
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  SentencePieceBuilder builder(vocab);
  G3_TRY(builder.build(*t));
  return t;
}

}  // namespace gemma3
