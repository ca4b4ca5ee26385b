// ECMAScript regular expressions (the `u`-flag dialect JSON Schema's `pattern` uses, and vLLM-style
// guided_regex) parsed to a tree over CODE POINTS, then lowered to the byte-level grammar IR with a
// chosen character encoding (raw UTF-8, or JSON-string-escaped for a pattern on a decoded string).
//
// Supported: alternation, groups (capturing, (?:...), (?<name>...)), the quantifiers * + ? {n}
// {n,} {n,m} and their lazy forms (same language), classes [..] and [^..] with ranges, . (any code
// point but \n \r U+2028 U+2029), \d \w \s and negations, escapes \t \n \v \f \r \0 \cX \xHH \uHHHH
// (surrogate pairs combined) \u{H..}, identity escapes, and the anchors ^ $ at the ends of a
// top-level alternative. Refused with an error (not regular, or not supported): backreferences,
// lookaround, \b \B, \p{..}, anchors anywhere else.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "grammar/codepoint_set.h"
#include "grammar/front_ends.h"
#include "grammar/grammar_ir.h"
#include "util/result.h"

namespace gemma3::grammar {

struct ReNode;
using ReNodePtr = std::shared_ptr<const ReNode>;

struct ReNode {
  enum class Kind { kSet, kConcat, kAlt, kRepeat, kStart, kEnd };
  Kind kind = Kind::kConcat;   // an empty concat matches ""
  CodepointSet set;            // kSet: one code point of the set
  std::vector<ReNodePtr> children;
  uint32_t min = 0, max = 0;   // kRepeat (max == Regex::kUnbounded: no bound)
};

// Parses `pattern` (UTF-8). Errors name the problem and its offset. `ignore_case`: the /i flag for
// ASCII letters (each letter also matches its other case; folded before a class is negated).
Result<ReNodePtr> parse_ecma_regex(std::string_view pattern, const FrontEndLimits& limits, bool ignore_case = false);

enum class Anchoring {
  kFullMatch,   // the whole text matches: ^ and $ at the ends are no-ops (guided_regex, GBNF-like)
  kSearch,      // JSON Schema's `pattern`: matches anywhere unless anchored by ^ / $
};
// Rewrites the tree to an anchor-free one whose full matches are the texts the pattern accepts
// under `anchoring` (a search becomes [\s\S]*(...)[\s\S]* where not anchored).
Result<ReNodePtr> resolve_anchors(const ReNodePtr& node, Anchoring anchoring);

// Lowers an anchor-free tree, each code-point set through `encode` (utf8_regex or json_char_regex).
// Fails when the limits' node budget is exceeded.
using CharEncoder = RegexPtr (*)(const CodepointSet&);
Result<RegexPtr> lower_regex(const ReNodePtr& node, CharEncoder encode, const FrontEndLimits& limits);

// Whether the anchor-free tree fully matches `text` (code points); a slow, simple check used to
// decide enum values and property names against a pattern.
bool regex_full_match(const ReNodePtr& node, const std::vector<uint32_t>& text);

// The least and greatest number of code points a full match has (max absent: unbounded).
std::pair<uint32_t, std::optional<uint32_t>> regex_length_range(const ReNodePtr& node);

// The anchor-free tree restricted to texts of lo..hi code points (hi absent: unbounded), when that
// is expressible by tightening one repetition; nullopt otherwise.
std::optional<ReNodePtr> restrict_regex_length(const ReNodePtr& node, uint32_t lo, std::optional<uint32_t> hi);

}  // namespace gemma3::grammar
