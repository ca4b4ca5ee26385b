#include "model/generation_config.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "util/json_depth.h"
#include "util/mapped_file.h"

namespace gemma3 {

Result<GenerationConfig> load_generation_config(const std::filesystem::path& model_dir,
                                                const std::vector<int32_t>& fallback_eos) {
  GenerationConfig g;
  const auto path = model_dir / "generation_config.json";
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    auto text = read_text_file(path);
    if (!text) return std::move(text).take_error();
    // Error messages dump values recursively: a deep one would overflow the stack.
    if (json_nesting_depth(*text) > 64) return make_error(path.string() + ": JSON nested deeper than 64 levels");
    auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return make_error(path.string() + ": not a JSON object");
    const std::string file = path.string();
    if (j.contains("eos_token_id") && !j["eos_token_id"].is_null()) {
      const auto& e = j["eos_token_id"];
      if (e.is_number_integer()) {
        g.eos_token_ids.push_back(e.get<int32_t>());
      } else if (e.is_array()) {
        for (const auto& id : e) {
          if (!id.is_number_integer()) return make_error(file + ": eos_token_id must hold integers, got " + id.dump());
          g.eos_token_ids.push_back(id.get<int32_t>());
        }
      } else {
        return make_error(file + ": eos_token_id must be an integer or a list of integers, got " + e.dump());
      }
    }
    auto number = [&](const char* key) -> Result<std::optional<double>> {
      if (!j.contains(key) || j[key].is_null()) return std::optional<double>();
      if (!j[key].is_number()) return make_error(file + ": " + key + " must be a number, got " + j[key].dump());
      return std::optional<double>(j[key].get<double>());
    };
    auto top_k = number("top_k");
    if (!top_k) return std::move(top_k).take_error();
    if (*top_k) {
      // Casting a value outside int32's range is undefined behaviour.
      if (!(**top_k >= 0 && **top_k <= 1e9)) return make_error(file + ": top_k must be between 0 and 1e9, got " + j["top_k"].dump());
      g.top_k = static_cast<int32_t>(**top_k);
    }
    auto top_p = number("top_p");
    if (!top_p) return std::move(top_p).take_error();
    if (*top_p) g.top_p = static_cast<float>(**top_p);
    auto temperature = number("temperature");
    if (!temperature) return std::move(temperature).take_error();
    if (*temperature) g.temperature = static_cast<float>(**temperature);
    if (j.contains("do_sample") && j["do_sample"].is_boolean()) g.do_sample = j["do_sample"].get<bool>();
  }
  if (g.eos_token_ids.empty()) {
    for (int32_t id : fallback_eos) {
      if (std::find(g.eos_token_ids.begin(), g.eos_token_ids.end(), id) == g.eos_token_ids.end()) g.eos_token_ids.push_back(id);
    }
  }
  return g;
}

}  // namespace gemma3
