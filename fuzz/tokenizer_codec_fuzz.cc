// Fuzz target: the real Gemma 3 tokenizer (tools/fetch_tokenizer.sh's files, loaded once) on random
// bytes. The first byte picks the mode, the rest is the text:
//   encode: every id names a token; for valid UTF-8 without U+2581 (which the normalizer turns
//           spaces into, so it cannot come back as itself) decode(encode(text)) == text, as in HF;
//   decode: the bytes read as little-endian int32 ids (any value, most of them in range) give the
//           same text through decode and through StreamingDecoder, with and without specials.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "gemma_tokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

using namespace gemma3;

namespace {

void check_streaming(const Tokenizer& t, const std::vector<int32_t>& ids, bool skip_special) {
  const std::string text = t.decode(ids, skip_special);
  StreamingDecoder stream(t, skip_special);
  std::string streamed;
  for (int32_t id : ids) streamed += stream.push(id);
  streamed += stream.finish();
  G3_FUZZ_CHECK(streamed == text, "streamed decode differs from decode (%zu ids)", ids.size());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)fuzz::gemma_tokenizer();  // load before the first input, so its time is not an input's
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Tokenizer& t = fuzz::gemma_tokenizer();
  const uint8_t mode = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((mode & 1) == 0) {
    const bool parse_special = (mode & 2) != 0;
    const auto ids = t.encode(text, parse_special);
    for (int32_t id : ids) G3_FUZZ_CHECK(t.has_token(id), "encode gave id %d, which names no token", id);
    if (utf8::is_valid(text) && text.find("\xE2\x96\x81") == std::string_view::npos) {
      G3_FUZZ_CHECK(t.decode(ids) == text, "decode(encode(text)) != text (parse_special=%d)", parse_special);
    }
    check_streaming(t, ids, /*skip_special=*/true);
  } else {
    // Ids mostly inside the vocabulary (the high byte's top bit clear folds them into range), some
    // past it and negative, so both the skip path and every token kind are exercised.
    std::vector<int32_t> ids(text.size() / 4);
    for (size_t i = 0; i < ids.size(); ++i) {
      uint32_t v;
      std::memcpy(&v, text.data() + 4 * i, 4);
      ids[i] = (v & 0x80000000u) ? static_cast<int32_t>(v) : static_cast<int32_t>(v % (t.vocab_size() + 8));
    }
    check_streaming(t, ids, (mode & 2) != 0);
  }
  return 0;
}
