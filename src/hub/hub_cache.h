// The Hugging Face cache layout, shared with Python's huggingface_hub:
//   <hub cache>/models--org--name/blobs/<etag>             file contents, named by sha256 (LFS) or git sha1
//                                /snapshots/<commit>/<file> relative symlinks to ../../blobs/<etag>
//                                /refs/<revision>           the commit a branch or tag pointed at
//   <hub cache>/.locks/models--org--name/<etag>.lock       taken while a blob is downloaded
// A blob only ever appears complete: downloads go to blobs/<etag>.incomplete and are renamed after
// they are checked. The hub cache folder itself is model/model_locator's huggingface_hub_cache().
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "util/result.h"

namespace gemma3::hub {

// "org/name" -> "models--org--name".
std::string repo_folder_name(const std::string& repo_id);

// Strips a weak-validator prefix (W/) and the quotes from an ETag header value.
std::string normalize_etag(const std::string& etag);

class RepoCache {
 public:
  RepoCache(std::filesystem::path hub_root, const std::string& repo_id);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path blob_path(const std::string& etag) const { return dir_ / "blobs" / etag; }
  std::filesystem::path incomplete_path(const std::string& etag) const { return dir_ / "blobs" / (etag + ".incomplete"); }
  std::filesystem::path lock_path(const std::string& etag) const { return locks_dir_ / (etag + ".lock"); }
  std::filesystem::path snapshot_dir(const std::string& commit) const { return dir_ / "snapshots" / commit; }

  // True when snapshots/<commit>/<file> is a link to an existing blobs/<etag>.
  bool snapshot_has(const std::string& commit, const std::string& filename, const std::string& etag) const;
  // Points snapshots/<commit>/<file> at blobs/<etag> with a relative symlink, replacing any old
  // link atomically (a new link is made beside it and renamed over it).
  Status link_snapshot_file(const std::string& commit, const std::string& filename, const std::string& etag) const;

  // refs/<revision> holds the commit hash (no newline, as huggingface_hub writes it).
  Status write_ref(const std::string& revision, const std::string& commit) const;
  std::optional<std::string> read_ref(const std::string& revision) const;

  // The snapshot folder for a branch/tag (through refs/) or commit hash, when it holds config.json.
  std::optional<std::filesystem::path> find_snapshot(const std::string& revision) const;

 private:
  std::filesystem::path dir_, locks_dir_;
};

}  // namespace gemma3::hub
