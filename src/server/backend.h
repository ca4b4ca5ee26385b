// ServingBackend: everything the HTTP layer needs from the model side, and nothing more: the
// model's identity and limits, prompt tokenization (chat template or raw text) and submission of
// one generation. The real one wraps Engine + Tokenizer + chat template (engine_backend.h);
// tests substitute a scripted fake, so the HTTP layer is testable without weights.
//
// Thread-safety: every method may be called concurrently from any HTTP thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/chat_template.h"
#include "engine/engine.h"
#include "util/result.h"

namespace gemma3 {

class ConstraintCompiler;
namespace toolcall {
class ToolFormat;
}

struct ModelInfo {
  std::string id;                // the name clients pass as "model"
  int32_t context_length = 0;    // prompt + completion tokens per sequence
  int32_t vocab_size = 0;
  int64_t created = 0;           // unix seconds, for /v1/models
  std::string owned_by = "google";
};

// One running generation, read by one HTTP thread. Same contract as RequestHandle::next: returns a
// delta (true) or the end of the stream (false); after the delta carrying `finish` it returns false.
// Destroying the stream cancels the generation.
class TokenStream {
 public:
  virtual ~TokenStream() = default;
  virtual bool next(OutputDelta* out, std::chrono::milliseconds timeout, bool* timed_out) = 0;
  virtual void cancel() = 0;
  // Event-driven readers: asks the stream to call `notify` (from any thread; it must be quick and
  // must not call into the stream) whenever next() may have something new, a delta or the end.
  // Returns false when the stream cannot; the reader then polls next() with a zero timeout.
  // nullptr removes it; after that returns, the old callback never runs again.
  virtual bool set_notify(std::function<void()> notify) { return false; }
};

class ServingBackend {
 public:
  virtual ~ServingBackend() = default;
  virtual const ModelInfo& model() const = 0;
  // The chat template applied to the request's "messages" with the generation prompt, tokenized
  // (BOS included). The error message names the offending message field.
  virtual Result<std::vector<int32_t>> chat_prompt(const nlohmann::json& messages) const = 0;
  // The same with the request's tools and chat_template_kwargs (ChatInput in chat/chat_template.h).
  // Backends without templates (test fakes) render the messages alone.
  virtual Result<std::vector<int32_t>> chat_prompt(const ChatInput& input) const {
    return chat_prompt(nlohmann::json(input.messages));
  }
  // A raw text prompt for /v1/completions: BOS + tokens (special tokens in the text are honoured;
  // a leading "<bos>" in the text is not doubled).
  virtual std::vector<int32_t> text_prompt(const std::string& text) const = 0;
  // The sampler's own check, after the HTTP layer's per-field range checks.
  virtual Status validate_sampling(const SamplingParams& params) const = 0;
  virtual std::variant<std::unique_ptr<TokenStream>, SubmitError> submit(GenerationRequest request) = 0;
  virtual std::string metrics_prometheus() const = 0;

  // Structured outputs and tool calls: the compiled-grammar cache for this model's tokenizer, the
  // tool-call format of its chat template, and the ids that end a generation. Null / empty for
  // backends without a tokenizer (test fakes): such requests are then refused with a 400.
  virtual ConstraintCompiler* constraints() { return nullptr; }
  virtual std::shared_ptr<const toolcall::ToolFormat> tool_format() const { return nullptr; }
  virtual std::vector<int32_t> eos_ids() const { return {}; }
};

}  // namespace gemma3
