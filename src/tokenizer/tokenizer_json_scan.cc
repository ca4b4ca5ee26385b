#include "tokenizer/tokenizer_json_scan.h"

#include <simdjson.h>

#include <array>
#include <optional>

#include "tokenizer/merge_resolver.h"

namespace gemma3 {

namespace od = simdjson::ondemand;

namespace {

// The content of a JSON string whose text starts at `p` (just after the opening quote), in place,
// when it holds no escape or control character; nullopt otherwise (then simdjson's own string
// parsing, the one its DOM parser uses, unescapes or rejects it). Stage 1 has already found where
// every string ends, so this only scans one short string; `end` bounds it anyway.
std::optional<std::string_view> plain_string(const char* p, const char* end) {
  for (const char* q = p; q < end; ++q) {
    const auto c = static_cast<unsigned char>(*q);
    if (c == '"') return std::string_view(p, static_cast<size_t>(q - p));
    if (c == '\\' || c < 0x20) return std::nullopt;
  }
  return std::nullopt;
}

class Scanner {
 public:
  Scanner(std::string_view json, size_t capacity, const std::string& file, Vocab& vocab, MergeTable& merges)
      : json_(json), capacity_(capacity), file_(file), vocab_(vocab), merges_(merges) {}

  Result<TokenizerJsonScan> run();

 private:
  Error error(const std::string& key, const std::string& what) const { return make_error(file_ + ": " + key + ": " + what); }
  Error json_error(const std::string& key, simdjson::error_code err) const {
    return error(key, std::string("invalid JSON (") + simdjson::error_message(err) + ")");
  }
  const char* end() const { return json_.data() + json_.size(); }

  // A member's key as text (unescaped), and as it is written (for copying it through).
  simdjson::error_code key_of(od::field& field, std::string_view& key, std::string_view& raw) const;
  // A value's JSON text as written; consumes the value.
  Status raw_value(od::value& value, const std::string& path, std::string_view& raw);
  // A string value's content; INCORRECT_TYPE when the value is not a string. (Error codes, not
  // messages: these run 1.5 M times and the caller knows the path.)
  simdjson::error_code string_value(od::value& value, std::string_view& text) const;
  Status scan_model(od::object model, std::string& rest);
  Status scan_vocab(od::object vocab);
  Status scan_merges(od::array merges);
  Status parse_merge(od::value& merge, uint32_t index, std::string_view& left, std::string_view& right) const;

  std::string_view json_;
  size_t capacity_;
  const std::string& file_;
  Vocab& vocab_;
  MergeTable& merges_;
  TokenizerJsonScan out_;
};

simdjson::error_code Scanner::key_of(od::field& field, std::string_view& key, std::string_view& raw) const {
  const char* start = field.key().raw();
  if (auto plain = plain_string(start, end())) {
    key = raw = *plain;
    return simdjson::SUCCESS;
  }
  // Escaped: the raw text runs to the first quote not escaped by a backslash.
  const char* q = start;
  while (q < end() && *q != '"') q += (*q == '\\') ? 2 : 1;
  raw = std::string_view(start, static_cast<size_t>(std::min(q, end()) - start));
  return field.unescaped_key().get(key);
}

Status Scanner::raw_value(od::value& value, const std::string& path, std::string_view& raw) {
  od::json_type type;
  if (auto err = value.type().get(type)) return json_error(path, err);
  simdjson::error_code err = simdjson::SUCCESS;
  if (type == od::json_type::object) {
    od::object obj;
    err = value.get_object().get(obj);
    if (!err) err = obj.raw_json().get(raw);
  } else if (type == od::json_type::array) {
    od::array arr;
    err = value.get_array().get(arr);
    if (!err) err = arr.raw_json().get(raw);
  } else {
    raw = value.raw_json_token();  // a scalar: checked by the DOM parse of the rest
  }
  if (err) return json_error(path, err);
  return ok_status();
}

simdjson::error_code Scanner::string_value(od::value& value, std::string_view& text) const {
  const std::string_view token = value.raw_json_token();
  if (token.empty() || token[0] != '"') return simdjson::INCORRECT_TYPE;
  if (auto plain = plain_string(token.data() + 1, end())) {
    text = *plain;  // left unconsumed: the enclosing iteration skips it
    return simdjson::SUCCESS;
  }
  return value.get_string().get(text);
}

Status Scanner::scan_vocab(od::object vocab) {
  size_t n = 0;
  if (auto err = vocab.count_fields().get(n)) return json_error("model.vocab", err);
  vocab_.reserve(n, 16 * n);
  // Entries are added 64 at a time, their hash slots prefetched as they are read, so the cache and
  // TLB misses of the random slot writes overlap instead of stalling one by one.
  struct Pending {
    int32_t id;
    uint32_t hash;
    std::string_view piece;
  };
  std::array<Pending, 64> pending;
  size_t n_pending = 0;
  const auto flush = [&]() -> Status {
    for (size_t i = 0; i < n_pending; ++i) {
      const Pending& p = pending[i];
      if (!vocab_.add(p.id, p.piece, p.hash)) {
        return error("model.vocab[\"" + std::string(p.piece) + "\"]", "id " + std::to_string(p.id) + " or the token is repeated");
      }
    }
    n_pending = 0;
    return ok_status();
  };
  for (auto member : vocab) {
    od::field field;
    if (auto err = std::move(member).get(field)) return json_error("model.vocab", err);
    std::string_view piece, raw;
    if (auto err = key_of(field, piece, raw)) return json_error("model.vocab", err);
    int64_t id = -1;
    if (field.value().get_int64().get(id) != simdjson::SUCCESS || id < 0 || id > INT32_MAX) {
      G3_TRY(flush());  // an earlier entry's error comes first
      return error("model.vocab[\"" + std::string(piece) + "\"]", "expected a non-negative integer id");
    }
    const uint32_t hash = Vocab::hash(piece);
    vocab_.prefetch_slot(hash);
    pending[n_pending++] = Pending{static_cast<int32_t>(id), hash, piece};
    if (n_pending == pending.size()) G3_TRY(flush());
  }
  return flush();
}

Status Scanner::parse_merge(od::value& merge, uint32_t index, std::string_view& left, std::string_view& right) const {
  const auto path = [&] { return "model.merges[" + std::to_string(index) + "]"; };
  std::string_view both;
  const simdjson::error_code as_string = string_value(merge, both);
  if (as_string && as_string != simdjson::INCORRECT_TYPE) return json_error(path(), as_string);
  if (!as_string) {  // the pre-0.20 format "left right"
    const size_t space = both.find(' ');
    if (space == std::string_view::npos) return error(path(), "expected \"left right\"");
    left = both.substr(0, space);
    right = both.substr(space + 1);
    return ok_status();
  }
  const auto expected_pair = [&] { return error(path(), "expected [\"left\", \"right\"]"); };
  od::array pair;
  if (merge.get_array().get(pair) != simdjson::SUCCESS) return expected_pair();
  size_t k = 0;
  for (auto part : pair) {
    od::value v;
    if (k >= 2 || std::move(part).get(v) != simdjson::SUCCESS) return expected_pair();
    if (string_value(v, k == 0 ? left : right) != simdjson::SUCCESS) return expected_pair();
    ++k;
  }
  if (k != 2) return expected_pair();
  return ok_status();
}

Status Scanner::scan_merges(od::array merges) {
  size_t n = 0;
  if (auto err = merges.count_elements().get(n)) return json_error("model.merges", err);
  MergeResolver resolver(vocab_, n);
  // A merge that does not parse fails the load, unless a lower merge is not in the vocab: that
  // one is reported, as if the merges were checked one by one.
  const auto fail = [&](Error parse_error) -> Status {
    auto resolved = resolver.finish();
    if (!resolved) return error("model.merges", resolved.error());
    return parse_error;
  };
  for (auto element : merges) {
    od::value merge;
    if (auto err = std::move(element).get(merge)) {
      return fail(json_error("model.merges[" + std::to_string(resolver.n_pushed()) + "]", err));
    }
    std::string_view left, right;
    if (auto status = parse_merge(merge, resolver.n_pushed(), left, right); !status) return fail(std::move(status).take_error());
    resolver.push(left, right);
  }
  auto resolved = resolver.finish();
  if (!resolved) return error("model.merges", resolved.error());
  merges_ = std::move(resolved).value();
  return ok_status();
}

Status Scanner::scan_model(od::object model, std::string& rest) {
  std::optional<std::string_view> deferred_merges;  // merges written before the vocab
  rest += '{';
  for (auto member : model) {
    od::field field;
    if (auto err = std::move(member).get(field)) return json_error("model", err);
    std::string_view key, raw_key;
    if (auto err = key_of(field, key, raw_key)) return json_error("model", err);
    od::value& value = field.value();
    od::json_type type;
    if (auto err = value.type().get(type)) return json_error("model." + std::string(key), err);
    if ((key == "vocab" && out_.has_vocab) || (key == "merges" && out_.has_merges)) {
      return error("model." + std::string(key), "repeated");
    }
    if (key == "vocab" && type == od::json_type::object) {
      od::object vocab;
      if (auto err = value.get_object().get(vocab)) return json_error("model.vocab", err);
      G3_TRY(scan_vocab(vocab));
      out_.has_vocab = true;
    } else if (key == "merges" && type == od::json_type::array) {
      od::array merges;
      if (auto err = value.get_array().get(merges)) return json_error("model.merges", err);
      if (out_.has_vocab) {
        G3_TRY(scan_merges(merges));
      } else {  // resolved once the vocab is in: keep where its text is
        std::string_view raw;
        if (auto err = merges.raw_json().get(raw)) return json_error("model.merges", err);
        deferred_merges = raw;
      }
      out_.has_merges = true;
    } else {  // anything else (and a vocab or merges of the wrong type) is checked by the DOM loader
      std::string_view raw;
      G3_TRY(raw_value(value, "model." + std::string(key), raw));
      rest.append("\"").append(raw_key).append("\":").append(raw).append(",");
    }
  }
  if (rest.back() == ',') rest.pop_back();
  rest += '}';
  if (deferred_merges && out_.has_vocab) {
    // A second On-Demand pass over just the merges text; the rest of the input after it is its padding.
    od::parser parser;
    od::document doc;
    od::array merges;
    const size_t room = static_cast<size_t>(json_.data() + capacity_ - deferred_merges->data());
    if (auto err = parser.iterate(deferred_merges->data(), deferred_merges->size(), room).get(doc)) {
      return json_error("model.merges", err);
    }
    if (auto err = doc.get_array().get(merges)) return json_error("model.merges", err);
    G3_TRY(scan_merges(merges));
  }
  return ok_status();
}

Result<TokenizerJsonScan> Scanner::run() {
  od::parser parser;
  od::document doc;
  od::object root;
  if (auto err = parser.iterate(json_.data(), json_.size(), capacity_).get(doc)) return json_error("(root)", err);
  if (auto err = doc.get_object().get(root)) {
    if (err == simdjson::INCORRECT_TYPE) return error("(root)", "expected an object");
    return json_error("(root)", err);
  }
  std::string& rest = out_.rest;
  rest += '{';
  bool seen_model = false;
  for (auto member : root) {
    od::field field;
    if (auto err = std::move(member).get(field)) return json_error("(root)", err);
    std::string_view key, raw_key;
    if (auto err = key_of(field, key, raw_key)) return json_error("(root)", err);
    od::value& value = field.value();
    od::json_type type;
    if (auto err = value.type().get(type)) return json_error(std::string(key), err);
    rest.append("\"").append(raw_key).append("\":");
    if (key == "model" && type == od::json_type::object && !seen_model) {
      seen_model = true;
      od::object model;
      if (auto err = value.get_object().get(model)) return json_error("model", err);
      G3_TRY(scan_model(model, rest));
    } else {
      std::string_view raw;
      G3_TRY(raw_value(value, std::string(key), raw));
      rest.append(raw);
    }
    rest += ',';
  }
  if (rest.back() == ',') rest.pop_back();
  rest += '}';
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) != simdjson::OUT_OF_BOUNDS) {
    return error("(root)", "invalid JSON (content after the root object)");
  }
  return std::move(out_);
}

}  // namespace

Result<TokenizerJsonScan> scan_tokenizer_json(std::string_view json, size_t capacity, const std::string& file,
                                              Vocab& vocab, MergeTable& merges) {
  return Scanner(json, capacity, file, vocab, merges).run();
}

}  // namespace gemma3
