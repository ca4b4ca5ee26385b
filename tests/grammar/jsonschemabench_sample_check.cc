// Acceptance over a committed slice of JSONSchemaBench (tests/data/grammar/jsonschemabench_sample.jsonl,
// every 40th schema of maskbench/data with its instances; bench/grammar/make_sample.py writes it):
// instances as json.dumps writes them, checked with the byte-level reference recognizer. No invalid
// instance may be accepted; the share of fully correct schemas must not fall below what it was when
// this test was written (refusals count as not correct). Registered by tests/cmake.d/grammar_front.cmake
// with the label "slow" (the byte-level reference takes ~45 s under ASan; the same code runs in
// the other grammar tests there).
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "grammar/front_ends.h"
#include "ir_recognizer.h"
#include "python_json.h"

namespace gemma3::grammar {
namespace {

using OJson = nlohmann::ordered_json;
constexpr int kFloor = 199;   // fully correct schemas of the sample (195 when written; 199 with not / oneOf / dependencies)

TEST(JsonSchemaBenchSample, NoInvalidAcceptedAndMostSchemasExact) {
  std::ifstream in(std::string(GEMMA3_SOURCE_DIR) + "/tests/data/grammar/jsonschemabench_sample.jsonl");
  ASSERT_TRUE(in) << "missing tests/data/grammar/jsonschemabench_sample.jsonl";
  int schemas = 0, refused = 0, correct = 0, valid = 0, valid_rejected = 0, invalid = 0, invalid_accepted = 0;
  std::string line;
  while (std::getline(in, line)) {
    const OJson entry = OJson::parse(line);
    ++schemas;
    auto g = json_schema_grammar(entry["schema"]);
    if (!g.ok()) {
      ++refused;
      continue;
    }
    ASSERT_TRUE(g->validate().ok()) << entry["name"];
    testing::IrRecognizer rec(*g);
    bool all_right = true;
    for (const auto& t : entry["tests"]) {
      const std::string text = testing::python_dumps(t["data"]);
      const bool accepted = rec.accepts(text);
      if (t["valid"].get<bool>()) {
        ++valid;
        if (!accepted) ++valid_rejected, all_right = false;
      } else {
        ++invalid;
        if (accepted) {
          ++invalid_accepted, all_right = false;
          ADD_FAILURE() << entry["name"].get<std::string>() << ": accepted invalid instance " << text.substr(0, 400);
        }
      }
    }
    correct += all_right ? 1 : 0;
  }
  std::printf("JSONSchemaBench sample: %d schemas, %d fully correct, %d refused; valid %d (%d rejected), invalid %d (%d accepted)\n",
              schemas, correct, refused, valid, valid_rejected, invalid, invalid_accepted);
  EXPECT_EQ(invalid_accepted, 0);
  EXPECT_GE(correct, kFloor) << "fewer schemas fully correct than when this test was written";
}

}  // namespace
}  // namespace gemma3::grammar
