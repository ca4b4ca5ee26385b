// Test helper: splits "event: NAME\ndata: JSON\n\n" streams into (name, parsed data) pairs, refusing
// anything that is not exactly that framing.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace gemma3::test {

struct SseEvent {
  std::string name;
  nlohmann::ordered_json data;
};

inline std::vector<SseEvent> parse_named_sse(const std::string& text) {
  std::vector<SseEvent> events;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find("\n\n", pos);
    EXPECT_NE(end, std::string::npos) << "unterminated event at " << pos;
    if (end == std::string::npos) break;
    const std::string block = text.substr(pos, end - pos);
    pos = end + 2;
    const size_t nl = block.find('\n');
    EXPECT_EQ(block.rfind("event: ", 0), 0u) << block;
    EXPECT_NE(nl, std::string::npos) << block;
    if (nl == std::string::npos) break;
    EXPECT_EQ(block.compare(nl + 1, 6, "data: "), 0) << block;
    events.push_back({block.substr(7, nl - 7), nlohmann::ordered_json::parse(block.substr(nl + 7))});
  }
  return events;
}

inline std::vector<std::string> event_names(const std::vector<SseEvent>& events) {
  std::vector<std::string> names;
  for (const SseEvent& e : events) names.push_back(e.name);
  return names;
}

}  // namespace gemma3::test
