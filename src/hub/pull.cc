#include "hub/pull.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "hub/blob_download.h"
#include "hub/hub_cache.h"
#include "hub/progress.h"
#include "model/model_locator.h"

namespace gemma3::hub {
namespace fs = std::filesystem;

namespace {

constexpr const char* kIndexFile = "model.safetensors.index.json";

bool contains(const std::vector<std::string>& files, const std::string& name) {
  return std::find(files.begin(), files.end(), name) != files.end();
}

// One file: its metadata, its blob, its snapshot link.
Status fetch_file(const HubClient& client, const RepoCache& cache, const std::string& repo_id, const std::string& commit,
                  const std::string& filename, PullResult& result) {
  auto meta = fetch_file_metadata(client, repo_id, commit, filename);
  if (!meta) return std::move(meta).take_error();
  auto fetched = ensure_blob(client, cache, *meta, repo_id);
  if (!fetched) return std::move(fetched).take_error();
  if (!cache.snapshot_has(commit, filename, meta->etag)) G3_TRY(cache.link_snapshot_file(commit, filename, meta->etag));
  ++result.n_files;
  if (fetched->downloaded) ++result.n_downloaded;
  result.bytes_downloaded += fetched->bytes;
  return ok_status();
}

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<std::vector<std::string>> select_checkpoint_files(const std::vector<std::string>& repo_files) {
  std::vector<std::string> chosen;
  for (const char* required : {"config.json", "tokenizer.json"}) {
    if (!contains(repo_files, required))
      return make_error(std::string("the repository has no ") + required + ": it is not a Hugging Face transformers checkpoint");
    chosen.push_back(required);
  }
  for (const char* optional : {"generation_config.json", "tokenizer_config.json", "special_tokens_map.json",
                               "tokenizer.model", "chat_template.jinja"}) {
    if (contains(repo_files, optional)) chosen.push_back(optional);
  }
  if (contains(repo_files, "model.safetensors")) chosen.push_back("model.safetensors");
  else if (contains(repo_files, kIndexFile)) chosen.push_back(kIndexFile);
  else return make_error("the repository has neither model.safetensors nor model.safetensors.index.json (only safetensors weights are supported)");
  return chosen;
}

Result<std::vector<std::string>> shards_from_index(const std::string& index_json, const std::string& where,
                                                   const std::vector<std::string>& repo_files) {
  auto j = nlohmann::json::parse(index_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return make_error(where + " is not a JSON object");
  if (!j.contains("weight_map") || !j["weight_map"].is_object() || j["weight_map"].empty())
    return make_error(where + " has no \"weight_map\" object");
  std::vector<std::string> shards;
  std::set<std::string> seen;
  for (const auto& [tensor, file] : j["weight_map"].items()) {
    if (!file.is_string()) return make_error(where + ": weight_map[\"" + tensor + "\"] is not a file name");
    std::string name = file.get<std::string>();
    if (!seen.insert(name).second) continue;
    if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos)
      return make_error(where + ": weight_map[\"" + tensor + "\"] names a file outside the repository: " + name);
    if (!contains(repo_files, name))
      return make_error(where + ": weight_map[\"" + tensor + "\"] names " + name + ", which the repository does not have");
    shards.push_back(name);
  }
  return shards;
}

Result<PullResult> pull_checkpoint(const PullOptions& options) {
  G3_TRY(check_repo_id(options.repo_id));
  if (options.revision.empty()) return make_error("--revision must not be empty");
  HubClient client = make_hub_client(options.retry);
  RepoCache cache(huggingface_hub_cache(), options.repo_id);

  auto info = fetch_repo_info(client, options.repo_id, options.revision);
  if (!info) return std::move(info).take_error();
  auto files = select_checkpoint_files(info->files);
  if (!files) return make_error(options.repo_id + " at revision " + options.revision + ": " + files.error());
  std::fprintf(stderr, "%s @ %s (commit %s): %zu files to check, from %s%s\n", options.repo_id.c_str(),
               options.revision.c_str(), info->commit.c_str(), files->size(), client.endpoint.c_str(),
               client.token.empty() ? " (no token)" : (" with the token from " + client.token.source).c_str());

  PullResult result;
  result.commit = info->commit;
  for (const auto& filename : *files) {
    G3_TRY(fetch_file(client, cache, options.repo_id, info->commit, filename, result));
    if (filename != kIndexFile) continue;
    fs::path index_path = cache.snapshot_dir(info->commit) / kIndexFile;
    auto text = read_file(index_path);
    if (!text) return std::move(text).take_error();
    auto shards = shards_from_index(*text, kIndexFile + std::string(" of ") + options.repo_id, info->files);
    if (!shards) return std::move(shards).take_error();
    for (const auto& shard : *shards) G3_TRY(fetch_file(client, cache, options.repo_id, info->commit, shard, result));
  }
  // Last: only a snapshot with every file in place becomes what the revision names.
  if (options.revision != info->commit) G3_TRY(cache.write_ref(options.revision, info->commit));
  result.snapshot = cache.snapshot_dir(info->commit);
  return result;
}

Result<fs::path> resolve_repo_model(const std::string& repo_id) {
  G3_TRY(check_repo_id(repo_id));
  RepoCache cache(huggingface_hub_cache(), repo_id);
  auto cached = cache.find_snapshot("main");
  // HF_HUB_OFFLINE=1 means what it means to huggingface_hub: the cache only, no network at all.
  const char* offline = std::getenv("HF_HUB_OFFLINE");
  bool online = offline == nullptr || (std::string(offline) != "1" && std::string(offline) != "true");
  if (online && !find_token().empty()) {
    PullOptions options;
    options.repo_id = repo_id;
    // With a cached copy to fall back on, an unreachable Hub should not hold the command up long.
    if (cached) options.retry.max_retries = 1;
    auto pulled = pull_checkpoint(options);
    if (pulled) return pulled->snapshot;
    if (!cached) return std::move(pulled).take_error();
    std::fprintf(stderr, "warning: could not update %s from the Hub, using the cached copy %s:\n%s\n", repo_id.c_str(),
                 cached->c_str(), pulled.error().c_str());
  }
  if (cached) return *cached;
  return make_error(repo_id + " is not in the Hugging Face cache (" + cache.dir().string() + "). Download it with\n  gemma3 pull " +
                    repo_id + "\n(gated models such as Gemma need a token: accept the licence at " + hub_endpoint() + "/" +
                    repo_id + ", then set HF_TOKEN=hf_...; with HF_TOKEN set, -m downloads it itself)");
}

}  // namespace gemma3::hub
