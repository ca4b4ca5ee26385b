#include "server/openai_routes.h"

#include <cstring>

#include "server/chat_preparation.h"
#include "server/generation_exchange.h"
#include "server/generation_session.h"
#include "server/http_server.h"
#include "server/request_parser.h"
#include "server/response_builder.h"

namespace gemma3 {

namespace {

using Clock = ApiContext::Clock;

// The sampler's own check names the field first ("temperature must be ..."): blame it in `param`.
ApiError sampling_error(const std::string& message) {
  static const char* const kFields[] = {"temperature", "top_k", "top_p", "min_p", "repetition_penalty",
                                        "presence_penalty", "frequency_penalty", "logit_bias", "seed"};
  for (const char* field : kFields) {
    const size_t n = std::strlen(field);
    if (message.compare(0, n, field) == 0 && (message.size() == n || message[n] == ' ')) {
      return invalid_field(field, message);
    }
  }
  return invalid_body(message);
}

class OpenAiRoutes {
 public:
  explicit OpenAiRoutes(ApiContext& ctx) : ctx_(ctx) {}

  // Shared tail of both generation routes: prompts -> engine requests -> submitted session.
  ApiResult<std::unique_ptr<GenerationSession>> launch(ServingBackend& b, ApiKind kind, const CommonParams& params,
                                                       const std::vector<std::vector<int32_t>>& prompts,
                                                       const GenerationExtras& extras,
                                                       const std::string& prompt_param, RequestLog& log,
                                                       Clock::time_point start) {
    const ModelInfo& model = b.model();
    if (Status s = b.validate_sampling(params.sampling); !s.ok()) return sampling_error(s.error());

    SessionOptions so;
    so.kind = kind;
    so.meta.id = make_response_id(kind == ApiKind::kChat ? "chatcmpl-" : "cmpl-");
    so.meta.created = unix_now();
    so.meta.model = model.id;
    so.meta.system_fingerprint = ctx_.options().system_fingerprint;
    so.logprobs = params.logprobs;
    so.include_usage = params.include_usage;
    so.n = params.n;
    so.start = start;
    so.make_tool_parser = extras.make_tool_parser;
    log.id = so.meta.id;
    log.stream = params.stream;

    ExpandOptions eo;
    eo.context_length = model.context_length;
    // OpenAI's legacy completions default to 16 tokens; chat to the rest of the context (capped).
    eo.default_max_tokens = kind == ApiKind::kChat ? ctx_.options().default_max_tokens : 16;
    eo.request_id = so.meta.id;
    eo.prompt_param = prompt_param;
    eo.random_seed = ctx_.random_seed();
    auto requests = expand_requests(params, prompts, eo);
    if (!requests.ok()) return requests.error();
    apply_extras(extras, requests.value());

    std::vector<std::unique_ptr<TokenStream>> streams;
    streams.reserve(requests->size());
    for (GenerationRequest& g : requests.value()) {
      so.prompt_tokens.push_back(static_cast<int32_t>(g.prompt.size()));
      log.prompt_tokens += static_cast<int64_t>(g.prompt.size());
      auto submitted = b.submit(std::move(g));
      // On failure the streams already submitted are destroyed here, which cancels them.
      if (auto* err = std::get_if<SubmitError>(&submitted)) return from_submit_error(*err);
      streams.push_back(std::move(std::get<std::unique_ptr<TokenStream>>(submitted)));
    }
    return std::make_unique<GenerationSession>(std::move(so), std::move(streams));
  }

  ApiResult<std::unique_ptr<GenerationSession>> prepare(const HttpRequest& req, ApiKind kind, RequestLog& log,
                                                        Clock::time_point start, bool* stream) {
    auto b = ctx_.gate(req);
    if (!b.ok()) return b.error();
    ServingBackend& backend = *b.value();
    auto body = parse_json_body(req.body);
    if (!body.ok()) return body.error();
    const int32_t vocab = backend.model().vocab_size;
    if (kind == ApiKind::kChat) {
      auto parsed = parse_chat_request(body.value(), vocab);
      if (!parsed.ok()) return parsed.error();
      *stream = parsed->common.stream;
      if (parsed->common.model && *parsed->common.model != backend.model().id) {
        return model_not_found(*parsed->common.model);
      }
      // Key order is visible to templates and sets a schema's property order: read it as sent.
      const auto ordered = nlohmann::ordered_json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      auto chat = prepare_chat(backend, body.value(), ordered);
      if (!chat.ok()) return chat.error();
      return launch(backend, kind, parsed->common, {std::move(chat->prompt)}, chat->extras, "messages", log, start);
    }
    auto parsed = parse_completion_request(body.value(), vocab);
    if (!parsed.ok()) return parsed.error();
    *stream = parsed->common.stream;
    if (parsed->common.model && *parsed->common.model != backend.model().id) {
      return model_not_found(*parsed->common.model);
    }
    std::vector<std::vector<int32_t>> prompts;
    for (const PromptInput& p : parsed->prompts) {
      if (const auto* text = std::get_if<std::string>(&p)) {
        prompts.push_back(backend.text_prompt(*text));
      } else {
        prompts.push_back(std::get<std::vector<int32_t>>(p));
      }
    }
    const auto ordered = nlohmann::ordered_json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    auto extras = prepare_completion_extras(backend, ordered);
    if (!extras.ok()) return extras.error();
    return launch(backend, kind, parsed->common, prompts, extras.value(), "prompt", log, start);
  }

  // On a worker thread: everything up to submission, then the exchange takes over.
  void generation(const HttpRequest& req, std::shared_ptr<Responder> responder, ApiKind kind) {
    const Clock::time_point start = req.received;
    RequestLog log = ctx_.begin_log(req);
    bool stream = false;
    auto prepared = prepare(req, kind, log, start, &stream);
    if (!prepared.ok()) return ctx_.reply_error(*responder, prepared.error(), log, start);
    run_generation_exchange(ctx_, std::move(prepared.value()), stream, std::move(log), start, std::move(responder));
  }

  void models(const HttpRequest& req, Responder& responder, bool one) {
    const Clock::time_point start = req.received;
    RequestLog log = ctx_.begin_log(req);
    auto b = ctx_.gate(req);
    if (!b.ok()) return ctx_.reply_error(responder, b.error(), log, start);
    const ModelInfo& model = b.value()->model();
    if (!one) {
      responder.send(ApiContext::json_response(models_json(model)));
    } else {
      if (req.route_rest != model.id) return ctx_.reply_error(responder, model_not_found(req.route_rest), log, start);
      responder.send(ApiContext::json_response(models_json(model)["data"][0]));
    }
    ctx_.finish(log, 200, start);
  }

 private:
  ApiContext& ctx_;
};

}  // namespace

void add_openai_routes(Router& router, ApiContext& ctx) {
  auto routes = std::make_shared<OpenAiRoutes>(ctx);
  router.add("POST", "/v1/chat/completions", [routes](HttpRequest& q, std::shared_ptr<Responder> r) {
    routes->generation(q, std::move(r), ApiKind::kChat);
  }, RouteExec::kWorker);
  router.add("POST", "/v1/completions", [routes](HttpRequest& q, std::shared_ptr<Responder> r) {
    routes->generation(q, std::move(r), ApiKind::kCompletion);
  }, RouteExec::kWorker);
  router.add("GET", "/v1/models", [routes](HttpRequest& q, std::shared_ptr<Responder> r) { routes->models(q, *r, false); });
  router.add_prefix("GET", "/v1/models/",
                    [routes](HttpRequest& q, std::shared_ptr<Responder> r) { routes->models(q, *r, true); });
}

}  // namespace gemma3
