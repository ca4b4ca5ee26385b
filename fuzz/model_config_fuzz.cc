// Fuzz target: a checkpoint's JSON configs. The same bytes go to parse_model_config (config.json)
// and, as DIR/generation_config.json, to load_generation_config: both read untrusted downloads and
// must refuse any malformed or out-of-range value with a message (nlohmann's throwing accessors,
// value() and get<T>() on a wrong type, must never escape as an exception).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "model/generation_config.h"
#include "model/model_config.h"

using namespace gemma3;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = parse_model_config(text, "config.json");
  if (config.ok()) {
    const ModelConfig& c = *config;
    G3_FUZZ_CHECK(c.vocab_size > 0 && c.hidden_size > 0 && c.num_layers > 0 && c.num_heads > 0 && c.num_kv_heads > 0,
                  "accepted a config with a non-positive size");
    G3_FUZZ_CHECK(c.layer_kinds.size() == static_cast<size_t>(c.num_layers), "%zu layer kinds for %d layers",
                  c.layer_kinds.size(), c.num_layers);
    (void)model_config_to_json(c);
  } else {
    G3_FUZZ_CHECK(!config.error().empty(), "an error without a message");
  }
  const auto path = fuzz::write_scratch("generation_config.json", text);
  auto gen = load_generation_config(path.parent_path(), {1});
  if (gen.ok()) G3_FUZZ_CHECK(!gen->eos_token_ids.empty(), "no eos ids");
  return 0;
}
