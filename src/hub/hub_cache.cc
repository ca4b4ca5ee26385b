#include "hub/hub_cache.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "hub/hub_config.h"

namespace gemma3::hub {
namespace fs = std::filesystem;

std::string repo_folder_name(const std::string& repo_id) {
  std::string name = "models--";
  for (char c : repo_id) {
    if (c == '/') name += "--";
    else name += c;
  }
  return name;
}

std::string normalize_etag(const std::string& etag) {
  std::string e = etag;
  if (e.rfind("W/", 0) == 0) e = e.substr(2);
  if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
  return e;
}

RepoCache::RepoCache(fs::path hub_root, const std::string& repo_id)
    : dir_(hub_root / repo_folder_name(repo_id)), locks_dir_(hub_root / ".locks" / repo_folder_name(repo_id)) {}

bool RepoCache::snapshot_has(const std::string& commit, const std::string& filename, const std::string& etag) const {
  std::error_code ec;
  fs::path link = snapshot_dir(commit) / filename;
  if (!fs::is_symlink(link, ec)) return false;
  fs::path target = fs::read_symlink(link, ec);
  if (ec || target.filename() != etag) return false;
  return fs::is_regular_file(link, ec);  // follows the link: the blob exists
}

Status RepoCache::link_snapshot_file(const std::string& commit, const std::string& filename,
                                     const std::string& etag) const {
  fs::path link = snapshot_dir(commit) / filename;
  std::error_code ec;
  fs::create_directories(link.parent_path(), ec);
  if (ec) return make_error("cannot create " + link.parent_path().string() + ": " + ec.message());
  // Relative, so the cache can be moved or mounted elsewhere (as huggingface_hub makes them).
  fs::path target = fs::relative(blob_path(etag), link.parent_path(), ec);
  if (ec) return make_error("cannot relate " + link.string() + " to its blob: " + ec.message());
  fs::path tmp = link;
  tmp += ".link-" + std::to_string(::getpid());
  fs::remove(tmp, ec);
  fs::create_symlink(target, tmp, ec);
  if (ec) return make_error("cannot create the link " + tmp.string() + ": " + ec.message());
  fs::rename(tmp, link, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return make_error("cannot move the link into place at " + link.string() + ": " + ec.message());
  }
  return ok_status();
}

Status RepoCache::write_ref(const std::string& revision, const std::string& commit) const {
  fs::path ref = dir_ / "refs" / revision;
  std::error_code ec;
  fs::create_directories(ref.parent_path(), ec);
  if (ec) return make_error("cannot create " + ref.parent_path().string() + ": " + ec.message());
  fs::path tmp = ref;
  tmp += ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << commit;
    if (!out.flush()) return make_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, ref, ec);
  if (ec) return make_error("cannot write " + ref.string() + ": " + ec.message());
  return ok_status();
}

std::optional<std::string> RepoCache::read_ref(const std::string& revision) const {
  std::ifstream in(dir_ / "refs" / revision, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  std::string commit = text.str();
  while (!commit.empty() && (commit.back() == '\n' || commit.back() == '\r' || commit.back() == ' ')) commit.pop_back();
  if (commit.empty()) return std::nullopt;
  return commit;
}

std::optional<fs::path> RepoCache::find_snapshot(const std::string& revision) const {
  std::string commit = revision;
  if (auto ref = read_ref(revision)) commit = *ref;
  else if (!is_commit_hash(revision)) return std::nullopt;
  fs::path snap = snapshot_dir(commit);
  std::error_code ec;
  if (!fs::is_regular_file(snap / "config.json", ec)) return std::nullopt;
  return snap;
}

}  // namespace gemma3::hub
