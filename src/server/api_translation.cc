#include "server/api_translation.h"

namespace gemma3 {

using nlohmann::ordered_json;

std::string describe_json(const ordered_json& value) {
  switch (value.type()) {
    case ordered_json::value_t::string: return "a string";
    case ordered_json::value_t::boolean: return "a boolean";
    case ordered_json::value_t::number_integer:
    case ordered_json::value_t::number_unsigned: return "an integer (" + value.dump() + ")";
    case ordered_json::value_t::number_float: return "a number (" + value.dump() + ")";
    case ordered_json::value_t::array: return "an array";
    case ordered_json::value_t::object: return "an object";
    default: return "null";
  }
}

ApiResult<std::string> expect_string(const ordered_json& value, const std::string& param) {
  if (!value.is_string()) return invalid_field(param, "'" + param + "' must be a string, got " + describe_json(value) + ".");
  return value.get<std::string>();
}

const ordered_json* find_field(const ordered_json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string string_member(const ordered_json& object, const char* name) {
  if (!object.is_object()) return "";
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

void copy_field(const ordered_json& from, const char* name, ordered_json& to, const char* as) {
  if (const ordered_json* v = find_field(from, name)) to[as] = *v;
}

std::string sse_named_event(std::string_view name, const ordered_json& data) {
  std::string out = "event: ";
  out.append(name);
  out += "\ndata: ";
  out += data.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  out += "\n\n";
  return out;
}

std::string id_suffix(std::string_view id) {
  const size_t underscore = id.find('_');
  return std::string(underscore == std::string_view::npos ? id : id.substr(underscore + 1));
}

}  // namespace gemma3
