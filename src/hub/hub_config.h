// Where the Hugging Face Hub is and who we are to it: the endpoint ($HF_ENDPOINT), the access token
// ($HF_TOKEN or the file `huggingface-cli login` writes), repo ids and the Hub's URL scheme. Same
// environment variables and precedence as Python's huggingface_hub, so one set-up serves both.
#pragma once

#include <string>

#include "util/result.h"

namespace gemma3::hub {

constexpr const char* kDefaultEndpoint = "https://huggingface.co";
constexpr const char* kDefaultRepo = "google/gemma-3-270m-it";

// $HF_ENDPOINT without trailing '/', else https://huggingface.co.
std::string hub_endpoint();

struct HubToken {
  std::string value;   // empty: no token (anonymous requests)
  std::string source;  // "HF_TOKEN" or the token file's path, for error messages
  bool empty() const { return value.empty(); }
};

// $HF_TOKEN, else the token file: $HF_TOKEN_PATH, else $HF_HOME/token, else
// $XDG_CACHE_HOME/huggingface/token, else ~/.cache/huggingface/token (the first of these that is
// set names the file; no token when it is absent). Surrounding whitespace is dropped.
HubToken find_token();

// "org/name" or "name": letters, digits, '-', '_', '.', not starting or ending with '-' or '.',
// no "--" or "..", at most 96 characters (the Hub's own rules). The error says what is wrong.
Status check_repo_id(const std::string& repo_id);

// Percent-encodes everything but unreserved characters (and '/' when keep_slash), as URLs need
// for a revision like "refs/pr/1" (one path segment) or a file in a subfolder (several).
std::string url_quote(const std::string& text, bool keep_slash);

// {endpoint}/api/models/{repo}/revision/{rev}: the commit a revision points at and its files.
std::string model_info_url(const std::string& endpoint, const std::string& repo_id, const std::string& revision);
// {endpoint}/{repo}/resolve/{rev}/{file}: a file's content (LFS files answer with a redirect).
std::string resolve_url(const std::string& endpoint, const std::string& repo_id, const std::string& revision,
                        const std::string& filename);

// "scheme://host[:port]" of a URL (lower-cased), to decide whether a URL is on the endpoint's host.
std::string url_origin(const std::string& url);

// True for a 40-digit lower-case hex commit hash (revisions that are not refs).
bool is_commit_hash(const std::string& revision);

}  // namespace gemma3::hub
