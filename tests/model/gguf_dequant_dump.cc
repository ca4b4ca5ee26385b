// gguf_dequant_dump FILE.gguf OUT_DIR: the engine's view of a GGUF's block-quantized tensors, for
// tests/reference/gguf_dequant_check.py (NumPy, written from GGML's format description):
//  - every tensor widened by the engine (row_to_f32, what the matmul kernels consume) is written
//    to OUT_DIR/NAME.f32 (raw little-endian f32, row-major), to be compared bit for bit;
//  - a tensor named "quant.TYPE" must equal, byte for byte, the engine's own encoding
//    (encode_row_from_f32: GGML's reference quantizer for TYPE) of the F32 tensor "src".
// Exit status 0 when the file loads and every "quant.*" tensor matches.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "model/gguf_file.h"
#include "ops/dtype.h"

using namespace gemma3;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: gguf_dequant_dump FILE.gguf OUT_DIR\n");
    return 2;
  }
  auto file = GgufFile::open(argv[1]);
  if (!file) {
    std::fprintf(stderr, "%s\n", file.error().c_str());
    return 1;
  }
  const auto& tensors = (*file)->tensors();
  const TensorInfo* src = (*file)->find_tensor("src");
  int failures = 0;
  for (const auto& [name, t] : tensors) {
    const size_t cols = static_cast<size_t>(t.shape.back());
    const size_t rows = cols == 0 ? 0 : (t.shape.size() == 1 ? 1 : static_cast<size_t>(t.shape[0]));
    const WeightView w{t.dtype, t.data, rows, cols};
    std::vector<float> out(rows * cols);
    for (size_t r = 0; r < rows; ++r) row_to_f32(w, r, out.data() + r * cols);
    const std::string path = (std::filesystem::path(argv[2]) / (name + ".f32")).string();
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(out.data(), sizeof(float), out.size(), f) != out.size()) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 1;
    }
    std::fclose(f);
    if (name.rfind("quant.", 0) == 0) {
      if (!src || src->dtype != DType::kF32 || src->n_bytes != rows * cols * sizeof(float)) {
        std::fprintf(stderr, "%s: needs an F32 tensor 'src' of the same shape\n", name.c_str());
        return 1;
      }
      std::vector<uint8_t> mine(t.n_bytes);
      const size_t rb = dtype_row_bytes(t.dtype, cols);
      for (size_t r = 0; r < rows; ++r)
        encode_row_from_f32(static_cast<const float*>(src->data) + r * cols, cols, t.dtype, mine.data() + r * rb);
      if (std::memcmp(mine.data(), t.data, t.n_bytes) != 0) {
        size_t i = 0;
        while (mine[i] == static_cast<const uint8_t*>(t.data)[i]) ++i;
        std::fprintf(stderr, "%s: the engine's %s encoding differs at byte %zu\n", name.c_str(), dtype_name(t.dtype), i);
        ++failures;
      } else {
        std::printf("%s: byte-identical to the engine's %s quantizer\n", name.c_str(), dtype_name(t.dtype));
      }
    }
  }
  return failures == 0 ? 0 : 1;
}
