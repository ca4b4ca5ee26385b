#include "toolcall/fg_syntax.h"

#include <set>

namespace gemma3::toolcall {

namespace {

// A JSON string literal for `s` (invalid UTF-8 replaced, never an exception).
std::string json_quote(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
  size_t i = 0, n = s.size();
  auto digits = [&] {
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') ++i;
  else if (!digits()) return false;
  if (i < n && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

bool is_bare_key_char(char c) {
  return c != ':' && c != ',' && c != '{' && c != '}' && c != '[' && c != ']' && c != '<';
}

// Recursive descent over the call body; depth is bounded by kFgMaxDepth, so the recursion is too.
class ValueReader {
 public:
  explicit ValueReader(std::string_view text) : s_(text) {}

  size_t pos() const { return pos_; }
  const std::string& error() const { return error_; }

  // Appends the JSON text of the value at pos_ to `out`.
  bool value(std::string& out, int depth) {
    if (depth > kFgMaxDepth) return fail("arguments nested deeper than " + std::to_string(kFgMaxDepth));
    if (at_end()) return fail("a value is missing");
    char c = s_[pos_];
    if (c == '{') return object(out, depth + 1);
    if (c == '[') return list(out, depth + 1);
    if (starts_with(kFgEscape)) {
      std::string_view str;
      if (!escaped(str)) return false;
      out += json_quote(str);
      return true;
    }
    size_t start = pos_;
    while (!at_end() && s_[pos_] != ',' && s_[pos_] != '}' && s_[pos_] != ']' && s_[pos_] != '<') ++pos_;
    std::string_view word = s_.substr(start, pos_ - start);
    if (word == "true" || word == "false" || word == "null" || is_json_number(word)) {
      out += word;
      return true;
    }
    return fail("'" + std::string(word.substr(0, 40)) + "' is not a value (strings go between <escape> markers)");
  }

  bool object(std::string& out, int depth) {
    ++pos_;   // '{'
    out += '{';
    std::set<std::string, std::less<>> keys;
    if (consume('}')) return out += '}', true;
    for (;;) {
      std::string_view key;
      if (starts_with(kFgEscape)) {
        if (!escaped(key)) return false;
      } else {
        size_t start = pos_;
        while (!at_end() && is_bare_key_char(s_[pos_])) ++pos_;
        key = s_.substr(start, pos_ - start);
        if (key.empty()) return fail("an object key is missing");
      }
      if (!keys.emplace(key).second) return fail("duplicate key '" + std::string(key) + "'");
      if (!consume(':')) return fail("':' expected after key '" + std::string(key) + "'");
      out += json_quote(key);
      out += ':';
      if (!value(out, depth)) return false;
      if (consume('}')) return out += '}', true;
      if (!consume(',')) return fail("',' or '}' expected in an object");
      out += ',';
    }
  }

  bool list(std::string& out, int depth) {
    ++pos_;   // '['
    out += '[';
    if (consume(']')) return out += ']', true;
    for (;;) {
      if (!value(out, depth)) return false;
      if (consume(']')) return out += ']', true;
      if (!consume(',')) return fail("',' or ']' expected in a list");
      out += ',';
    }
  }

  bool starts_with(std::string_view p) const { return s_.substr(pos_, p.size()) == p; }
  bool consume(char c) {
    if (at_end() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message) + " (at byte " + std::to_string(pos_) + ")";
    return false;
  }

 private:
  bool at_end() const { return pos_ >= s_.size(); }
  bool escaped(std::string_view& str) {
    pos_ += kFgEscape.size();
    size_t end = s_.find(kFgEscape, pos_);
    if (end == std::string_view::npos) return fail("unbalanced <escape>");
    str = s_.substr(pos_, end - pos_);
    pos_ = end + kFgEscape.size();
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

bool needs_escaped_key(const std::string& key) {
  if (key.empty()) return true;
  for (char c : key)
    if (!is_bare_key_char(c)) return true;
  return key.find(kFgEscape) != std::string::npos;
}

void write_value(const nlohmann::ordered_json& v, std::string& out) {
  switch (v.type()) {
    case nlohmann::json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, item] : v.items()) {
        if (!first) out += ',';
        first = false;
        if (needs_escaped_key(k)) out.append(kFgEscape).append(k).append(kFgEscape);
        else out += k;
        out += ':';
        write_value(item, out);
      }
      out += '}';
      break;
    }
    case nlohmann::json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ',';
        write_value(v[i], out);
      }
      out += ']';
      break;
    }
    case nlohmann::json::value_t::string:
      out.append(kFgEscape).append(v.get_ref<const std::string&>()).append(kFgEscape);
      break;
    default:
      out += v.dump();
  }
}

}  // namespace

Result<ParsedCall> parse_functiongemma_call(std::string_view body) {
  constexpr std::string_view kCall = "call:";
  if (body.substr(0, kCall.size()) != kCall) return make_error("a call must start with 'call:'");
  size_t brace = body.find('{', kCall.size());
  if (brace == std::string_view::npos) return make_error("'{' expected after the function name");
  ParsedCall call;
  call.name = std::string(body.substr(kCall.size(), brace - kCall.size()));
  if (!is_valid_function_name(call.name))
    return make_error("'" + call.name.substr(0, 64) + "' is not a function name");
  ValueReader reader(body.substr(brace));
  if (!reader.object(call.arguments_json, 1)) return make_error(reader.error());
  if (reader.pos() != body.size() - brace) return make_error("text after the arguments' closing '}'");
  return call;
}

std::string to_functiongemma_text(const nlohmann::ordered_json& value) {
  std::string out;
  write_value(value, out);
  return out;
}

}  // namespace gemma3::toolcall
