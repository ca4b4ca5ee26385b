// WeightBuffer: zero-filled, 64-byte aligned memory for weight matrices the model builds at load
// (re-encoded or prepacked copies). Decode streams every weight once per token, so the buffer asks
// the kernel for transparent huge pages (madvise MADV_HUGEPAGE, the setting most distributions
// ship): 2 MiB pages mean one TLB miss per 2 MiB streamed instead of one per 4 KiB. Measured on the
// 270m LM head at batch 1: see docs/PERFORMANCE.md. Where huge pages are unavailable it is plain
// anonymous memory. Move-only; unmaps on destruction.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gemma3 {

class WeightBuffer {
 public:
  explicit WeightBuffer(size_t bytes);
  ~WeightBuffer();
  WeightBuffer(WeightBuffer&& other) noexcept;
  WeightBuffer& operator=(WeightBuffer&& other) noexcept;
  WeightBuffer(const WeightBuffer&) = delete;
  WeightBuffer& operator=(const WeightBuffer&) = delete;

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
