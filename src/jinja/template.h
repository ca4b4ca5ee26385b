// The public face of the Jinja engine: parse a chat template once, render it many times.
//
// Semantics are those of transformers' apply_chat_template: Jinja2's ImmutableSandboxedEnvironment
// with trim_blocks and lstrip_blocks, the loopcontrols extension ({% break %}, {% continue %}) and
// the {% generation %} tag (renders its body); `tojson` is json.dumps(x, ensure_ascii=False, indent,
// separators, sort_keys); the globals raise_exception(msg) and strftime_now(fmt) (local time) exist
// beside Jinja's range (at most 100,000 items, as the sandbox), namespace, dict, cycler, joiner.
//
// Provenance: every string carries which of its bytes came from untrusted values (see text.h and
// value_from_json). RenderOutput::untrusted lists them; a byte is trusted only if the template
// itself or a trusted global wrote it.
//
// Thread safety: a Template is immutable after parse(); any number of threads may render it at
// once. Values passed in must not be mutated while a render reads them (they are immutable).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "jinja/value.h"
#include "util/result.h"

namespace gemma3::jinja {

struct Node;

// Bounds on one render: every overrun fails the render with a message naming the limit.
struct Limits {
  int max_call_depth = 64;                     // nested macro / caller() calls
  int64_t max_loop_iterations = 1'000'000;     // total over the render (for loops and filters)
  size_t max_output_bytes = 16 << 20;          // the output, and any one string built on the way
  int64_t max_time_ms = 2000;                  // wall time of the render
  size_t max_items = 1 << 20;                  // any one list built on the way (`*`, filters)
};

// JSON -> Value: objects become dicts (key order kept), arrays lists, integers int (an unsigned
// beyond int64 becomes float), reals float, so 1 and 1.0 stay apart. With `untrusted`, every string
// and every dict key inside is marked as request data. Arrays/objects nested deeper than
// kMaxValueDepth become an Undefined whose use fails the render ("JSON nested too deeply").
// Key order matters (tojson and dict iteration print it): nlohmann::json keeps object keys
// SORTED, so parse request bodies as nlohmann::ordered_json to render exactly as Python does.
Value value_from_json(const nlohmann::ordered_json& j, bool untrusted);
Value value_from_json(const nlohmann::json& j, bool untrusted);   // keys in sorted order

// Rendered text plus where each byte came from.
struct RenderOutput {
  std::string text;
  // Sorted, non-overlapping, non-adjacent [begin, end) byte ranges of `text` whose bytes derive
  // from untrusted values. Everything else was written by the template or by trusted globals.
  std::vector<std::pair<size_t, size_t>> untrusted;
};

// Details of a failed render, for callers that must tell the failure kinds apart.
struct RenderFailure {
  enum class Kind {
    kTemplate,        // undefined attribute, type error, security error ...: message has the line
    kRaiseException,  // raise_exception(msg): message is msg exactly (a 400 for the API)
    kLimit,           // a Limits bound was hit: message names the limit
  };
  Kind kind = Kind::kTemplate;
  std::string message;   // the same text as the Result's error
  int line = 0;          // template line (1-based), 0 if unknown
};

class Template {
 public:
  // Parses once (at model load). Errors read "line L, column C: <what>" (1-based).
  static Result<Template> parse(std::string_view source);

  // Renders with `globals` (name -> Value; they shadow the built-in globals of the same name).
  // Error messages: raise_exception(msg) -> msg exactly; other template errors ->
  // "line L: <what>"; limits -> "line L: <limit name> exceeded (...)". When `failure` is given it
  // receives the kind of a failure.
  Result<RenderOutput> render(const std::map<std::string, Value>& globals, const Limits& limits = {},
                              RenderFailure* failure = nullptr) const;

 private:
  explicit Template(std::shared_ptr<const Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const Node> root_;
};

}  // namespace gemma3::jinja
