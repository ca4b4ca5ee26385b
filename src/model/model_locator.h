// Finding a checkpoint folder: `-m PATH` when given, else the usual places a user keeps Gemma 3
// 270M (./gemma-3-270m-it, ./gemma-3-270m, the Hugging Face hub cache).
#pragma once

#include <filesystem>
#include <string>

#include "util/result.h"

namespace gemma3 {

// Returns the checkpoint folder (or .gguf file) for the `-m` flag value. With an empty value, searches
//   ./gemma-3-270m-it, ./gemma-3-270m,
//   $HF_HUB_CACHE | $HF_HOME/hub | $XDG_CACHE_HOME/huggingface/hub | ~/.cache/huggingface/hub
//     / models--google--gemma-3-270m-it/snapshots/<rev>/
//   (then models--google--gemma-3-270m)
// and when none exists returns an error that explains how to get the (gated) weights.
Result<std::filesystem::path> resolve_model_dir(const std::string& flag_value);

// The Hugging Face hub cache folder the search above uses.
std::filesystem::path huggingface_hub_cache();

// `-m org/name` that is not a folder is a Hugging Face repo id, resolved by this function when one
// is set. The resolver lives in src/hub (above model/, which cannot depend on libcurl); the gemma3
// program installs it (apps/cmd_pull.cc). Without one, a repo id is just a missing folder.
using RepoResolver = Result<std::filesystem::path> (*)(const std::string& repo_id);
void set_repo_resolver(RepoResolver resolver);

}  // namespace gemma3
