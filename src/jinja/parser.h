// Parser: tokens -> syntax tree, following Jinja's grammar and operator precedence
// (condexpr < or < and < not < compare < + - < ~ < * / // % < ** < unary < postfix/filter/test).
// Nesting deeper than kMaxParseDepth is refused (a hostile template cannot overflow the stack).
#pragma once

#include <string_view>

#include "jinja/ast.h"
#include "util/result.h"

namespace gemma3::jinja {

constexpr int kMaxParseDepth = 128;

// The whole template as a Body node. Errors read "line L, column C: <what>".
Result<NodePtr> parse_template(std::string_view source);

}  // namespace gemma3::jinja
