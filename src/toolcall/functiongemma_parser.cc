// FunctionGemma's streaming parser: content until <start_function_call>, then the call body up to an
// <end_function_call> that is not inside an <escape>d string, parsed by fg_syntax.
#include "toolcall/fg_syntax.h"
#include "toolcall/parsers.h"

namespace gemma3::toolcall {

size_t marker_prefix_suffix(std::string_view text, std::string_view marker) {
  size_t max = std::min(text.size(), marker.size() - 1);
  for (size_t len = max; len > 0; --len)
    if (text.substr(text.size() - len) == marker.substr(0, len)) return len;
  return 0;
}

namespace {

class PassthroughParser final : public ToolCallParser {
 public:
  void feed(std::string_view text, std::vector<ParserEvent>& out) override {
    if (!text.empty()) out.push_back({ParserEvent::Kind::kContent, std::string(text), {}});
  }
  void finish(bool, std::vector<ParserEvent>&) override {}
};

class FunctionGemmaParser final : public ToolCallParser {
 public:
  explicit FunctionGemmaParser(const ToolRequest& request) : request_(request) {}

  void feed(std::string_view text, std::vector<ParserEvent>& out) override {
    buf_.append(text);
    for (;;) {
      if (!in_call_) {
        size_t start = buf_.find(kFgStartCall);
        if (start == std::string::npos) {
          size_t keep = marker_prefix_suffix(buf_, kFgStartCall);
          emit_content(buf_.substr(0, buf_.size() - keep), out);
          buf_.erase(0, buf_.size() - keep);
          return;
        }
        emit_content(buf_.substr(0, start), out);
        buf_.erase(0, start + kFgStartCall.size());
        in_call_ = true;
        scan_ = 0;
        in_escape_ = false;
      }
      // Scan the call body once, byte by byte, remembering where we stopped (linear overall).
      bool complete = false;
      while (scan_ < buf_.size()) {
        std::string_view rest = std::string_view(buf_).substr(scan_);
        if (rest.substr(0, kFgEscape.size()) == kFgEscape) {
          in_escape_ = !in_escape_;
          scan_ += kFgEscape.size();
          continue;
        }
        if (!in_escape_ && rest.substr(0, kFgEndCall.size()) == kFgEndCall) {
          complete = true;
          break;
        }
        if (!in_escape_ && rest.substr(0, kFgStartCall.size()) == kFgStartCall) {
          // A new call starts inside an unfinished one: the unfinished one is dropped.
          buf_.erase(0, scan_ + kFgStartCall.size());
          scan_ = 0;
          continue;
        }
        // A marker split across feeds: wait for the rest.
        if (rest.size() < kFgStartCall.size() &&
            (kFgEscape.substr(0, rest.size()) == rest || kFgEndCall.substr(0, rest.size()) == rest ||
             kFgStartCall.substr(0, rest.size()) == rest))
          return;
        ++scan_;
      }
      if (!complete) return;
      auto call = parse_functiongemma_call(std::string_view(buf_).substr(0, scan_));
      if (call && request_.find(call->name)) out.push_back({ParserEvent::Kind::kToolCall, {}, std::move(*call)});
      buf_.erase(0, scan_ + kFgEndCall.size());
      in_call_ = false;
    }
  }

  void finish(bool, std::vector<ParserEvent>& out) override {
    if (!in_call_) emit_content(buf_, out);
    buf_.clear();
    in_call_ = false;
  }

 private:
  static void emit_content(std::string_view text, std::vector<ParserEvent>& out) {
    if (!text.empty()) out.push_back({ParserEvent::Kind::kContent, std::string(text), {}});
  }

  const ToolRequest request_;
  std::string buf_;        // outside a call: held-back text; inside: the call body so far
  bool in_call_ = false;
  size_t scan_ = 0;        // inside a call: bytes of buf_ already scanned
  bool in_escape_ = false;
};

}  // namespace

std::unique_ptr<ToolCallParser> make_passthrough_parser() { return std::make_unique<PassthroughParser>(); }
std::unique_ptr<ToolCallParser> make_functiongemma_parser(const ToolRequest& request) {
  return std::make_unique<FunctionGemmaParser>(request);
}

}  // namespace gemma3::toolcall
