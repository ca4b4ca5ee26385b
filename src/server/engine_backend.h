// EngineBackend: the real ServingBackend: the Engine for generation, the Tokenizer and the
// checkpoint's chat template for prompts. Holds references only; the engine and tokenizer must outlive it.
#pragma once

#include <memory>
#include <string>

#include "server/backend.h"

namespace gemma3 {

class Engine;
class Tokenizer;
class ChatTemplate;

// `model.vocab_size` is the model's (embedding rows), which bounds token ids and logit_bias keys.
// `chat_template` may be null (a checkpoint without one): chat requests then get a 400 saying so.
std::unique_ptr<ServingBackend> make_engine_backend(Engine& engine, const Tokenizer& tokenizer, ModelInfo model,
                                                    std::shared_ptr<const ChatTemplate> chat_template,
                                                    std::string chat_template_error = {});

}  // namespace gemma3
