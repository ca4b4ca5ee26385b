// Fuzz target: an OpenAI request body, the way the server handles one before the engine sees it.
// The bytes go through parse_json_body, then both parse_chat_request and parse_completion_request
// (every field of both), then, for an accepted request, validate_sampling_params, expand_requests
// (with prompts of a length taken from the input) and a few draws of a Sampler built from the
// params over a fixed logits row: a field that passes validation must never break what uses it.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "sampling/sampler.h"
#include "server/request_parser.h"

using namespace gemma3;

namespace {

constexpr int32_t kVocab = 512;
constexpr int32_t kContext = 256;

// Runs what a parsed request's common fields drive: expansion to engine requests, sampling.
void use_params(const CommonParams& params, const std::vector<std::vector<int32_t>>& prompts) {
  G3_FUZZ_CHECK(params.n >= 1 && params.n <= kMaxChoices, "n = %d accepted", params.n);
  G3_FUZZ_CHECK(params.stop.size() <= static_cast<size_t>(kMaxStopStrings), "%zu stop strings accepted", params.stop.size());
  if (!validate_sampling_params(params.sampling, kVocab).ok()) return;
  ExpandOptions options;
  options.context_length = kContext;
  options.default_max_tokens = 16;
  options.request_id = "fuzz";
  options.prompt_param = "prompt";
  options.random_seed = 7;
  auto requests = expand_requests(params, prompts, options);
  if (!requests.ok()) return;
  G3_FUZZ_CHECK(requests->size() == prompts.size() * params.n, "%zu requests for %zu prompts x n=%d",
                requests->size(), prompts.size(), params.n);
  const GenerationRequest& g = requests->front();
  G3_FUZZ_CHECK(g.max_tokens >= 0 && static_cast<int64_t>(g.prompt.size()) + g.max_tokens <= kContext,
                "prompt %zu + max_tokens %d past the context", g.prompt.size(), g.max_tokens);
  Sampler sampler(g.sampling, 1);
  std::vector<float> logits(kVocab);
  std::vector<int32_t> generated;
  for (int step = 0; step < 3; ++step) {
    for (int32_t i = 0; i < kVocab; ++i) logits[i] = static_cast<float>((i * 37 + step * 11) % 101) * 0.1f - 5.0f;
    const int32_t id = sampler.sample(logits, g.prompt, generated);
    G3_FUZZ_CHECK(id >= 0 && id < kVocab, "sampled id %d", id);
    generated.push_back(id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_json_body(body);
  if (!parsed.ok()) {
    G3_FUZZ_CHECK(parsed.error().status == 400, "status %d for a bad body", parsed.error().status);
    return 0;
  }
  // A prompt length from the input, so expansion sees both fitting and too-long prompts.
  const size_t prompt_len = size % (kContext + 8);

  auto chat = parse_chat_request(*parsed, kVocab);
  if (chat.ok()) {
    G3_FUZZ_CHECK(chat->messages.is_array() && !chat->messages.empty(), "messages accepted but not a non-empty array");
    use_params(chat->common, {std::vector<int32_t>(prompt_len, 3)});
  } else {
    G3_FUZZ_CHECK(chat.error().status == 400 && chat.error().param.has_value(), "chat error without a param: %s",
                  chat.error().message.c_str());
  }

  auto completion = parse_completion_request(*parsed, kVocab);
  if (completion.ok()) {
    G3_FUZZ_CHECK(!completion->prompts.empty(), "no prompts accepted");
    std::vector<std::vector<int32_t>> prompts;
    for (const PromptInput& p : completion->prompts) {
      if (const auto* ids = std::get_if<std::vector<int32_t>>(&p)) {
        for (int32_t id : *ids) G3_FUZZ_CHECK(id >= 0 && id < kVocab, "prompt id %d accepted", id);
        prompts.push_back(*ids);
      } else {
        prompts.emplace_back(std::get<std::string>(p).size() % (kContext + 8), 3);  // as if one token per byte
      }
    }
    use_params(completion->common, prompts);
  } else {
    G3_FUZZ_CHECK(completion.error().status == 400 && completion.error().param.has_value(),
                  "completion error without a param: %s", completion.error().message.c_str());
  }
  return 0;
}
