// One streaming pass over tokenizer.json (simdjson On-Demand) that puts the two big tables straight
// into their final structures: model.vocab (262,144 pieces for Gemma 3) into a Vocab and
// model.merges (514,906 pairs) into a MergeTable, with no tree of the 33 MB document in between.
// Everything else (a few hundred KB: added_tokens, normalizer, decoder, the model's options, ...)
// is handed back as JSON text, for the DOM loader in tokenizer_load.cc to check key by key.
//
// Why: a DOM of the whole file cost ~50 MB of tape, string copies and a merge-text array, each
// page of it faulted in and written once; the pieces themselves need only the vocab arena.
// Strings without escapes (nearly all) are used in place from the input, not copied.
#pragma once

#include <string>
#include <string_view>

#include "tokenizer/merge_table.h"
#include "tokenizer/vocab.h"
#include "util/result.h"

namespace gemma3 {

struct TokenizerJsonScan {
  // The document as JSON text with model.vocab and model.merges left out; every other member, and
  // every member of model, is copied through as written (so the DOM parse also validates it).
  std::string rest;
  bool has_vocab = false;   // model.vocab was present (and is now in the Vocab)
  bool has_merges = false;  // model.merges was present (and, when has_vocab, is in the MergeTable)
};

// Scans `json` (tokenizer.json's text; `capacity` >= json.size() + SIMDJSON_PADDING readable bytes
// at json.data()). `file` names the file in error messages, which also name the key, e.g.
// "model.vocab[\"abc\"]: expected a non-negative integer id". `vocab` and `merges` must be empty.
Result<TokenizerJsonScan> scan_tokenizer_json(std::string_view json, size_t capacity, const std::string& file,
                                              Vocab& vocab, MergeTable& merges);

}  // namespace gemma3
