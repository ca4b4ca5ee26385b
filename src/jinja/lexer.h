// Lexer: template source -> tokens, with Jinja's whitespace control exactly as Hugging Face
// configures it (trim_blocks and lstrip_blocks on, keep_trailing_newline off):
//   - newlines are normalized to "\n" and one trailing newline of the source is dropped;
//   - `{%-`, `{{-`, `{#-` strip all whitespace before the tag; `-%}`, `-}}`, `-#}` all after it;
//   - trim_blocks: the first "\n" right after a block or comment tag is removed (not after `+%}`);
//   - lstrip_blocks: spaces/tabs from the start of a line up to a block or comment tag are removed
//     (not for `{%+`, and never for `{{`);
//   - `{% raw %}...{% endraw %}` is data; comments are dropped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace gemma3::jinja {

enum class Tok : uint8_t { Data, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Int, Float, Op, Eof };

struct Token {
  Tok type = Tok::Eof;
  std::string text;   // Data/String: the (unescaped) text; Name/Op: the spelling
  int64_t ival = 0;   // Int
  double fval = 0;    // Float
  int line = 1;       // 1-based position of the token's first byte
  int col = 1;
};

// Tokenizes `source`. Errors read "line L, column C: <what>".
Result<std::vector<Token>> lex(std::string_view source);

}  // namespace gemma3::jinja
