#include "server/chat_relay.h"


#include "server/response_builder.h"

namespace gemma3 {

namespace {

using nlohmann::json;

ChatFinish finish_from_name(const std::string& name) {
  if (name == "length") return ChatFinish::kLength;
  if (name == "tool_calls") return ChatFinish::kToolCalls;
  return ChatFinish::kStop;
}

void read_usage(const json& usage, ChatOutcome& o) {
  if (!usage.is_object()) return;
  o.prompt_tokens = usage.value("prompt_tokens", int64_t{0});
  o.completion_tokens = usage.value("completion_tokens", int64_t{0});
  if (auto d = usage.find("prompt_tokens_details"); d != usage.end() && d->is_object()) {
    o.cached_tokens = d->value("cached_tokens", int64_t{0});
  }
}

std::string string_or_empty(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// Translates the chat route's answer on its way out. Every method runs on the connection's strand
// (the exchange calls them there), so the reader needs no lock.
class RelayResponder : public Responder {
 public:
  RelayResponder(std::shared_ptr<Responder> inner, std::shared_ptr<RelayAdapter> adapter)
      : inner_(std::move(inner)), adapter_(std::move(adapter)) {}

  void send(HttpResponse response) override {
    if (response.status != 200) {
      HttpResponse out = adapter_->error(api_error_from_response(response.status, response.body));
      for (const auto& h : response.headers) {
        if (h.first == "Retry-After") out.headers.push_back(h);
      }
      return inner_->send(std::move(out));
    }
    const json body = json::parse(response.body, nullptr, false);
    auto outcome = body.is_discarded() ? std::nullopt : outcome_from_chat_completion(body);
    if (!outcome) return inner_->send(adapter_->error(internal_error("the chat route gave no completion")));
    inner_->send(adapter_->whole(*outcome));
  }

  void begin_stream(HttpResponse head) override {
    prefix_ = adapter_->stream_begin();
    inner_->begin_stream(std::move(head));
  }

  void write(std::string bytes, std::function<void(bool ok)> on_written) override {
    std::string out = std::move(prefix_);
    prefix_.clear();
    if (bytes == kSseKeepAlive) {
      out += adapter_->stream_keep_alive();
    } else {
      events_.clear();
      reader_.feed(bytes, events_);
      for (const ChatStreamReader::Event& e : events_) {
        switch (e.kind) {
          case ChatStreamReader::Event::Kind::kPiece: out += adapter_->stream_piece(e.piece); break;
          case ChatStreamReader::Event::Kind::kDone: out += adapter_->stream_finish(e.finish); break;
          case ChatStreamReader::Event::Kind::kError: out += adapter_->stream_error(e.error); break;
        }
      }
    }
    // An empty chunk would end the chunked body: report the write done instead.
    if (out.empty()) {
      if (on_written) inner_->post([on_written = std::move(on_written)] { on_written(true); });
      return;
    }
    inner_->write(std::move(out), std::move(on_written));
  }

  void end_stream() override { inner_->end_stream(); }
  void post(std::function<void()> fn) override { inner_->post(std::move(fn)); }
  void post_after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    inner_->post_after(delay, std::move(fn));
  }
  void on_abort(std::function<void(AbortReason)> fn) override { inner_->on_abort(std::move(fn)); }

 private:
  std::shared_ptr<Responder> inner_;
  std::shared_ptr<RelayAdapter> adapter_;
  ChatStreamReader reader_;
  std::vector<ChatStreamReader::Event> events_;
  std::string prefix_;   // the API's opening events, sent with the first chunk
};

}  // namespace

std::optional<ChatOutcome> outcome_from_chat_completion(const json& completion) {
  if (!completion.is_object()) return std::nullopt;
  auto choices = completion.find("choices");
  if (choices == completion.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    return std::nullopt;
  }
  const json& choice = (*choices)[0];
  ChatOutcome o;
  o.finish = finish_from_name(string_or_empty(choice, "finish_reason"));
  if (auto m = choice.find("message"); m != choice.end() && m->is_object()) {
    o.text = string_or_empty(*m, "content");
    if (auto calls = m->find("tool_calls"); calls != m->end() && calls->is_array()) {
      for (const json& c : *calls) {
        if (!c.is_object() || !c.contains("function") || !c["function"].is_object()) continue;
        o.tool_calls.push_back({string_or_empty(c, "id"), string_or_empty(c["function"], "name"),
                                string_or_empty(c["function"], "arguments")});
      }
    }
  }
  if (auto u = completion.find("usage"); u != completion.end()) read_usage(*u, o);
  return o;
}

ApiError api_error_from_response(int status, const std::string& body) {
  ApiError e;
  e.status = status;
  e.type = "api_error";
  e.message = body;
  const json parsed = json::parse(body, nullptr, false);
  if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
    const json& err = parsed["error"];
    e.type = string_or_empty(err, "type");
    e.message = string_or_empty(err, "message");
    if (auto p = err.find("param"); p != err.end() && p->is_string()) e.param = p->get<std::string>();
    if (auto c = err.find("code"); c != err.end() && c->is_string()) e.code = c->get<std::string>();
  }
  return e;
}

void ChatStreamReader::feed(std::string_view bytes, std::vector<Event>& out) {
  buffer_.append(bytes);
  size_t pos = 0;
  for (size_t end; (end = buffer_.find("\n\n", pos)) != std::string::npos; pos = end + 2) {
    const std::string_view block(buffer_.data() + pos, end - pos);
    if (block.rfind("data: ", 0) == 0) event(std::string(block.substr(6)), out);   // ": comment" blocks are skipped
  }
  buffer_.erase(0, pos);
}

void ChatStreamReader::event(const std::string& data, std::vector<Event>& out) {
  if (data == "[DONE]") {
    Event e;
    e.kind = Event::Kind::kDone;
    e.finish = finish_;
    out.push_back(std::move(e));
    return;
  }
  const json chunk = json::parse(data, nullptr, false);
  if (chunk.is_discarded() || !chunk.is_object()) return;
  if (auto err = chunk.find("error"); err != chunk.end()) {
    Event e;
    e.kind = Event::Kind::kError;
    e.error = api_error_from_response(503, data);
    out.push_back(std::move(e));
    return;
  }
  if (auto u = chunk.find("usage"); u != chunk.end() && u->is_object()) read_usage(*u, finish_);
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) return;
  const json& choice = (*choices)[0];
  if (auto f = choice.find("finish_reason"); f != choice.end() && f->is_string()) {
    finish_.finish = finish_from_name(f->get<std::string>());
  }
  auto delta = choice.find("delta");
  if (delta == choice.end() || !delta->is_object()) return;
  if (std::string text = string_or_empty(*delta, "content"); !text.empty()) {
    Event e;
    e.piece.text = std::move(text);
    out.push_back(std::move(e));
  }
  if (auto calls = delta->find("tool_calls"); calls != delta->end() && calls->is_array()) {
    for (const json& c : *calls) {
      if (!c.is_object()) continue;
      Event e;
      e.piece.tool_index = c.value("index", 0);
      e.piece.tool_id = string_or_empty(c, "id");
      if (auto fn = c.find("function"); fn != c.end() && fn->is_object()) {
        e.piece.tool_name = string_or_empty(*fn, "name");
        e.piece.arguments = string_or_empty(*fn, "arguments");
      }
      out.push_back(std::move(e));
    }
  }
}

HttpRequest with_bearer_from_api_key(const HttpRequest& request) {
  HttpRequest r = request;
  const std::string key = request.header("x-api-key");
  if (!key.empty() && request.header("Authorization").empty()) r.headers.emplace_back("Authorization", "Bearer " + key);
  return r;
}

void relay_chat(const Router& router, const HttpRequest& original, const nlohmann::ordered_json& chat_body,
                std::shared_ptr<RelayAdapter> adapter, std::shared_ptr<Responder> responder) {
  Router::Match match = router.match("POST", "/v1/chat/completions");
  if (!match.route) return responder->send(adapter->error(internal_error("the chat route is not registered")));
  HttpRequest request = with_bearer_from_api_key(original);
  request.body = chat_body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  request.route_rest.clear();
  match.route->handler(request, std::make_shared<RelayResponder>(std::move(responder), std::move(adapter)));
}

}  // namespace gemma3
