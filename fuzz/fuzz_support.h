// Helpers shared by the fuzz targets: parsers that read files (memory maps) get the input through
// one scratch file per process, rewritten for every input.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace gemma3::fuzz {

// A folder under $TMPDIR (else /tmp) named for this process: libFuzzer's -jobs/-workers run
// several processes at once, each with its own files. Removed at a normal exit.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    dir_ = std::filesystem::path(tmp && *tmp ? tmp : "/tmp") / ("gemma3_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::filesystem::path& path() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

inline std::filesystem::path scratch_path(const std::string& name) {
  static const ScratchDir dir;
  return dir.path() / name;
}

// Writes `bytes` to the scratch file `name` and returns its path. Aborts when it cannot (a full
// disk would otherwise look like a parser rejecting every input).
inline std::filesystem::path write_scratch(const std::string& name, std::string_view bytes) {
  const auto path = scratch_path(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

// The fuzz targets check properties as well as memory safety: a broken property aborts with a
// message, which libFuzzer reports as a crash and saves the input.
#define G3_FUZZ_CHECK(cond, ...)                                             \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "fuzz check failed: %s (%s:%d): ", #cond, __FILE__, __LINE__); \
      std::fprintf(stderr, __VA_ARGS__);                                     \
      std::fprintf(stderr, "\n");                                            \
      std::abort();                                                          \
    }                                                                        \
  } while (0)

}  // namespace gemma3::fuzz
