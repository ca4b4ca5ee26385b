// EngineBackend: the real ServingBackend: the Engine for generation, the Tokenizer and the Gemma 3
// chat template for prompts. Holds references only; the engine and tokenizer must outlive it.
#pragma once

#include <memory>

#include "server/backend.h"

namespace gemma3 {

class Engine;
class Tokenizer;

// `model.vocab_size` is the model's (embedding rows), which bounds token ids and logit_bias keys.
std::unique_ptr<ServingBackend> make_engine_backend(Engine& engine, const Tokenizer& tokenizer, ModelInfo model);

}  // namespace gemma3
