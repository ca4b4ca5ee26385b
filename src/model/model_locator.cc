#include "model/model_locator.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "model/gguf_model.h"

namespace gemma3 {
namespace fs = std::filesystem;

namespace {

const char* env_or_null(const char* name) {
  const char* value = std::getenv(name);
  return (value != nullptr && *value != '\0') ? value : nullptr;
}

// The newest snapshot folder that holds a config.json, or empty.
fs::path newest_snapshot(const fs::path& repo_dir) {
  std::error_code ec;
  fs::path best;
  fs::file_time_type best_time{};
  for (const auto& entry : fs::directory_iterator(repo_dir / "snapshots", ec)) {
    if (!fs::exists(entry.path() / "config.json", ec)) continue;
    auto t = fs::last_write_time(entry.path(), ec);
    if (best.empty() || t > best_time) {
      best = entry.path();
      best_time = t;
    }
  }
  return best;
}

RepoResolver g_repo_resolver = nullptr;

// "org/name": one '/', not a path that starts at the root, home or current folder.
bool looks_like_repo_id(const std::string& value) {
  return std::count(value.begin(), value.end(), '/') == 1 && value.front() != '/' && value.front() != '.' &&
         value.front() != '~' && value.back() != '/';
}

}  // namespace

void set_repo_resolver(RepoResolver resolver) { g_repo_resolver = resolver; }

fs::path huggingface_hub_cache() {
  if (const char* v = env_or_null("HF_HUB_CACHE")) return v;
  if (const char* v = env_or_null("HF_HOME")) return fs::path(v) / "hub";
  // huggingface_hub puts HF_HOME under $XDG_CACHE_HOME when that is set.
  if (const char* v = env_or_null("XDG_CACHE_HOME")) return fs::path(v) / "huggingface" / "hub";
  const char* home = env_or_null("HOME");
  return fs::path(home ? home : "/root") / ".cache" / "huggingface" / "hub";
}

Result<fs::path> resolve_model_dir(const std::string& flag_value) {
  std::error_code ec;
  if (!flag_value.empty()) {
    fs::path dir(flag_value);
    if (!fs::exists(dir, ec) && g_repo_resolver != nullptr && looks_like_repo_id(flag_value))
      return g_repo_resolver(flag_value);
    if (!fs::exists(dir, ec)) return make_error("model folder " + flag_value + " does not exist");
    if (is_gguf_path(dir)) return dir;  // a llama.cpp GGUF file (model/gguf_model.h)
    if (!fs::is_directory(dir, ec))
      return make_error(flag_value + " is not a folder: -m expects a Hugging Face checkpoint folder (config.json, model.safetensors, tokenizer.json) or a .gguf file");
    return dir;
  }
  std::vector<fs::path> candidates = {"gemma-3-270m-it", "gemma-3-270m"};
  fs::path hub = huggingface_hub_cache();
  for (const char* repo : {"models--google--gemma-3-270m-it", "models--google--gemma-3-270m"}) {
    fs::path snap = newest_snapshot(hub / repo);
    if (!snap.empty()) candidates.push_back(snap);
  }
  for (const auto& c : candidates) {
    if (fs::exists(c / "config.json", ec)) return c;
  }
  return make_error(
      "no model given (-m PATH) and none found in ./gemma-3-270m-it, ./gemma-3-270m or the Hugging Face cache (" +
      (hub / "models--google--gemma-3-270m-it").string() +
      ").\nThe Gemma 3 weights are gated: accept the licence at https://huggingface.co/google/gemma-3-270m-it, "
      "then download them into that cache with your token:\n  HF_TOKEN=hf_... gemma3 pull google/gemma-3-270m-it"
      "\nor make a synthetic checkpoint for testing: gemma3 synth --preset 270m -o DIR");
}

}  // namespace gemma3
