// The two questions `gemma3 pull` asks the Hub before downloading anything:
//  - which commit does REPO@REVISION name, and which files does it hold (the model info API);
//  - for one file at that commit: its etag (sha256 for LFS files, else git sha1), size, and the URL
//    its bytes come from (a HEAD of the resolve URL; LFS files redirect to a CDN).
// Every HTTP failure becomes an error saying what to do about it (token, licence, name).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hub/hub_config.h"
#include "hub/http_client.h"
#include "util/result.h"

namespace gemma3::hub {

struct RetryPolicy {
  int max_retries = 5;         // after the first try, for transport faults, 429 and 5xx
  int first_delay_ms = 500;    // doubled after each retry, capped at max_delay_ms
  int max_delay_ms = 8000;
};

struct HubClient {
  std::string endpoint;
  HubToken token;
  RetryPolicy retry;

  // The Authorization header, only for URLs on the endpoint's own host.
  std::vector<std::string> auth_headers(const std::string& url) const;
  // Sleeps before retry number `attempt` (1-based), saying why on stderr.
  void back_off(int attempt, const std::string& why) const;
};

// A client for $HF_ENDPOINT with the token from the environment.
HubClient make_hub_client(RetryPolicy retry = {});

struct RepoInfo {
  std::string commit;                // 40-hex sha of the revision
  std::vector<std::string> files;    // the model info's siblings[].rfilename
};

struct FileMetadata {
  std::string filename;
  std::string commit;        // X-Repo-Commit
  std::string etag;          // normalized: sha256 hex for LFS files, git blob sha1 otherwise
  int64_t size = -1;         // X-Linked-Size or Content-Length; -1 when the Hub did not say
  bool lfs = false;          // X-Linked-Etag present: the etag is the content's sha256
  std::string download_url;  // where to GET the bytes (the redirect target for LFS files)
};

// What a request was about, for error messages.
struct RequestContext {
  std::string repo_id;
  std::string revision;
  std::string filename;  // empty for repo-level requests
};

Result<RepoInfo> fetch_repo_info(const HubClient& client, const std::string& repo_id, const std::string& revision);
Result<FileMetadata> fetch_file_metadata(const HubClient& client, const std::string& repo_id,
                                         const std::string& commit, const std::string& filename);

// The message for an HTTP error status (401, 403, 404, others), from the Hub's X-Error-Code and
// X-Error-Message headers and the request's context.
std::string describe_http_error(const HubClient& client, const HttpResponse& response, const RequestContext& context);

// Transport faults, 408, 429 and 5xx are worth another try; 4xx answers are final.
bool is_retryable(const HttpResponse& response);

}  // namespace gemma3::hub
