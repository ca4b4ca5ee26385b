// Puts one file's bytes into the cache as blobs/<etag>, safely:
//   - under .locks/<repo>/<etag>.lock, so two pulls (or a Python download) never write one blob;
//   - into blobs/<etag>.incomplete, resumed with an HTTP Range request when a part is there;
//   - retried with back-off on network faults (a connection cut mid-file resumes where it broke);
//   - checked (the size; the sha256 of LFS files against their etag) before an atomic rename to
//     blobs/<etag>, so a half-downloaded or corrupt file is never taken for a finished one.
#pragma once

#include <cstdint>

#include "hub/hub_api.h"
#include "hub/hub_cache.h"
#include "util/result.h"

namespace gemma3::hub {

struct BlobFetch {
  bool downloaded = false;   // false: the blob was already in the cache
  int64_t bytes = 0;         // bytes received in this run
};

Result<BlobFetch> ensure_blob(const HubClient& client, const RepoCache& cache, const FileMetadata& meta,
                              const std::string& repo_id);

}  // namespace gemma3::hub
