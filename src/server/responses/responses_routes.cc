#include "server/responses/responses_routes.h"

#include "server/api_translation.h"
#include "server/chat_relay.h"
#include "server/request_parser.h"
#include "server/response_builder.h"
#include "server/responses/responses_request.h"
#include "server/responses/responses_writer.h"

namespace gemma3 {

namespace {

using nlohmann::ordered_json;

HttpResponse ordered_json_response(int status, const ordered_json& body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  return r;
}

ApiError response_not_found(const std::string& id, const char* param) {
  ApiError e = invalid_field(param, "No response found with id '" + id + "'.");
  e.status = 404;
  if (std::string(param).empty()) e.param.reset();
  return e;
}

// Chat's field names in errors -> the Responses request's.
void rename_param(ApiError& e) {
  if (!e.param) return;
  std::string& p = *e.param;
  const std::pair<const char*, const char*> renames[] = {
      {"max_tokens", "max_output_tokens"}, {"response_format.json_schema.", "text.format."},
      {"response_format", "text.format"},  {"messages", "input"}};
  for (const auto& [from, to] : renames) {
    if (p.rfind(from, 0) == 0) {
      p = to + p.substr(std::string(from).size());
      break;
    }
  }
  if (p.rfind("tools[", 0) == 0) {
    if (size_t f = p.find("].function."); f != std::string::npos) p.erase(f + 1, 9);
  }
}

// Writes one response, and stores it when finished (store: true).
class ResponsesAdapter : public RelayAdapter {
 public:
  ResponsesAdapter(ResponseIdentity identity, ResponsesRequest request, ordered_json history,
                   std::shared_ptr<ResponseStore> store)
      : identity_(std::move(identity)),
        request_(std::move(request)),
        history_(std::move(history)),
        store_(std::move(store)),
        writer_(identity_, request_.echo) {}

  HttpResponse whole(const ChatOutcome& outcome) override {
    ordered_json response = response_object(identity_, request_.echo, outcome);
    keep(response, outcome);
    return ordered_json_response(200, response);
  }
  HttpResponse error(const ApiError& e) override {
    ApiError renamed = e;
    rename_param(renamed);
    return ApiContext::error_response(renamed);
  }
  std::string stream_begin() override { return writer_.begin(); }
  std::string stream_piece(const ChatStreamPiece& piece) override { return writer_.piece(piece); }
  std::string stream_finish(const ChatOutcome& usage) override {
    std::string out = writer_.finish(usage);
    keep(writer_.response(), writer_.outcome());
    return out;
  }
  std::string stream_error(const ApiError& e) override { return writer_.error(e.code.value_or("server_error"), e.message); }

 private:
  void keep(const ordered_json& response, const ChatOutcome& outcome) {
    if (!request_.store) return;
    ordered_json conversation = history_;
    for (const ordered_json& m : request_.input_messages) conversation.push_back(m);
    conversation.push_back(assistant_chat_message(outcome));
    store_->put(identity_.id, response, std::move(conversation));
  }

  ResponseIdentity identity_;
  ResponsesRequest request_;
  ordered_json history_;
  std::shared_ptr<ResponseStore> store_;
  ResponsesEventWriter writer_;
};

class ResponsesRoutes {
 public:
  ResponsesRoutes(const Router& router, ApiContext& ctx, const ResponseStoreLimits& limits)
      : router_(router), ctx_(ctx), store_(std::make_shared<ResponseStore>(limits)) {}

  // On a worker thread, like the chat route it relays to.
  void create(HttpRequest& req, std::shared_ptr<Responder> responder) {
    auto fail = [&](const ApiError& e) {
      RequestLog log = ctx_.begin_log(req);
      ctx_.reply_error(*responder, e, log, req.received);
    };
    if (auto e = ctx_.check_auth(req)) return fail(*e);
    if (!is_valid_utf8(req.body)) return fail(invalid_body("The request body is not valid UTF-8."));
    const ordered_json body = ordered_json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return fail(invalid_body("The request body is not valid JSON."));
    auto parsed = parse_responses_request(body);
    if (!parsed.ok()) return fail(parsed.error());

    ordered_json history = ordered_json::array();
    if (parsed->previous_response_id) {
      auto previous = store_->get(*parsed->previous_response_id);
      if (!previous) return fail(response_not_found(*parsed->previous_response_id, "previous_response_id"));
      history = previous->conversation;
    }
    ResponseIdentity identity;
    identity.id = make_response_id("resp_");
    identity.created_at = unix_now();
    const ServingBackend* backend = ctx_.backend();
    identity.model = backend ? backend->model().id : string_member(body, "model");
    identity.previous_response_id = parsed->previous_response_id;
    const ordered_json chat = chat_body_for(*parsed, history);
    auto adapter = std::make_shared<ResponsesAdapter>(std::move(identity), std::move(parsed.value()), std::move(history),
                                                      store_);
    relay_chat(router_, req, chat, std::move(adapter), std::move(responder));
  }

  void by_id(HttpRequest& req, Responder& responder, bool erase) {
    RequestLog log = ctx_.begin_log(req);
    if (auto e = ctx_.check_auth(req)) return ctx_.reply_error(responder, *e, log, req.received);
    const std::string& id = req.route_rest;
    if (erase) {
      if (!store_->erase(id)) return ctx_.reply_error(responder, response_not_found(id, ""), log, req.received);
      responder.send(ordered_json_response(200, {{"id", id}, {"object", "response"}, {"deleted", true}}));
    } else {
      auto stored = store_->get(id);
      if (!stored) return ctx_.reply_error(responder, response_not_found(id, ""), log, req.received);
      responder.send(ordered_json_response(200, stored->response));
    }
    ctx_.finish(log, 200, req.received);
  }

 private:
  const Router& router_;
  ApiContext& ctx_;
  std::shared_ptr<ResponseStore> store_;
};

}  // namespace

void add_responses_routes(Router& router, ApiContext& ctx, const ResponseStoreLimits& limits) {
  auto routes = std::make_shared<ResponsesRoutes>(router, ctx, limits);
  router.add("POST", "/v1/responses", [routes](HttpRequest& q, std::shared_ptr<Responder> r) {
    routes->create(q, std::move(r));
  }, RouteExec::kWorker);
  router.add_prefix("GET", "/v1/responses/", [routes](HttpRequest& q, std::shared_ptr<Responder> r) {
    routes->by_id(q, *r, false);
  });
  router.add_prefix("DELETE", "/v1/responses/", [routes](HttpRequest& q, std::shared_ptr<Responder> r) {
    routes->by_id(q, *r, true);
  });
}

}  // namespace gemma3
