// Fuzz target: a GGUF file through everything that reads one: GgufFile::open (header, metadata,
// tensor table), the Gemma 3 config from its metadata, binding the weights (shape checks, norm
// widening reads the data), and the SentencePiece tokenizer built from tokenizer.ggml.*, which then
// encodes and decodes a short text. A file may be refused anywhere, with a message, never a crash.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "model/gguf_file.h"
#include "model/gguf_model.h"

using namespace gemma3;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = fuzz::write_scratch("model.gguf", {reinterpret_cast<const char*>(data), size});
  auto gguf = GgufFile::open(path);
  if (!gguf.ok()) {
    G3_FUZZ_CHECK(!gguf.error().empty(), "an error without a message");
    return 0;
  }
  const GgufFile& g = **gguf;
  for (const auto& [name, t] : g.tensors()) {
    G3_FUZZ_CHECK(t.n_bytes <= size, "tensor '%s' larger than the file", name.c_str());
  }
  if (auto config = gguf_model_config(g); config.ok()) {
    auto weights = bind_gguf_weights(*config, g);
    (void)weights;
  }
  if (auto tokenizer = load_gguf_tokenizer(g); tokenizer.ok()) {
    const Tokenizer& t = **tokenizer;
    const auto ids = t.encode("<start_of_turn>user\nab a\xE2\x96\x81 \xff\n<end_of_turn>");
    for (int32_t id : ids) G3_FUZZ_CHECK(t.has_token(id), "encode gave id %d, which names no token", id);
    (void)t.decode(ids);
    (void)gguf_eos_ids(g, t);
  }
  return 0;
}
