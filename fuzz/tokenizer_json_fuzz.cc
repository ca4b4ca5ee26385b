// Fuzz target: Tokenizer::load_files on a random tokenizer.json (and tokenizer_config.json). The
// input is the tokenizer.json text; when it contains the line kConfigMarker, the bytes after it are
// written as tokenizer_config.json. A loaded tokenizer then encodes and decodes a short text that
// touches the normalizer, added tokens, byte fallback and the decoder.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.h"
#include "tokenizer/tokenizer.h"

using namespace gemma3;

namespace {
constexpr std::string_view kConfigMarker = "\n//tokenizer_config.json\n";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t marker = input.find(kConfigMarker);
  const auto json_path = fuzz::write_scratch("tokenizer.json", input.substr(0, marker));
  std::filesystem::path config_path;
  if (marker != std::string_view::npos) {
    config_path = fuzz::write_scratch("tokenizer_config.json", input.substr(marker + kConfigMarker.size()));
  }
  auto tokenizer = Tokenizer::load_files(json_path, config_path);
  if (!tokenizer.ok()) {
    G3_FUZZ_CHECK(!tokenizer.error().empty(), "an error without a message");
    return 0;
  }
  const Tokenizer& t = **tokenizer;
  for (bool special : {true, false}) {
    const auto ids = t.encode("<bos>Hello  w\xC3\xB6rld\n\n<start_of_turn>\xE2\x96\x81x\xF0\x9F\x98\x80\xff", special);
    for (int32_t id : ids) {
      G3_FUZZ_CHECK(t.has_token(id) && id < t.vocab_size(), "encode gave id %d, which names no token", id);
    }
    const std::string text = t.decode(ids, !special);
    StreamingDecoder stream(t, !special);
    std::string streamed;
    for (int32_t id : ids) streamed += stream.push(id);
    streamed += stream.finish();
    G3_FUZZ_CHECK(streamed == text, "streamed decode differs from decode");
  }
  for (int32_t id : {-1, 0, 1, t.vocab_size() - 1, t.vocab_size(), t.bos_id(), t.eos_id()}) {
    (void)t.token_piece(id);
    (void)t.token_bytes(id);
    (void)t.is_special(id);
    (void)t.byte_value(id);
  }
  return 0;
}
