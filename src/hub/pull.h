// `gemma3 pull`: a checkpoint from the Hugging Face Hub into the shared cache, and `-m org/name`
// resolved through that cache.
//
// A pull asks the model info API for the revision's commit and file list, picks the files a
// checkpoint needs, and for each one asks for its etag (HEAD) and downloads the blob only when the
// cache lacks it, so a second pull of the same commit downloads nothing. A snapshot link is made
// only once its blob is complete and checked, refs/<revision> only after every file is in place.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hub/hub_api.h"
#include "util/result.h"

namespace gemma3::hub {

// From a repo's file list: config.json, tokenizer.json and the weights (model.safetensors, or
// model.safetensors.index.json whose shards are added later) are required; generation_config.json,
// tokenizer_config.json, special_tokens_map.json, tokenizer.model and chat_template.jinja are taken
// when present. The error names what is missing.
Result<std::vector<std::string>> select_checkpoint_files(const std::vector<std::string>& repo_files);

// The shard files a model.safetensors.index.json names (its weight_map values, each once, in
// order of first use), each checked against the repo's file list.
Result<std::vector<std::string>> shards_from_index(const std::string& index_json, const std::string& where,
                                                   const std::vector<std::string>& repo_files);

struct PullOptions {
  std::string repo_id = "google/gemma-3-270m-it";
  std::string revision = "main";
  RetryPolicy retry;
};

struct PullResult {
  std::filesystem::path snapshot;  // the checkpoint folder to load
  std::string commit;
  int n_files = 0;
  int n_downloaded = 0;
  int64_t bytes_downloaded = 0;
};

Result<PullResult> pull_checkpoint(const PullOptions& options);

// `-m org/name`: with a token set, pulls first (nothing is downloaded when the cache is current; if
// the Hub cannot be used, a cached snapshot is used with a warning); without one, the cached
// snapshot of refs/main (also with HF_HUB_OFFLINE=1). The error says how to get the checkpoint.
Result<std::filesystem::path> resolve_repo_model(const std::string& repo_id);

}  // namespace gemma3::hub
