// Helpers shared by the API families that translate their requests into a chat completion
// (server/responses/, server/anthropic/): reading typed fields with errors that name them, and the
// SSE framing with an event name that both the Responses and the Messages streams use.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/api_error.h"

namespace gemma3 {

// "a string", "an array", "an integer (3)", ... for error messages.
std::string describe_json(const nlohmann::ordered_json& value);

// `value` must be a string: its text, or a 400 naming `param`.
ApiResult<std::string> expect_string(const nlohmann::ordered_json& value, const std::string& param);

// The member `name` of `object` when present and not null, else nullptr.
const nlohmann::ordered_json* find_field(const nlohmann::ordered_json& object, const char* name);

// The member `name` when it is a string, else "" (absent, null or another type).
std::string string_member(const nlohmann::ordered_json& object, const char* name);

// Copies `from[name]` (when present and not null) to `to[as]` unchecked: the chat parser checks it
// and its errors name the same field.
void copy_field(const nlohmann::ordered_json& from, const char* name, nlohmann::ordered_json& to, const char* as);

// "event: NAME\ndata: JSON\n\n". Invalid UTF-8 (never expected) is replaced, not thrown.
std::string sse_named_event(std::string_view name, const nlohmann::ordered_json& data);

// The id's part after its first '_' ("call_ab12" -> "ab12"), the whole id when it has none: API
// ids are derived from one another ("call_X" -> "fc_X", "toolu_X") so each stays the same across a
// stream, its final object and a stored response.
std::string id_suffix(std::string_view id);

}  // namespace gemma3
