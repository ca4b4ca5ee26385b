#include "server/engine_backend.h"

#include "chat/chat_template.h"
#include "engine/engine.h"
#include "grammar/matcher.h"
#include "server/structured_output.h"
#include "toolcall/tool_format.h"
#include "tokenizer/tokenizer.h"

namespace gemma3 {

namespace {

class HandleStream final : public TokenStream {
 public:
  explicit HandleStream(std::shared_ptr<RequestHandle> handle) : handle_(std::move(handle)) {}
  ~HandleStream() override {
    handle_->set_notify(nullptr);
    handle_->cancel();
  }
  bool next(OutputDelta* out, std::chrono::milliseconds timeout, bool* timed_out) override {
    return handle_->next(out, timeout, timed_out);
  }
  void cancel() override { handle_->cancel(); }
  bool set_notify(std::function<void()> notify) override {
    handle_->set_notify(std::move(notify));
    return true;
  }

 private:
  std::shared_ptr<RequestHandle> handle_;
};

class EngineBackend final : public ServingBackend {
 public:
  EngineBackend(Engine& engine, const Tokenizer& tokenizer, ModelInfo model, EngineBackendOptions options)
      : engine_(engine),
        tokenizer_(tokenizer),
        model_(std::move(model)),
        options_(std::move(options)),
        // The token table (every token's bytes and the vocabulary trie) is built once, here.
        constraints_(grammar::build_token_table(tokenizer), options_.constraint_cache_size) {}

  const ModelInfo& model() const override { return model_; }

  Result<std::vector<int32_t>> chat_prompt(const nlohmann::json& messages) const override {
    ChatInput input;
    input.messages = messages;
    return chat_prompt(input);
  }

  Result<std::vector<int32_t>> chat_prompt(const ChatInput& input) const override {
    if (!options_.chat_template) return make_error(options_.chat_template_error);
    auto rendered = options_.chat_template->render(input);
    if (!rendered.ok()) return std::move(rendered).take_error();
    return rendered->tokenize(tokenizer_);
  }

  std::vector<int32_t> text_prompt(const std::string& text) const override {
    // Special tokens in a raw prompt are honoured (a hand-written chat prompt works as in HF
    // with add_special_tokens), and a prompt that already starts with <bos> gets no second one.
    std::vector<int32_t> ids = tokenizer_.encode(text, /*parse_special=*/true);
    if (ids.empty() || ids.front() != tokenizer_.bos_id()) ids.insert(ids.begin(), tokenizer_.bos_id());
    return ids;
  }

  Status validate_sampling(const SamplingParams& params) const override {
    return validate_sampling_params(params, model_.vocab_size);
  }

  std::variant<std::unique_ptr<TokenStream>, SubmitError> submit(GenerationRequest request) override {
    auto submitted = engine_.submit(std::move(request));
    if (auto* err = std::get_if<SubmitError>(&submitted)) return *err;
    return std::make_unique<HandleStream>(std::move(std::get<std::shared_ptr<RequestHandle>>(submitted)));
  }

  std::string metrics_prometheus() const override { return engine_.metrics_prometheus(); }

  ConstraintCompiler* constraints() override { return &constraints_; }
  std::shared_ptr<const toolcall::ToolFormat> tool_format() const override { return options_.tool_format; }
  std::vector<int32_t> eos_ids() const override { return options_.eos_ids; }

 private:
  Engine& engine_;
  const Tokenizer& tokenizer_;
  ModelInfo model_;
  EngineBackendOptions options_;
  ConstraintCompiler constraints_;
};

}  // namespace

std::unique_ptr<ServingBackend> make_engine_backend(Engine& engine, const Tokenizer& tokenizer, ModelInfo model,
                                                    EngineBackendOptions options) {
  return std::make_unique<EngineBackend>(engine, tokenizer, std::move(model), std::move(options));
}

}  // namespace gemma3
