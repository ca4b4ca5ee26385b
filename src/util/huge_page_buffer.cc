#include "util/huge_page_buffer.h"

#include <sys/mman.h>

#include <fstream>
#include <new>
#include <string>
#include <utility>

namespace gemma3 {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
// Below this a buffer stays in small pages: a huge page would mostly hold zeros.
constexpr size_t kHugePageMinBytes = kHugePage;
}  // namespace

HugePageBuffer::HugePageBuffer(size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  // Over-allocate so the data can start on a 2 MiB boundary: the kernel only backs aligned 2 MiB
  // ranges with huge pages. Untouched slack costs address space, not memory.
  const bool huge = bytes >= kHugePageMinBytes;
  map_bytes_ = bytes + (huge ? kHugePage : 0);
  map_ = mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map_ == MAP_FAILED) {
    map_ = nullptr;
    throw std::bad_alloc();
  }
  auto addr = reinterpret_cast<uintptr_t>(map_);
  if (huge) {
    addr = (addr + kHugePage - 1) / kHugePage * kHugePage;
#ifdef MADV_HUGEPAGE
    madvise(reinterpret_cast<void*>(addr), (bytes + kHugePage - 1) / kHugePage * kHugePage, MADV_HUGEPAGE);
#endif
  }
  data_ = reinterpret_cast<uint8_t*>(addr);
}

bool huge_pages_available() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string setting;
  std::getline(in, setting);
  return setting.find("[always]") != std::string::npos || setting.find("[madvise]") != std::string::npos;
}

HugePageBuffer::~HugePageBuffer() {
  if (map_ != nullptr) munmap(map_, map_bytes_);
}

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept
    : map_(std::exchange(other.map_, nullptr)),
      map_bytes_(std::exchange(other.map_bytes_, 0)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
  if (this != &other) {
    if (map_ != nullptr) munmap(map_, map_bytes_);
    map_ = std::exchange(other.map_, nullptr);
    map_bytes_ = std::exchange(other.map_bytes_, 0);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace gemma3
