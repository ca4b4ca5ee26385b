// HugePageBuffer: zero-filled, 64-byte aligned memory for what is streamed over and over: the weight
// matrices (decode reads every one once per token). The buffer asks the kernel for
// transparent huge pages (madvise MADV_HUGEPAGE, honoured under the "madvise" setting most
// distributions ship): 2 MiB pages mean one TLB miss per 2 MiB streamed instead of one per 4 KiB
// (decode measured in docs/PERFORMANCE.md). Pages are backed lazily, as they are first touched.
// Where huge pages are unavailable it is plain anonymous memory. Move-only; unmaps on destruction.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gemma3 {

class HugePageBuffer {
 public:
  explicit HugePageBuffer(size_t bytes);
  ~HugePageBuffer();
  HugePageBuffer(HugePageBuffer&& other) noexcept;
  HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* map_ = nullptr;  // the whole mapping (larger than size_ by the alignment slack)
  size_t map_bytes_ = 0;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Whether the kernel gives huge pages to a buffer that asks (transparent huge pages "always" or
// "madvise"); false where they are off or the setting cannot be read.
bool huge_pages_available();

}  // namespace gemma3
