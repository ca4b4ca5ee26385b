#include "server/anthropic/anthropic_routes.h"

#include <variant>

#include "chat/chat_template.h"
#include "server/anthropic/anthropic_error.h"
#include "server/anthropic/messages_request.h"
#include "server/anthropic/messages_writer.h"
#include "server/chat_relay.h"
#include "server/request_parser.h"
#include "server/response_builder.h"
#include "toolcall/tool_format.h"

namespace gemma3 {

namespace {

using nlohmann::ordered_json;

HttpResponse anthropic_response(int status, const ordered_json& body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  return r;
}

HttpResponse anthropic_error_response(const ApiError& e) {
  AnthropicError a = to_anthropic_error(e);
  HttpResponse r = anthropic_response(a.status, a.body);
  if (e.retry_after_s) r.headers.emplace_back("Retry-After", std::to_string(*e.retry_after_s));
  return r;
}

// Chat's field names in errors -> the Messages request's.
ApiError renamed(ApiError e) {
  if (e.param && *e.param == "stop") e.param = "stop_sequences";
  if (e.param && e.param->rfind("tools[", 0) == 0) {
    if (size_t f = e.param->find("].function.parameters"); f != std::string::npos) {
      e.param = e.param->substr(0, f + 1) + ".input_schema" + e.param->substr(f + 21);
    }
  }
  return e;
}

class MessagesAdapter : public RelayAdapter {
 public:
  MessagesAdapter(std::string model) : id_(make_response_id("msg_")), model_(std::move(model)), writer_(id_, model_) {}

  HttpResponse whole(const ChatOutcome& outcome) override {
    return anthropic_response(200, message_object(id_, model_, outcome));
  }
  HttpResponse error(const ApiError& e) override { return anthropic_error_response(renamed(e)); }
  std::string stream_begin() override { return writer_.begin(0); }
  std::string stream_piece(const ChatStreamPiece& piece) override { return writer_.piece(piece); }
  std::string stream_finish(const ChatOutcome& usage) override { return writer_.finish(usage); }
  std::string stream_error(const ApiError& e) override {
    const AnthropicError a = to_anthropic_error(e);
    return writer_.error(a.body["error"]["type"].get<std::string>(), e.message);
  }
  std::string stream_keep_alive() override { return writer_.ping(); }

 private:
  std::string id_, model_;
  MessagesEventWriter writer_;
};

class AnthropicRoutes {
 public:
  AnthropicRoutes(const Router& router, ApiContext& ctx) : router_(router), ctx_(ctx) {}

  // The body, parsed and translated, or the error already answered.
  std::optional<MessagesRequest> read(HttpRequest& req, Responder& responder, bool count_only) {
    auto fail = [&](const ApiError& e) {
      RequestLog log = ctx_.begin_log(req);
      responder.send(anthropic_error_response(e));
      ctx_.finish(log, to_anthropic_error(e).status, req.received);
      return std::nullopt;
    };
    if (auto e = ctx_.check_auth(with_bearer_from_api_key(req))) return fail(*e);
    if (!is_valid_utf8(req.body)) return fail(invalid_body("The request body is not valid UTF-8."));
    const ordered_json body = ordered_json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return fail(invalid_body("The request body is not valid JSON."));
    auto parsed = count_only ? parse_count_tokens_request(body) : parse_messages_request(body);
    if (!parsed.ok()) return fail(parsed.error());
    return std::move(parsed.value());
  }

  void create(HttpRequest& req, std::shared_ptr<Responder> responder) {
    auto parsed = read(req, *responder, false);
    if (!parsed) return;
    relay_chat(router_, req, parsed->chat, std::make_shared<MessagesAdapter>(parsed->model), std::move(responder));
  }

  // The prompt the chat route would render for these messages and tools, counted.
  void count_tokens(HttpRequest& req, Responder& responder) {
    auto parsed = read(req, responder, true);
    if (!parsed) return;
    RequestLog log = ctx_.begin_log(req);
    auto reply_error = [&](const ApiError& e) {
      responder.send(anthropic_error_response(renamed(e)));
      ctx_.finish(log, to_anthropic_error(e).status, req.received);
    };
    ServingBackend* backend = ctx_.backend();
    if (!backend) return reply_error(model_loading());
    if (parsed->model != backend->model().id) return reply_error(model_not_found(parsed->model));
    ChatInput input;
    input.messages = parsed->chat["messages"];
    if (parsed->chat.contains("tools")) {
      // As the chat route prepares a request with tools: the tool format may rewrite both.
      auto tools = toolcall::parse_tool_request(parsed->chat);
      if (auto* err = std::get_if<toolcall::FieldError>(&tools)) return reply_error(renamed(invalid_field(err->param, err->message)));
      input.tools = parsed->chat["tools"];
      if (auto format = backend->tool_format()) {
        format->prepare_chat(input.messages, input.tools, std::get<toolcall::ToolRequest>(tools));
      }
    }
    if (Status s = validate_chat_messages(input.messages); !s.ok()) return reply_error(invalid_field("messages", s.error()));
    auto prompt = backend->chat_prompt(input);
    if (!prompt.ok()) return reply_error(invalid_field("messages", prompt.error()));
    responder.send(anthropic_response(200, {{"input_tokens", prompt->size()}}));
    ctx_.finish(log, 200, req.received);
  }

 private:
  const Router& router_;
  ApiContext& ctx_;
};

}  // namespace

void add_anthropic_routes(Router& router, ApiContext& ctx) {
  auto routes = std::make_shared<AnthropicRoutes>(router, ctx);
  router.add("POST", "/v1/messages", [routes](HttpRequest& q, std::shared_ptr<Responder> r) {
    routes->create(q, std::move(r));
  }, RouteExec::kWorker);
  router.add("POST", "/v1/messages/count_tokens", [routes](HttpRequest& q, std::shared_ptr<Responder> r) {
    routes->count_tokens(q, *r);
  }, RouteExec::kWorker);
}

}  // namespace gemma3
