// The json format's streaming parser. A reply that starts with '{' is one call, with '[' a list of
// calls; each call is reported as soon as its object closes. A byte scanner (string / escape state,
// bracket depth) finds where each value ends, so nothing is parsed twice; nlohmann parses each
// complete call once.
#include <set>

#include "toolcall/parsers.h"

namespace gemma3::toolcall {

namespace {

constexpr int kMaxDepth = 66;   // a list, a call object, then the arguments' own nesting (64)

class JsonCallParser final : public ToolCallParser {
 public:
  explicit JsonCallParser(const ToolRequest& request) {
    for (const Tool& t : request.tools) names_.insert(t.name);
  }

  void feed(std::string_view text, std::vector<ParserEvent>& out) override {
    if (text.empty()) return;
    if (mode_ == Mode::kUndecided)
      mode_ = text[0] == '{' ? Mode::kObject : text[0] == '[' ? Mode::kList : Mode::kText;
    if (mode_ == Mode::kText) {
      out.push_back({ParserEvent::Kind::kContent, std::string(text), {}});
      return;
    }
    if (mode_ == Mode::kDone) {
      trailing_.append(text);
      return;
    }
    for (char c : text) scan(c, out);
  }

  void finish(bool, std::vector<ParserEvent>& out) override {
    // Only what follows a finished call or list can be content; whitespace there is just the end.
    if (mode_ == Mode::kDone && trailing_.find_first_not_of(" \t\r\n") != std::string::npos)
      out.push_back({ParserEvent::Kind::kContent, trailing_, {}});
    trailing_.clear();
    element_.clear();
  }

 private:
  enum class Mode { kUndecided, kText, kObject, kList, kDone };

  void scan(char c, std::vector<ParserEvent>& out) {
    if (mode_ == Mode::kDone) {
      trailing_ += c;
      return;
    }
    const int element_depth = mode_ == Mode::kList ? 1 : 0;   // depth outside the call objects
    if (depth_ > element_depth) element_ += c;
    if (in_string_) {
      if (escaped_) escaped_ = false;
      else if (c == '\\') escaped_ = true;
      else if (c == '"') in_string_ = false;
      return;
    }
    switch (c) {
      case '"':
        in_string_ = true;
        break;
      case '{':
      case '[':
        if (depth_ == element_depth) element_.assign(1, c);
        if (++depth_ > kMaxDepth) too_deep_ = true;
        break;
      case '}':
      case ']':
        --depth_;
        if (depth_ == element_depth && !element_.empty()) {
          emit_call(out);
          element_.clear();
        }
        if (depth_ == 0) mode_ = Mode::kDone;
        break;
      default:
        // A scalar list element, or bytes outside any bracket: not a call. Collect it so that the
        // element is dropped as a whole rather than misread.
        if (depth_ == element_depth && mode_ == Mode::kList && c != ',' && c != ' ' && c != '\n' && c != '\t' &&
            c != '\r')
          bad_element_ = true;
    }
  }

  void emit_call(std::vector<ParserEvent>& out) {
    bool bad = too_deep_ || bad_element_;
    too_deep_ = bad_element_ = false;
    if (bad) return;
    auto j = nlohmann::ordered_json::parse(element_, nullptr, false);
    if (!j.is_object() || j.size() != 2) return;
    auto name = j.find("name");
    auto args = j.find("arguments");
    if (name == j.end() || !name->is_string() || args == j.end() || !args->is_object()) return;
    if (!names_.count(name->get<std::string>())) return;
    ParsedCall call{name->get<std::string>(),
                    args->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
    out.push_back({ParserEvent::Kind::kToolCall, {}, std::move(call)});
  }

  std::set<std::string, std::less<>> names_;
  Mode mode_ = Mode::kUndecided;
  int depth_ = 0;
  bool in_string_ = false, escaped_ = false, too_deep_ = false, bad_element_ = false;
  std::string element_;    // the current call object's text
  std::string trailing_;   // text after the whole value
};

}  // namespace

std::unique_ptr<ToolCallParser> make_json_call_parser(const ToolRequest& request) {
  return std::make_unique<JsonCallParser>(request);
}

}  // namespace gemma3::toolcall
