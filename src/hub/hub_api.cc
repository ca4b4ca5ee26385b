#include "hub/hub_api.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "hub/hub_cache.h"

namespace gemma3::hub {
namespace {

std::string header(const HttpResponse& r, const std::string& key) {
  auto it = r.headers.find(key);
  return it == r.headers.end() ? "" : it->second;
}

std::string target_of(const RequestContext& c) {
  std::string what = c.filename.empty() ? c.repo_id : c.filename + " of " + c.repo_id;
  if (!c.revision.empty()) what += " (revision " + c.revision + ")";
  return what;
}

// Runs `attempt` until it gives a final answer, backing off between retryable failures.
HttpResponse perform_with_retries(const HubClient& client, const HttpRequest& request) {
  for (int attempt = 0;; ++attempt) {
    HttpResponse response = http_perform(request);
    if (!is_retryable(response) || attempt >= client.retry.max_retries) return response;
    client.back_off(attempt + 1, response.fault.empty() ? "HTTP " + std::to_string(response.status) : response.fault);
  }
}

Error final_error(const HubClient& client, const HttpResponse& response, const RequestContext& context) {
  if (!response.completed())
    return make_error("cannot reach the Hugging Face Hub at " + client.endpoint + " for " + target_of(context) + " after " +
                      std::to_string(client.retry.max_retries) + " retries: " + response.fault +
                      "\n(set HF_ENDPOINT to use a mirror)");
  return make_error(describe_http_error(client, response, context));
}

}  // namespace

std::vector<std::string> HubClient::auth_headers(const std::string& url) const {
  if (token.empty() || url_origin(url) != url_origin(endpoint)) return {};
  return {"Authorization: Bearer " + token.value};
}

void HubClient::back_off(int attempt, const std::string& why) const {
  long delay = retry.first_delay_ms;
  for (int i = 1; i < attempt && delay < retry.max_delay_ms; ++i) delay *= 2;
  delay = std::min<long>(delay, retry.max_delay_ms);
  std::fprintf(stderr, "network problem (%s); retry %d of %d in %.1f s\n", why.c_str(), attempt, retry.max_retries,
               static_cast<double>(delay) / 1000.0);
  std::this_thread::sleep_for(std::chrono::milliseconds(delay));
}

HubClient make_hub_client(RetryPolicy retry) { return HubClient{hub_endpoint(), find_token(), retry}; }

bool is_retryable(const HttpResponse& response) {
  if (!response.completed()) return !response.aborted;
  return response.status == 408 || response.status == 429 || response.status >= 500;
}

std::string describe_http_error(const HubClient& client, const HttpResponse& response, const RequestContext& context) {
  const std::string code = header(response, "x-error-code");
  const std::string hub_message = header(response, "x-error-message");
  const std::string repo_page = client.endpoint + "/" + context.repo_id;
  const std::string what = target_of(context);
  std::string message;
  switch (response.status) {
    case 401:
      if (client.token.empty()) {
        message = "401 Unauthorized for " + what + ": no Hugging Face token was sent, and this repository needs one "
                  "(it is gated or private, or does not exist). Create a read token at " + client.endpoint +
                  "/settings/tokens and set HF_TOKEN=hf_... (or run `huggingface-cli login`).";
      } else {
        message = "401 Unauthorized for " + what + ": the token from " + client.token.source +
                  " was rejected (invalid, expired or revoked), or the repository does not exist or is private. "
                  "Check the token at " + client.endpoint + "/settings/tokens.";
      }
      break;
    case 403:
      message = "403 Forbidden for " + what + ": the token from " + (client.token.empty() ? "(none)" : client.token.source) +
                " is valid but has no access: the licence of this gated model has not been accepted. Accept it at " +
                repo_page + " (logged in as the token's owner), then pull again. A fine-grained token also needs "
                "'Read access to contents of all public gated repos you can access'.";
      break;
    case 404:
      if (code == "RevisionNotFound") {
        message = "404: revision '" + context.revision + "' not found in " + context.repo_id + " (a branch, tag or commit hash; see " +
                  repo_page + "/tree/main)";
      } else if (code == "EntryNotFound") {
        message = "404: " + context.filename + " not found in " + context.repo_id + " at revision " + context.revision;
      } else {
        message = "404: repository " + context.repo_id + " not found on " + client.endpoint +
                  " (check the name, e.g. google/gemma-3-270m-it)";
      }
      break;
    default:
      message = "HTTP " + std::to_string(response.status) + " from the Hugging Face Hub for " + what;
  }
  if (!hub_message.empty()) message += "\nThe Hub said: " + hub_message;
  return message;
}

Result<RepoInfo> fetch_repo_info(const HubClient& client, const std::string& repo_id, const std::string& revision) {
  HttpRequest request;
  request.url = model_info_url(client.endpoint, repo_id, revision);
  request.headers = client.auth_headers(request.url);
  request.follow_redirects = true;  // renamed repos redirect
  HttpResponse response = perform_with_retries(client, request);
  RequestContext context{repo_id, revision, ""};
  if (!response.completed() || response.status != 200) return final_error(client, response, context);

  auto j = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  std::string where = "the model info of " + repo_id + " from " + request.url;
  if (j.is_discarded() || !j.is_object()) return make_error(where + " is not a JSON object");
  if (!j.contains("sha") || !j["sha"].is_string() || !is_commit_hash(j["sha"].get<std::string>()))
    return make_error(where + " has no commit hash in \"sha\"");
  if (!j.contains("siblings") || !j["siblings"].is_array()) return make_error(where + " has no \"siblings\" list");
  RepoInfo info;
  info.commit = j["sha"].get<std::string>();
  for (const auto& s : j["siblings"]) {
    if (!s.is_object() || !s.contains("rfilename") || !s["rfilename"].is_string())
      return make_error(where + ": a \"siblings\" entry has no \"rfilename\"");
    info.files.push_back(s["rfilename"].get<std::string>());
  }
  return info;
}

Result<FileMetadata> fetch_file_metadata(const HubClient& client, const std::string& repo_id, const std::string& commit,
                                         const std::string& filename) {
  RequestContext context{repo_id, commit, filename};
  std::string url = resolve_url(client.endpoint, repo_id, commit, filename);
  HttpResponse response;
  // Follow redirects on the Hub itself (renamed repos); stop at one to another host (the LFS CDN),
  // whose headers carry the file's identity.
  for (int hops = 0;; ++hops) {
    HttpRequest request;
    request.method = "HEAD";
    request.url = url;
    request.headers = client.auth_headers(url);
    response = perform_with_retries(client, request);
    if (!response.completed()) return final_error(client, response, context);
    bool redirect = response.status >= 300 && response.status < 400 && response.headers.count("location");
    if (!redirect || hops >= 10) break;
    std::string next = resolve_location(url, header(response, "location"));
    if (url_origin(next) != url_origin(url)) {
      url = next;
      break;
    }
    url = next;
  }
  bool is_redirect = response.status >= 300 && response.status < 400;
  if (response.status != 200 && !is_redirect) return make_error(describe_http_error(client, response, context));

  FileMetadata meta;
  meta.filename = filename;
  meta.commit = header(response, "x-repo-commit");
  std::string linked = header(response, "x-linked-etag");
  meta.lfs = !linked.empty();
  meta.etag = normalize_etag(meta.lfs ? linked : header(response, "etag"));
  std::string size_text = header(response, "x-linked-size");
  if (size_text.empty() && !is_redirect) size_text = header(response, "content-length");
  if (!size_text.empty()) {
    char* end = nullptr;
    long long size = std::strtoll(size_text.c_str(), &end, 10);
    if (end == size_text.c_str() || *end != '\0' || size < 0)
      return make_error("the Hub sent a bad size '" + size_text + "' for " + filename + " of " + repo_id);
    meta.size = size;
  }
  meta.download_url = url;
  if (meta.etag.empty()) return make_error("the Hub sent no ETag for " + filename + " of " + repo_id + " (from " + url + ")");
  // The etag names the blob file: a digest, never anything that could be a path.
  auto safe = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; };
  if (meta.etag.size() > 128 || !std::all_of(meta.etag.begin(), meta.etag.end(), safe))
    return make_error("the Hub sent an unexpected ETag '" + meta.etag + "' for " + filename + " of " + repo_id);
  if (meta.lfs && meta.etag.size() != 64)
    return make_error("the LFS etag of " + filename + " of " + repo_id + " is not a sha256: '" + meta.etag + "'");
  return meta;
}

}  // namespace gemma3::hub
