// The `format` patterns against ajv-formats (full mode): tests/data/grammar/format_cases.json holds
// strings near each format with ajv's verdict (written by tests/grammar/js/format_cases.mjs). The
// grammar must never accept what ajv rejects, and must accept what ajv accepts except in the
// documented subsets (hostname lengths, leap seconds at non-zero offsets; see string_formats.cc).
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "grammar/front_ends.h"
#include "ir_recognizer.h"

namespace gemma3::grammar {
namespace {

TEST(Formats, AgreeWithAjvFormats) {
  std::ifstream in(std::string(GEMMA3_SOURCE_DIR) + "/tests/data/grammar/format_cases.json");
  ASSERT_TRUE(in) << "missing tests/data/grammar/format_cases.json";
  const nlohmann::json cases = nlohmann::json::parse(in);
  std::map<std::string, Grammar> grammars;
  std::map<std::string, int> checked, subset_misses;
  for (const auto& c : cases) {
    const std::string format = c["format"], text = c["text"];
    const bool valid = c["valid"];
    if (!grammars.count(format)) {
      auto g = json_schema_grammar(nlohmann::json{{"type", "string"}, {"format", format}});
      ASSERT_TRUE(g.ok()) << format << ": " << g.error();
      grammars.emplace(format, std::move(*g));
    }
    testing::IrRecognizer rec(grammars.at(format));
    const bool accepted = rec.accepts(nlohmann::json(text).dump());
    ++checked[format];
    if (accepted) {
      EXPECT_TRUE(valid) << format << ": accepted '" << text << "', which ajv-formats rejects";
    } else if (valid) {
      const bool documented = format == "hostname" || text.find(":60") != std::string::npos ||
                              (format == "date-time" && text.find_first_of("tT") == std::string::npos);
      EXPECT_TRUE(documented) << format << ": rejected '" << text << "', which ajv-formats accepts";
      ++subset_misses[format];
    }
  }
  for (const auto& [format, n] : checked) {
    std::printf("format %-22s %4d cases, %d valid ones rejected (documented subsets)\n", format.c_str(), n, subset_misses[format]);
  }
}

}  // namespace
}  // namespace gemma3::grammar
