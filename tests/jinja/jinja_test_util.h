// Helpers for the Jinja engine's unit tests: render a template source with JSON globals.
#pragma once

#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "jinja/template.h"

namespace gemma3::jinja::testing {

// Renders `src` with `globals_json` (an object; "messages"/"tools" untrusted, the rest trusted).
// Returns the text, or "ERROR: <message>".
inline std::string render(const std::string& src, const std::string& globals_json = "{}", const Limits& limits = {},
                          RenderFailure* failure = nullptr) {
  auto t = Template::parse(src);
  if (!t) return "PARSE ERROR: " + t.error();
  std::map<std::string, Value> globals;
  auto j = nlohmann::ordered_json::parse(globals_json);
  for (auto it = j.begin(); it != j.end(); ++it)
    globals[it.key()] = value_from_json(it.value(), it.key() == "messages" || it.key() == "tools");
  auto out = t->render(globals, limits, failure);
  if (!out) return "ERROR: " + out.error();
  return out->text;
}

}  // namespace gemma3::jinja::testing
