// Tokenizer: the encode pipeline and the decoder (loading is in tokenizer_load.cc).
#include "tokenizer/tokenizer.h"

#include <algorithm>

#include <cctype>

#include "tokenizer/utf8.h"

namespace gemma3 {

void Tokenizer::apply_replaces(const std::vector<Replace>& steps, std::string_view text, std::string& out) {
  // Fast path (almost every vocab piece at load, and most text for one step): no copies.
  if (steps.empty()) {
    out.append(text);
    return;
  }
  if (steps.size() == 1) {
    const Replace& step = steps[0];
    size_t pos = 0;
    for (size_t hit; (hit = text.find(step.pattern, pos)) != std::string_view::npos; pos = hit + step.pattern.size()) {
      out.append(text.substr(pos, hit - pos));
      out.append(step.content);
    }
    out.append(text.substr(pos));
    return;
  }
  std::string current(text), next;
  for (const Replace& step : steps) {
    next.clear();
    next.reserve(current.size() + current.size() / 2);
    size_t pos = 0;
    for (size_t hit; (hit = current.find(step.pattern, pos)) != std::string::npos; pos = hit + step.pattern.size()) {
      next.append(current, pos, hit - pos);
      next.append(step.content);
    }
    next.append(current, pos, std::string::npos);
    current.swap(next);
  }
  out.append(current);
}

int32_t Tokenizer::token_index(int32_t id) const {
  return id >= 0 && id < vocab_size_ ? added_index_[id] : -1;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool parse_special) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::vector<TextSplit> splits;
  raw_matcher_.split(text, added_, /*skip_special=*/!parse_special, splits);
  for (const TextSplit& s : splits) {
    if (s.id >= 0) {
      ids.push_back(s.id);
    } else {
      encode_plain(text.substr(s.begin, s.end - s.begin), ids);
    }
  }
  return ids;
}

std::vector<int32_t> Tokenizer::encode_with_provenance(std::string_view text,
                                                       std::span<const std::pair<size_t, size_t>> untrusted) const {
  std::vector<TextSplit> splits;
  raw_matcher_.split(text, added_, /*skip_special=*/false, splits);
  // A special match is kept only when no untrusted range overlaps it; otherwise its bytes join the
  // plain text around it. Ranges are sorted, and so are the splits: one forward scan.
  size_t r = 0;
  auto overlaps_untrusted = [&](size_t begin, size_t end) {
    while (r < untrusted.size() && untrusted[r].second <= begin) ++r;
    return r < untrusted.size() && untrusted[r].first < end;
  };
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  size_t plain_begin = 0, plain_end = 0;   // the pending run of plain text
  auto flush = [&] {
    if (plain_end > plain_begin) {
      std::vector<int32_t> run = encode(text.substr(plain_begin, plain_end - plain_begin), /*parse_special=*/false);
      ids.insert(ids.end(), run.begin(), run.end());
    }
  };
  for (const TextSplit& s : splits) {
    const bool keep_token =
        s.id >= 0 && !(added_[static_cast<size_t>(token_index(s.id))].special && overlaps_untrusted(s.begin, s.end));
    if (!keep_token) {
      if (plain_end != s.begin) plain_begin = s.begin;   // first plain split after a token
      plain_end = s.end;
      continue;
    }
    flush();
    plain_begin = plain_end = s.end;
    ids.push_back(s.id);
  }
  flush();
  return ids;
}

// Normalizes one piece of raw text that holds no (raw-matched) added token, then splits out the
// added tokens that match normalized text.
void Tokenizer::encode_plain(std::string_view text, std::vector<int32_t>& out) const {
  std::string normalized;
  normalized.reserve(text.size() + text.size() / 4);
  apply_replaces(normalizer_, text, normalized);
  if (normalized_matcher_.empty()) {
    encode_normalized(normalized, out);
    return;
  }
  std::vector<TextSplit> splits;
  // HF's encode_special_tokens applies to this matcher too; special tokens are rarely normalized,
  // and encode() has no way to pass the flag here without a matching HF behaviour to test against,
  // so normalized added tokens are always matched.
  normalized_matcher_.split(normalized, added_, /*skip_special=*/false, splits);
  const std::string_view view(normalized);
  for (const TextSplit& s : splits) {
    if (s.id >= 0) {
      out.push_back(s.id);
    } else {
      encode_normalized(view.substr(s.begin, s.end - s.begin), out);
    }
  }
}

// Pre-tokenizer Split(pattern, MergedWithPrevious): the text is cut into occurrences of the
// pattern and the text between them; an occurrence joins the piece before it unless that piece is
// itself an occurrence. Then the BPE model on each piece.
void Tokenizer::encode_normalized(std::string_view text, std::vector<int32_t>& out) const {
  auto model = [&](std::string_view piece) {
    if (piece.empty()) return;
    if (ignore_merges_) {
      if (auto id = vocab_.find(piece)) {
        out.push_back(*id);
        return;
      }
    }
    bpe_->encode(piece, out);
  };
  if (!split_on_ || text.find(*split_on_) == std::string_view::npos) {
    model(text);  // Gemma 3: always, since the normalizer has replaced every " "
    return;
  }
  struct Segment {
    size_t begin, end;
    bool is_match;
  };
  std::vector<Segment> segments;
  const std::string& pattern = *split_on_;
  size_t pos = 0;
  for (size_t hit; (hit = text.find(pattern, pos)) != std::string_view::npos; pos = hit + pattern.size()) {
    if (hit > pos) segments.push_back({pos, hit, false});
    segments.push_back({hit, hit + pattern.size(), true});
  }
  if (pos < text.size()) segments.push_back({pos, text.size(), false});
  std::vector<Segment> pieces;
  bool previous_was_match = false;
  for (const Segment& s : segments) {
    if (s.is_match && !previous_was_match && !pieces.empty()) {
      pieces.back().end = s.end;
    } else {
      pieces.push_back(s);
    }
    previous_was_match = s.is_match;
  }
  for (const Segment& p : pieces) model(text.substr(p.begin, p.end - p.begin));
}

void Tokenizer::append_byte_run(std::string_view bytes, std::string& out) {
  if (utf8::is_valid(bytes)) {
    out.append(bytes);
  } else {
    for (size_t i = 0; i < bytes.size(); ++i) out.append(utf8::kReplacement);
  }
}

void Tokenizer::append_token_text(int32_t id, std::string& out) const {
  if (!has_token(id)) return;
  std::string_view piece = token_piece(id);
  if (decoder_replaces_.empty()) {
    out.append(piece);
  } else {
    apply_replaces(decoder_replaces_, piece, out);
  }
}

void Tokenizer::build_byte_values(int32_t limit) {
  byte_value_.assign(limit, -1);
  std::string text;
  for (int32_t id = 0; id < limit; ++id) {
    text.clear();
    append_token_text(id, text);
    if (text.size() == 6 && text.compare(0, 3, "<0x") == 0 && text[5] == '>' && std::isxdigit(static_cast<unsigned char>(text[3])) &&
        std::isxdigit(static_cast<unsigned char>(text[4]))) {
      byte_value_[id] = static_cast<int16_t>(std::stoi(text.substr(3, 2), nullptr, 16));
    }
  }
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  std::string text, run;
  text.reserve(ids.size() * 4);
  for (int32_t id : ids) {
    if (!has_token(id) || (skip_special_tokens && is_special(id))) continue;
    if (const int b = byte_value(id); b >= 0) {
      run.push_back(static_cast<char>(b));
      continue;
    }
    if (!run.empty()) {
      append_byte_run(run, text);
      run.clear();
    }
    append_token_text(id, text);
  }
  if (!run.empty()) append_byte_run(run, text);
  return text;
}

int32_t Tokenizer::vocab_size() const { return vocab_size_; }

bool Tokenizer::has_token(int32_t id) const { return token_index(id) >= 0 || vocab_.has_id(id); }

std::string_view Tokenizer::token_piece(int32_t id) const {
  const int32_t index = token_index(id);
  return index >= 0 ? std::string_view(added_[index].content) : vocab_.piece(id);
}

std::optional<int32_t> Tokenizer::find_token(std::string_view piece) const {
  // HF looks in the added tokens first; Gemma's added tokens are also in the vocab (same ids)
  // except <image_soft_token>.
  if (auto it = added_by_content_.find(piece); it != added_by_content_.end()) return it->second;
  return vocab_.find(piece);
}

std::string Tokenizer::token_bytes(int32_t id) const {
  if (const int b = byte_value(id); b >= 0) return std::string(1, static_cast<char>(b));
  std::string out;
  append_token_text(id, out);
  return out;
}

bool Tokenizer::is_special(int32_t id) const {
  const int32_t index = token_index(id);
  return index >= 0 && added_[index].special;
}

int Tokenizer::byte_value(int32_t id) const {
  return byte_fallback_decoder_ && id >= 0 && id < vocab_size_ ? byte_value_[id] : -1;
}

StreamingDecoder::StreamingDecoder(const Tokenizer& tokenizer, bool skip_special_tokens, std::vector<int32_t> keep_special)
    : tokenizer_(&tokenizer), skip_special_tokens_(skip_special_tokens), keep_special_(std::move(keep_special)) {}

std::string StreamingDecoder::push(int32_t id) {
  std::string out;
  if (!tokenizer_->has_token(id)) return out;
  if (skip_special_tokens_ && tokenizer_->is_special(id) &&
      std::find(keep_special_.begin(), keep_special_.end(), id) == keep_special_.end()) {
    return out;
  }
  if (const int b = tokenizer_->byte_value(id); b >= 0) {
    pending_bytes_.push_back(static_cast<char>(b));
    return out;
  }
  out = finish();
  tokenizer_->append_token_text(id, out);
  return out;
}

std::string StreamingDecoder::finish() {
  std::string out;
  if (!pending_bytes_.empty()) {
    Tokenizer::append_byte_run(pending_bytes_, out);
    pending_bytes_.clear();
  }
  return out;
}

}  // namespace gemma3
