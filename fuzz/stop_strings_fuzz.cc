// Fuzz target: the streaming output path, token ids -> text the client receives. As the engine
// does: StreamingDecoder (real Gemma 3 tokenizer) -> StopStringMatcher -> SSE chunk
// (chat_delta_chunk + sse_event). Or, in raw mode, arbitrary byte chunks (invalid UTF-8 included)
// straight into the matcher. Checked against a plain oracle that re-searches the whole text after
// every push:
//   - what was emitted is a prefix of the text pushed so far, holding back at most
//     max(longest stop - 1, 3) bytes, and contains no stop string;
//   - the stream stops at the first push after which the text contains a stop string, emitting
//     exactly the text before its earliest occurrence; without one, emitted + flush() == the text;
//   - with valid UTF-8 in, every chunk is valid UTF-8, and its SSE event is one "data: " line whose
//     JSON gives the chunk back.
// Stop strings are literals from the input or slices of the decoded text (so they do occur).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "gemma_tokenizer.h"
#include "sampling/stop_strings.h"
#include "server/response_builder.h"
#include "tokenizer/utf8.h"

using namespace gemma3;

namespace {

struct StopSpec {
  bool slice;
  std::string literal;
  size_t offset, length;  // of the decoded text, when `slice`
};

void check_sse(const std::string& chunk) {
  ResponseMeta meta{"chatcmpl-fuzz", 1, "m", ""};
  ChoiceOutput delta;
  delta.text = chunk;
  const std::string event = sse_event(chat_delta_chunk(meta, delta, false, false));
  G3_FUZZ_CHECK(event.rfind("data: ", 0) == 0 && event.size() >= 8 && event.ends_with("\n\n"), "bad SSE framing");
  G3_FUZZ_CHECK(event.find('\n') == event.size() - 2, "SSE event spans lines");
  const auto json = nlohmann::json::parse(event.substr(6), nullptr, false);
  G3_FUZZ_CHECK(!json.is_discarded(), "SSE data is not JSON");
  G3_FUZZ_CHECK(json["choices"][0]["delta"]["content"] == chunk, "SSE content differs from the chunk");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)fuzz::gemma_tokenizer();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<StopSpec> specs(in.ConsumeIntegralInRange<size_t>(0, 4));
  for (StopSpec& s : specs) {
    s.slice = in.ConsumeBool();
    if (s.slice) {
      s.offset = in.ConsumeIntegral<uint16_t>();
      s.length = in.ConsumeIntegralInRange<size_t>(1, 12);
    } else {
      s.literal = in.ConsumeRandomLengthString(12);
    }
  }
  const bool raw = in.ConsumeBool();

  // The text as pushed: one piece per token (decoder output) or per raw chunk.
  std::vector<std::string> pieces;
  if (raw) {
    while (in.remaining_bytes() > 0) pieces.push_back(in.ConsumeRandomLengthString(16));
  } else {
    const Tokenizer& t = fuzz::gemma_tokenizer();
    StreamingDecoder decoder(t);
    while (in.remaining_bytes() > 0) {
      pieces.push_back(decoder.push(in.ConsumeIntegralInRange<int32_t>(-1, t.vocab_size())));
    }
    pieces.push_back(decoder.finish());
  }
  std::string full;
  for (const auto& p : pieces) full += p;

  std::vector<std::string> stops;
  for (const StopSpec& s : specs) {
    if (!s.slice) stops.push_back(s.literal);
    else if (!full.empty()) stops.push_back(full.substr(s.offset % full.size(), s.length));
  }
  size_t max_len = 0;
  bool stops_valid = true;
  for (const auto& s : stops) {
    max_len = std::max(max_len, s.size());
    stops_valid = stops_valid && utf8::is_valid(s);
  }
  const bool check_utf8 = stops_valid && utf8::is_valid(full);

  StopStringMatcher matcher(stops);
  std::string pushed, emitted;
  bool stopped = false;
  for (const auto& p : pieces) {
    pushed += p;
    const StopStringMatcher::Output out = matcher.push(p);
    emitted += out.text;
    if (check_utf8) {
      G3_FUZZ_CHECK(utf8::is_valid(out.text), "a chunk of invalid UTF-8 from valid input");
      check_sse(out.text);
    }
    // The oracle: the earliest occurrence of any non-empty stop string in everything pushed.
    size_t first = std::string::npos;
    for (const auto& s : stops) {
      if (!s.empty()) first = std::min(first, pushed.find(s));
    }
    if (first != std::string::npos) {
      G3_FUZZ_CHECK(out.stopped, "a stop string was pushed but not matched");
      G3_FUZZ_CHECK(emitted == pushed.substr(0, first), "emitted %zu bytes, the stop string starts at %zu",
                    emitted.size(), first);
      stopped = true;
      break;
    }
    G3_FUZZ_CHECK(!out.stopped, "stopped without a stop string");
    G3_FUZZ_CHECK(pushed.compare(0, emitted.size(), emitted) == 0, "emitted text is not what was pushed");
    G3_FUZZ_CHECK(pushed.size() - emitted.size() <= std::max<size_t>(max_len > 0 ? max_len - 1 : 0, 3),
                  "held back %zu bytes (longest stop %zu)", pushed.size() - emitted.size(), max_len);
  }
  if (stopped) {
    const auto after = matcher.push("more");
    G3_FUZZ_CHECK(after.stopped && after.text.empty() && matcher.flush().empty(), "output after the stop");
  } else {
    emitted += matcher.flush();
    G3_FUZZ_CHECK(emitted == full, "emitted + flush differs from the text");
  }
  return 0;
}
