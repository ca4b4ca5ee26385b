// Tokenizer: Gemma 3's tokenizer.json, reproducing Hugging Face `tokenizers` exactly:
//   encode = added-token split on the raw text -> Replace(" " -> "▁") normalizer -> added-token
//            split on the normalized text -> Split(" ", MergedWithPrevious) pre-tokenizer (a no-op
//            after the normalizer, so BPE sees whole runs of text) -> BPE with byte fallback;
//   decode = Replace("▁" -> " ") -> ByteFallback (a run of <0xNN> tokens becomes its bytes when
//            they are valid UTF-8, else one U+FFFD per byte) -> Fuse.
// tokenizer.json components other than these (other normalizers, regex patterns, WordPiece, ...)
// are rejected at load with a message naming the key.
//
// Thread-safety: immutable after load(); every const method may run concurrently.
// Cost: load streams model.vocab and model.merges of the 33 MB file (simdjson On-Demand, straight
// from a memory map) into hash tables for 262,144 pieces and 514,906 merges, the merges resolved
// on the loading thread and one helper, and checks the small rest with the DOM parser (about
// 0.13 s wall and 0.14 s of process CPU on a shared 2-core VM, where the DOM loader took 0.18 s;
// see bench/tokenizer). encode is O(n log n) in the text (about 45 ms of CPU per MB of English on
// the same machine).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/vocab.h"
#include "util/result.h"

namespace gemma3 {

// A SentencePiece vocabulary as llama.cpp stores it in a GGUF file (tokenizer.ggml.tokens, .scores,
// .token_type; tokenizer.ggml.model = "llama"). Views must outlive Tokenizer::from_sentencepiece.
struct SentencePieceVocab {
  // tokenizer.ggml.token_type values (llama.cpp's llama_token_type / SentencePiece piece types).
  enum Type : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };
  std::vector<std::string_view> pieces;  // [n] by id
  std::vector<float> scores;             // [n]
  std::vector<int32_t> types;            // [n]
  int32_t bos_id = -1, eos_id = -1, pad_id = -1;
  std::string chat_template;
  std::string source;  // names the file in error messages
};

class Tokenizer {
 public:
  // Builds the Hugging Face tokenizer that transformers' GemmaConverter would make from the same
  // SentencePiece model (see tokenizer_from_gguf.cc for how merges and added tokens are derived).
  static Result<std::unique_ptr<Tokenizer>> from_sentencepiece(const SentencePieceVocab& vocab);
  // Reads DIR/tokenizer.json and, when present, DIR/tokenizer_config.json (bos/eos/pad token
  // names, chat_template).
  static Result<std::unique_ptr<Tokenizer>> load(const std::filesystem::path& model_dir);
  static Result<std::unique_ptr<Tokenizer>> load_files(const std::filesystem::path& tokenizer_json,
                                                        const std::filesystem::path& tokenizer_config_json /* may be empty */);

  // HF encode(text, add_special_tokens=False). With parse_special=false, added tokens marked
  // special (<bos>, <start_of_turn>, ...) are not matched and their text is tokenized as plain text
  // (HF's encode_special_tokens=True); non-special added tokens ("\n\n", <unused0>, ...) are still
  // matched, as in HF. `text` should be valid UTF-8; invalid bytes become byte tokens.
  std::vector<int32_t> encode(std::string_view text, bool parse_special = true) const;

  // Encodes a rendered chat prompt whose bytes in `untrusted` ([begin, end) ranges, sorted) came
  // from the request: a special added token is matched only where all its bytes are trusted
  // (written by the template), so text a user writes can never become a control token; everything
  // else is as encode(text, true). Equal to encode(text, true) when nothing untrusted spells a
  // special token.
  std::vector<int32_t> encode_with_provenance(std::string_view text,
                                              std::span<const std::pair<size_t, size_t>> untrusted) const;

  // HF decode(ids, skip_special_tokens). Ids without a token are skipped, as in HF.
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const;

  // One more than the largest id (Gemma 3: 262,145, since <image_soft_token> = 262144 lies past the
  // model's 262,144-row embedding table).
  int32_t vocab_size() const;
  bool has_token(int32_t id) const;                        // the id names a token
  std::string_view token_piece(int32_t id) const;          // the vocab string, e.g. "▁the", "<0x0A>"; "" if none
  std::optional<int32_t> find_token(std::string_view piece) const;
  // UTF-8 bytes this token contributes to decoded text (byte tokens -> that single byte, ▁ -> space).
  std::string token_bytes(int32_t id) const;
  bool is_special(int32_t id) const;                       // added token with special=true
  // The byte a <0xNN> token stands for, or -1 for other tokens.
  int byte_value(int32_t id) const;
  int32_t bos_id() const { return bos_id_; }
  int32_t eos_id() const { return eos_id_; }
  int32_t pad_id() const { return pad_id_; }
  const std::string& chat_template() const { return chat_template_; }

  // The decoder's per-token text (Replace steps applied), without byte fusion; for
  // StreamingDecoder. Appends to `out`.
  void append_token_text(int32_t id, std::string& out) const;
  // HF ByteFallback on a finished run of byte tokens: the bytes if valid UTF-8, else one U+FFFD per
  // byte. Appends to `out`.
  static void append_byte_run(std::string_view bytes, std::string& out);

  // The BPE model (tests compare its chunked encode with encode_whole).
  const BpeModel& bpe_model() const { return *bpe_; }

  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

 private:
  friend class TokenizerLoader;
  friend class SentencePieceBuilder;

  // byte_value_ for ids [0, limit): the byte of each <0xNN> token (ByteFallback), judged on the
  // text after the decoder's Replace steps, as HF does; -1 for every other token.
  void build_byte_values(int32_t limit);
  Tokenizer() = default;

  struct Replace {
    std::string pattern;  // non-empty
    std::string content;
  };
  static void apply_replaces(const std::vector<Replace>& steps, std::string_view text, std::string& out);
  void encode_plain(std::string_view text, std::vector<int32_t>& out) const;   // normalize onwards
  void encode_normalized(std::string_view text, std::vector<int32_t>& out) const;  // pre-tokenize onwards
  int32_t token_index(int32_t id) const;  // index into added_, or -1

  Vocab vocab_;                              // the BPE model's vocab
  std::unique_ptr<BpeModel> bpe_;
  bool ignore_merges_ = false;
  std::vector<AddedToken> added_;            // in tokenizer.json order
  std::vector<int32_t> added_index_;         // [vocab_size] index into added_, or -1
  std::unordered_map<std::string_view, int32_t> added_by_content_;  // views into added_ (never resized after load)
  AddedTokenMatcher raw_matcher_;            // added tokens with normalized=false
  AddedTokenMatcher normalized_matcher_;     // added tokens with normalized=true (content normalized)
  std::vector<Replace> normalizer_;          // applied in order; empty: no normalizer
  std::optional<std::string> split_on_;      // Split pre-tokenizer pattern (MergedWithPrevious)
  std::vector<Replace> decoder_replaces_;
  bool byte_fallback_decoder_ = false;
  std::vector<int16_t> byte_value_;          // [vocab_size] byte of a <0xNN> token, or -1
  int32_t vocab_size_ = 0;
  int32_t bos_id_ = -1, eos_id_ = -1, pad_id_ = -1;
  std::string chat_template_;
};

// Streaming detokenizer: push ids one at a time; returns only complete UTF-8 text. The
// concatenation of all push() results and finish() equals Tokenizer::decode of the same ids. A run
// of byte tokens is held back until the next token that is not a byte token (or finish()), because
// HF decides between its bytes and U+FFFDs only once the run has ended.
class StreamingDecoder {
 public:
  // `keep_special`: special tokens decoded as their text even when skipping the others (a tool-call
  // format's markers, which the server parses out of the output).
  explicit StreamingDecoder(const Tokenizer& tokenizer, bool skip_special_tokens = true,
                            std::vector<int32_t> keep_special = {});
  std::string push(int32_t id);
  std::string finish();  // whatever is held back, invalid bytes as U+FFFD

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_tokens_;
  std::vector<int32_t> keep_special_;   // a handful of ids: a linear scan is fastest
  std::string pending_bytes_;  // the current run of byte tokens
};

}  // namespace gemma3
