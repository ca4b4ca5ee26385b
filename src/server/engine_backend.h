// EngineBackend: the real ServingBackend: the Engine for generation, the Tokenizer and the
// checkpoint's chat template for prompts. Holds references only; the engine and tokenizer must outlive it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "server/backend.h"

namespace gemma3 {

class Engine;
class Tokenizer;
class ChatTemplate;
namespace toolcall {
class ToolFormat;
}

// `model.vocab_size` is the model's (embedding rows), which bounds token ids and logit_bias keys.
// What the backend renders and constrains with, besides the engine and tokenizer.
struct EngineBackendOptions {
  std::shared_ptr<const ChatTemplate> chat_template;   // null: chat requests get a 400 with the error below
  std::string chat_template_error;
  std::shared_ptr<const toolcall::ToolFormat> tool_format;   // null: requests with tools get a 400
  std::vector<int32_t> eos_ids;                         // the checkpoint's end ids (generation_config)
  size_t constraint_cache_size = 256;                   // compiled grammars kept (LRU)
};

std::unique_ptr<ServingBackend> make_engine_backend(Engine& engine, const Tokenizer& tokenizer, ModelInfo model,
                                                    EngineBackendOptions options);

}  // namespace gemma3
