#include "hub/blob_download.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "hub/digest.h"
#include "hub/progress.h"

namespace gemma3::hub {
namespace fs = std::filesystem;

namespace {

// Closes a file descriptor (and so releases its flock) when the scope ends.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

Result<int> take_lock(const fs::path& lock_path, const std::string& label) {
  std::error_code ec;
  fs::create_directories(lock_path.parent_path(), ec);
  if (ec) return make_error("cannot create " + lock_path.parent_path().string() + ": " + ec.message());
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("cannot open the lock file " + lock_path.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::fprintf(stderr, "waiting for another download of %s to finish (%s)\n", label.c_str(), lock_path.c_str());
    if (::flock(fd, LOCK_EX) != 0) {
      ::close(fd);
      return make_error("cannot lock " + lock_path.string() + ": " + std::strerror(errno));
    }
  }
  return fd;
}

Status check_free_space(const fs::path& dir, int64_t needed, const std::string& label) {
  struct statvfs vfs {};
  if (needed <= 0 || ::statvfs(dir.c_str(), &vfs) != 0) return ok_status();
  double free_bytes = static_cast<double>(vfs.f_bavail) * static_cast<double>(vfs.f_frsize);
  if (static_cast<double>(needed) <= free_bytes) return ok_status();
  return make_error("not enough disk space for " + label + ": it needs " + format_bytes(static_cast<double>(needed)) +
                    " more, and " + dir.string() + " has " + format_bytes(free_bytes) +
                    " free. Free some space, or set HF_HUB_CACHE to a folder on a bigger disk.");
}

std::string write_error(int err, const fs::path& path) {
  if (err == ENOSPC || err == EDQUOT)
    return "the disk is full: cannot write " + path.string() + " (" + std::strerror(err) +
           "). Free some space, or set HF_HUB_CACHE to a folder on a bigger disk; the part downloaded so far is kept "
           "and the next pull resumes it.";
  return "cannot write " + path.string() + ": " + std::strerror(err);
}

// Hashes the bytes already in a partial download, so the digest covers the whole file.
Status hash_existing(const fs::path& path, int64_t size, Sha256& hash) {
  Fd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.fd < 0) return make_error("cannot read " + path.string() + ": " + std::strerror(errno));
  std::vector<char> buffer(1 << 20);
  int64_t left = size;
  while (left > 0) {
    ssize_t n = ::read(in.fd, buffer.data(), static_cast<size_t>(std::min<int64_t>(left, buffer.size())));
    if (n <= 0) return make_error("cannot read " + path.string() + ": " + (n < 0 ? std::strerror(errno) : "file shrank"));
    hash.update(buffer.data(), static_cast<size_t>(n));
    left -= n;
  }
  return ok_status();
}

// "bytes START-END/TOTAL" -> START, or -1.
int64_t content_range_start(const HttpHeaders& headers) {
  auto it = headers.find("content-range");
  if (it == headers.end()) return -1;
  long long start = -1;
  if (std::sscanf(it->second.c_str(), "bytes %lld-", &start) != 1) return -1;
  return start;
}

}  // namespace

Result<BlobFetch> ensure_blob(const HubClient& client, const RepoCache& cache, const FileMetadata& meta,
                              const std::string& repo_id) {
  const fs::path blob = cache.blob_path(meta.etag);
  const fs::path part = cache.incomplete_path(meta.etag);
  const std::string& label = meta.filename;
  std::error_code ec;
  auto blob_ready = [&] {
    return fs::is_regular_file(blob, ec) && (meta.size < 0 || static_cast<int64_t>(fs::file_size(blob, ec)) == meta.size);
  };
  if (blob_ready()) return BlobFetch{};

  fs::create_directories(blob.parent_path(), ec);
  if (ec) return make_error("cannot create " + blob.parent_path().string() + ": " + ec.message());
  auto lock = take_lock(cache.lock_path(meta.etag), label);
  if (!lock) return std::move(lock).take_error();
  Fd lock_fd(*lock);
  if (blob_ready()) return BlobFetch{};  // another process finished it while we waited

  Fd out(::open(part.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (out.fd < 0) return make_error(write_error(errno, part));
  struct stat st {};
  ::fstat(out.fd, &st);
  int64_t written = S_ISREG(st.st_mode) ? st.st_size : 0;
  Sha256 hash;
  auto restart = [&] {
    if (::ftruncate(out.fd, 0) != 0 && S_ISREG(st.st_mode)) return false;
    hash.reset();
    written = 0;
    return true;
  };
  if (meta.size >= 0 && written > meta.size) restart();  // not a prefix of this file
  if (written > 0) G3_TRY(hash_existing(part, written, hash));
  if (meta.size >= 0) G3_TRY(check_free_space(blob.parent_path(), meta.size - written, label));

  Progress progress(label, meta.size, written, Progress::stderr_is_terminal());
  const int64_t resumed_from = written;
  int write_errno = 0;
  // Faults since the last try that brought new bytes (that try counts as the first): a connection
  // that keeps breaking but makes progress is followed to the end, one that makes none is not.
  int failures = 0;
  while (meta.size < 0 || written < meta.size) {
    const int64_t before = written;
    bool range_mismatch = false;
    HttpRequest request;
    request.url = meta.download_url;
    request.headers = client.auth_headers(request.url);
    if (written > 0) request.headers.push_back("Range: bytes=" + std::to_string(written) + "-");
    request.follow_redirects = true;
    request.want_stream = [&](long status, const HttpHeaders& headers) {
      if (status == 200 && written > 0) return restart();  // the server ignored the range: start over
      if (status == 206 && content_range_start(headers) != written) {
        range_mismatch = true;
        return false;
      }
      return true;
    };
    request.sink = [&](const char* data, size_t size) {
      while (size > 0) {
        ssize_t n = ::write(out.fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          write_errno = n < 0 ? errno : ENOSPC;
          return false;
        }
        hash.update(data, static_cast<size_t>(n));
        written += n;
        data += n;
        size -= static_cast<size_t>(n);
      }
      progress.set_done(written);
      return true;
    };
    HttpResponse response = http_perform(request);
    if (write_errno != 0) {
      progress.abandon();
      return make_error(write_error(write_errno, part));
    }
    if (response.completed() && (response.status == 200 || response.status == 206) && !range_mismatch) {
      if (meta.size < 0 || written == meta.size) break;
      if (written > meta.size) break;  // caught by the size check below
      response.fault = "the connection closed " + format_bytes(static_cast<double>(meta.size - written)) + " early";
    } else if (response.completed() && (response.status == 416 || range_mismatch)) {
      // The part on disk does not fit what the server has: drop it and start again.
      if (!restart()) return make_error(write_error(errno, part));
      response.fault = "the server refused to resume at byte " + std::to_string(before);
    } else if (response.completed() && !is_retryable(response)) {
      progress.abandon();
      return make_error(describe_http_error(client, response, {repo_id, meta.commit, meta.filename}));
    }
    failures = written > before ? 1 : failures + 1;
    if (failures > client.retry.max_retries) {
      progress.abandon();
      std::string why = response.fault.empty() ? "HTTP " + std::to_string(response.status) : response.fault;
      return make_error("download of " + label + " from " + client.endpoint + " failed after " +
                        std::to_string(client.retry.max_retries) + " retries: " + why +
                        ". The part downloaded so far is kept in " + part.string() + "; pull again to resume.");
    }
    progress.abandon();
    client.back_off(failures,
                    response.fault.empty() ? "HTTP " + std::to_string(response.status) : response.fault);
  }

  if (meta.size >= 0 && written != meta.size) {
    fs::remove(part, ec);
    return make_error("download of " + label + " has " + std::to_string(written) + " bytes, but the Hub said " +
                      std::to_string(meta.size) + "; the download was deleted, pull again");
  }
  if (meta.lfs) {
    std::string got = hash.hex_digest();
    if (got != meta.etag) {
      progress.abandon();
      fs::remove(part, ec);
      return make_error("sha256 mismatch for " + label + " of " + repo_id + ": the Hub's etag says " + meta.etag +
                        ", the downloaded bytes hash to " + got +
                        ". The corrupt download was deleted and not used; pull again (if it repeats, the network or a "
                        "proxy is altering the data).");
    }
  }
  if (::fsync(out.fd) != 0 && errno != EINVAL) return make_error(write_error(errno, part));
  fs::rename(part, blob, ec);
  if (ec) return make_error("cannot move " + part.string() + " to " + blob.string() + ": " + ec.message());
  progress.finish();
  return BlobFetch{true, written - resumed_from};
}

}  // namespace gemma3::hub
