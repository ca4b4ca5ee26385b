// MappedFile: a read-only memory map of a whole file. Weights are read straight from the map, so a
// checkpoint costs page cache, not a private copy. Move-only; unmaps on destruction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "util/result.h"

namespace gemma3 {

class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> open(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  const std::filesystem::path& path() const { return path_; }

 private:
  MappedFile(std::filesystem::path path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::filesystem::path path_;
  const uint8_t* data_;
  size_t size_;
};

// Drops the whole pages inside [p, p + n) of a READ-ONLY FILE MAP from this process's resident
// memory (madvise MADV_DONTNEED); a later read maps them in again from the file. Only for memory
// of a MappedFile: on anonymous memory it would zero the pages.
void release_mapped_pages(const void* p, size_t n);

// Reads a whole (small) file into a string: configs, JSON, text.
Result<std::string> read_text_file(const std::filesystem::path& path);

}  // namespace gemma3
