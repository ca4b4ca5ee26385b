// Fuzz target: a .safetensors file (u64 header length, JSON header, data) through
// SafetensorsFile::open. Every accepted tensor must lie inside the file's data section with the
// byte count its dtype and shape need; reading its first and last byte proves the span is mapped.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "model/safetensors.h"

using namespace gemma3;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = fuzz::write_scratch("model.safetensors", {reinterpret_cast<const char*>(data), size});
  auto file = SafetensorsFile::open(path);
  if (!file.ok()) {
    G3_FUZZ_CHECK(!file.error().empty(), "an error without a message");
    return 0;
  }
  volatile uint8_t sink = 0;
  for (const auto& [name, t] : (*file)->tensors()) {
    uint64_t n = 1;
    for (int64_t d : t.shape) n *= static_cast<uint64_t>(d);
    G3_FUZZ_CHECK(t.n_bytes == n * dtype_size(t.dtype), "tensor '%s': %zu bytes for its shape", name.c_str(), t.n_bytes);
    G3_FUZZ_CHECK(t.n_bytes <= size, "tensor '%s' larger than the file", name.c_str());
    if (t.n_bytes > 0) {
      const auto* p = static_cast<const uint8_t*>(t.data);
      sink = sink + p[0] + p[t.n_bytes - 1];
    }
  }
  return 0;
}
