#include "server/http_server.h"

// The CPPHTTPLIB_* defines Debian's libcpp-httplib was built with come from pkg-config, through
// the gemma3_server target (CMakeLists.txt), so this header agrees with the library.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <random>
#include <thread>

#include "server/generation_session.h"
#include "server/http_metrics.h"
#include "server/request_parser.h"
#include "server/response_builder.h"
#include "server/static_assets.h"

namespace gemma3 {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr const char* kChatPath = "/v1/chat/completions";
constexpr const char* kCompletionsPath = "/v1/completions";
constexpr const char* kModelsPath = "/v1/models";
constexpr const char* kModelPattern = R"(/v1/models/(.+))";
// A streaming provider call waits this long for engine output before returning to httplib (which
// then checks for server shutdown); after kKeepAliveAfter of silence a comment is written, so a
// client that left is noticed even while its request waits in the queue.
constexpr std::chrono::milliseconds kPumpWait(100);
constexpr std::chrono::milliseconds kKeepAliveAfter(1000);

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// THE place where a failure becomes an HTTP response.
void write_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  if (e.retry_after_s) res.set_header("Retry-After", std::to_string(*e.retry_after_s));
  res.set_content(dump_json(e.to_json()), "application/json");
}

void write_json(httplib::Response& res, const json& body) {
  res.status = 200;
  res.set_content(dump_json(body), "application/json");
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  // Timing reveals at most the key's length, never how much of it matched.
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

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

// The SSE response's state, shared by httplib's provider and releaser callbacks.
struct StreamState {
  std::unique_ptr<GenerationSession> session;
  RequestLog log;
  Clock::time_point start;
  Clock::time_point last_write;
  bool released = false;
};

// httplib listens with a backlog of 5 (a compile-time constant of the shared library), so a burst
// of new connections (32 clients at once) would see dropped SYNs and 1 s retransmit stalls.
// Linux lets listen() be called again on a listening socket to raise the backlog.
class BackloggedServer : public httplib::Server {
 public:
  void raise_backlog(int backlog) {
    const socket_t fd = svr_sock_;
    if (fd != INVALID_SOCKET) ::listen(fd, backlog);
  }
};

}  // namespace

void ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }

struct HttpServer::Impl {
  ServerOptions options;
  BackloggedServer http;
  std::thread thread;
  std::atomic<ServingBackend*> backend{nullptr};
  HttpMetrics metrics;
  std::mt19937_64 seed_rng{std::random_device{}()};
  std::mutex seed_mu;
  int port = 0;
  bool started = false;

  explicit Impl(ServerOptions o) : options(std::move(o)) {}

  uint64_t random_seed() {
    std::lock_guard<std::mutex> lock(seed_mu);
    return seed_rng();
  }

  RequestLog begin_log(const httplib::Request& req) const {
    RequestLog log;
    log.method = req.method;
    log.route = req.path;
    return log;
  }

  void finish(RequestLog& log, int status, Clock::time_point start) {
    log.status = status;
    log.duration_ms = ms_since(start);
    metrics.finish(log, options.log_requests);
  }

  void reply_error(const httplib::Request& req, httplib::Response& res, const ApiError& e, RequestLog& log,
                   Clock::time_point start) {
    write_error(res, e);
    finish(log, e.status, start);
  }

  // nullopt when the request may proceed.
  std::optional<ApiError> check_auth(const httplib::Request& req) const {
    if (options.api_key.empty()) return std::nullopt;
    const std::string header = req.get_header_value("Authorization");
    static const std::string kBearer = "Bearer ";
    if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) return unauthorized();
    if (!constant_time_equal(header.substr(kBearer.size()), options.api_key)) return unauthorized();
    return std::nullopt;
  }

  // The backend, or the error to answer with (auth first, then "still loading").
  ApiResult<ServingBackend*> gate(const httplib::Request& req) const {
    if (auto e = check_auth(req)) return *e;
    ServingBackend* b = backend.load(std::memory_order_acquire);
    if (!b) return model_loading();
    return b;
  }

  // Shared tail of both generation routes: prompts -> engine requests -> submitted session.
  ApiResult<std::unique_ptr<GenerationSession>> launch(ServingBackend& b, ApiKind kind, const CommonParams& params,
                                                       const std::vector<std::vector<int32_t>>& prompts,
                                                       const std::string& prompt_param, RequestLog& log,
                                                       Clock::time_point start) {
    const ModelInfo& model = b.model();
    if (Status s = b.validate_sampling(params.sampling); !s.ok()) return sampling_error(s.error());

    SessionOptions so;
    so.kind = kind;
    so.meta.id = make_response_id(kind == ApiKind::kChat ? "chatcmpl-" : "cmpl-");
    so.meta.created = unix_now();
    so.meta.model = model.id;
    so.meta.system_fingerprint = options.system_fingerprint;
    so.logprobs = params.logprobs;
    so.include_usage = params.include_usage;
    so.n = params.n;
    so.start = start;
    log.id = so.meta.id;
    log.stream = params.stream;

    ExpandOptions eo;
    eo.context_length = model.context_length;
    // OpenAI's legacy completions default to 16 tokens; chat to the rest of the context (capped).
    eo.default_max_tokens = kind == ApiKind::kChat ? options.default_max_tokens : 16;
    eo.request_id = so.meta.id;
    eo.prompt_param = prompt_param;
    eo.random_seed = random_seed();
    auto requests = expand_requests(params, prompts, eo);
    if (!requests.ok()) return requests.error();

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

  ApiResult<std::unique_ptr<GenerationSession>> prepare(const httplib::Request& req, ApiKind kind, RequestLog& log,
                                                        Clock::time_point start, bool* stream) {
    auto b = gate(req);
    if (!b.ok()) return b.error();
    ServingBackend& backend_ref = *b.value();
    auto body = parse_json_body(req.body);
    if (!body.ok()) return body.error();
    const int32_t vocab = backend_ref.model().vocab_size;
    if (kind == ApiKind::kChat) {
      auto parsed = parse_chat_request(body.value(), vocab);
      if (!parsed.ok()) return parsed.error();
      *stream = parsed->common.stream;
      if (parsed->common.model && *parsed->common.model != backend_ref.model().id) {
        return model_not_found(*parsed->common.model);
      }
      auto prompt = backend_ref.chat_prompt(parsed->messages);
      if (!prompt.ok()) return invalid_field("messages", prompt.error());
      return launch(backend_ref, kind, parsed->common, {std::move(prompt.value())}, "messages", log, start);
    }
    auto parsed = parse_completion_request(body.value(), vocab);
    if (!parsed.ok()) return parsed.error();
    *stream = parsed->common.stream;
    if (parsed->common.model && *parsed->common.model != backend_ref.model().id) {
      return model_not_found(*parsed->common.model);
    }
    std::vector<std::vector<int32_t>> prompts;
    for (const PromptInput& p : parsed->prompts) {
      if (const auto* text = std::get_if<std::string>(&p)) {
        prompts.push_back(backend_ref.text_prompt(*text));
      } else {
        prompts.push_back(std::get<std::vector<int32_t>>(p));
      }
    }
    return launch(backend_ref, kind, parsed->common, prompts, "prompt", log, start);
  }

  void handle_generation(const httplib::Request& req, httplib::Response& res, ApiKind kind) {
    const Clock::time_point start = Clock::now();
    RequestLog log = begin_log(req);
    bool stream = false;
    auto prepared = prepare(req, kind, log, start, &stream);
    if (!prepared.ok()) return reply_error(req, res, prepared.error(), log, start);
    std::unique_ptr<GenerationSession> session = std::move(prepared.value());

    if (!stream) {
      auto body = session->collect();
      Usage u = session->usage();
      log.completion_tokens = u.completion_tokens;
      log.ttft_ms = session->ttft_ms();
      if (!body.ok()) return reply_error(req, res, body.error(), log, start);
      write_json(res, body.value());
      return finish(log, 200, start);
    }

    auto state = std::make_shared<StreamState>();
    state->session = std::move(session);
    state->log = std::move(log);
    state->start = start;
    state->last_write = Clock::now();
    metrics.stream_opened();
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [state](size_t /*offset*/, httplib::DataSink& sink) {
          std::string out;
          const bool more = state->session->pump(&out, kPumpWait);
          const Clock::time_point now = Clock::now();
          if (out.empty() && more && now - state->last_write >= kKeepAliveAfter) out = kSseKeepAlive;
          if (!out.empty()) {
            if (!sink.write(out.data(), out.size())) {
              state->session->cancel();   // the client is gone: free its sequences now
              return false;
            }
            state->last_write = now;
          }
          if (!more) sink.done();
          return true;
        },
        [this, state](bool success) {
          if (state->released) return;
          state->released = true;
          GenerationSession& s = *state->session;
          state->log.client_gone = !s.complete();
          s.cancel();
          state->log.completion_tokens = s.usage().completion_tokens;
          state->log.ttft_ms = s.ttft_ms();
          metrics.stream_closed();
          finish(state->log, 200, state->start);
          // Release the engine handles on this thread, now, rather than whenever httplib drops
          // its copy of the callbacks.
          state->session.reset();
        });
  }

  void handle_models(const httplib::Request& req, httplib::Response& res, bool one) {
    const Clock::time_point start = Clock::now();
    RequestLog log = begin_log(req);
    auto b = gate(req);
    if (!b.ok()) return reply_error(req, res, b.error(), log, start);
    const ModelInfo& model = b.value()->model();
    if (!one) {
      write_json(res, models_json(model));
    } else {
      std::string id = req.matches.size() > 1 ? req.matches[1].str() : "";
      if (id != model.id) return reply_error(req, res, model_not_found(id), log, start);
      write_json(res, models_json(model)["data"][0]);
    }
    finish(log, 200, start);
  }

  void handle_health(const httplib::Request& req, httplib::Response& res) {
    const bool ready = backend.load(std::memory_order_acquire) != nullptr;
    res.status = ready ? 200 : 503;
    res.set_content(ready ? R"({"status":"ok"})" : R"({"status":"loading"})", "application/json");
    if (!ready) res.set_header("Retry-After", "1");
  }

  void handle_metrics(const httplib::Request& req, httplib::Response& res) {
    std::string text;
    if (ServingBackend* b = backend.load(std::memory_order_acquire)) text = b->metrics_prometheus();
    text += metrics.prometheus();
    res.status = 200;
    res.set_content(text, "text/plain; version=0.0.4");
  }

  // The chat page (web/, embedded at build time). Served without the API key: it holds no secret,
  // and its own requests to /v1/* carry the key the user types into its settings.
  void handle_asset(const httplib::Request& req, httplib::Response& res, const StaticAsset& asset) {
    const Clock::time_point start = Clock::now();
    RequestLog log = begin_log(req);
    for (const auto& [name, value] : static_asset_headers(asset)) res.set_header(name, value);
    if (etag_matches(req.get_header_value("If-None-Match"), asset.etag)) {
      res.status = 304;
    } else {
      res.status = 200;
      res.set_content(asset.body.data(), asset.body.size(), std::string(asset.content_type));
    }
    finish(log, res.status, start);
  }

  // Known path, wrong method: 405 with Allow (httplib would answer 404).
  void deny_other_methods(const std::string& path, const std::string& allowed) {
    auto deny = [this, allowed](const httplib::Request& req, httplib::Response& res) {
      const Clock::time_point start = Clock::now();
      RequestLog log = begin_log(req);
      res.set_header("Allow", allowed);
      reply_error(req, res, method_not_allowed(req.method, req.path), log, start);
    };
    if (allowed != "GET") http.Get(path, deny);
    if (allowed != "POST") http.Post(path, deny);
    http.Put(path, deny);
    http.Patch(path, deny);
    http.Delete(path, deny);
    http.Options(path, deny);
  }

  void install_routes() {
    http.Post(kChatPath, [this](const httplib::Request& q, httplib::Response& r) {
      handle_generation(q, r, ApiKind::kChat);
    });
    http.Post(kCompletionsPath, [this](const httplib::Request& q, httplib::Response& r) {
      handle_generation(q, r, ApiKind::kCompletion);
    });
    http.Get(kModelsPath, [this](const httplib::Request& q, httplib::Response& r) { handle_models(q, r, false); });
    http.Get(kModelPattern, [this](const httplib::Request& q, httplib::Response& r) { handle_models(q, r, true); });
    http.Get("/health", [this](const httplib::Request& q, httplib::Response& r) { handle_health(q, r); });
    http.Get("/metrics", [this](const httplib::Request& q, httplib::Response& r) { handle_metrics(q, r); });
    deny_other_methods(kChatPath, "POST");
    deny_other_methods(kCompletionsPath, "POST");
    deny_other_methods(kModelsPath, "GET");
    deny_other_methods(kModelPattern, "GET");
    deny_other_methods("/health", "GET");
    deny_other_methods("/metrics", "GET");
    for (const StaticAsset& asset : static_assets()) {
      // Routes are regular expressions: escape the dots of the file name.
      std::string pattern;
      for (char c : asset.path) pattern += c == '.' ? std::string("\\.") : std::string(1, c);
      if (asset.path == "/index.html") pattern = "/|" + pattern;
      http.Get(pattern, [this, &asset](const httplib::Request& q, httplib::Response& r) { handle_asset(q, r, asset); });
      deny_other_methods(pattern, "GET");
    }

    // Errors httplib produced itself (no route, body over the limit, unparsable HTTP): give them
    // the OpenAI error body too. Our own error responses already carry a body and pass through.
    http.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      ApiError e;
      if (res.status == 404) {
        e = route_not_found(req.method, req.path);
      } else if (res.status == 413) {
        e = payload_too_large(options.max_body_bytes);
      } else if (res.status < 500) {
        e = invalid_body("Malformed HTTP request.");
        e.status = res.status;
      } else {
        e = internal_error("Internal server error.");
        e.status = res.status;
      }
      write_error(res, e);
      RequestLog log = begin_log(req);
      log.status = e.status;
      metrics.finish(log, options.log_requests);
      return httplib::Server::HandlerResponse::Handled;
    }));
    // Handlers do not throw by design; this is the net for bad_alloc and bugs, never a crash.
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown exception";
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& ex) {
        what = ex.what();
      } catch (...) {
      }
      write_error(res, internal_error("Internal server error: " + what));
    });
  }
};

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  Impl& s = *impl_;
  if (s.started) return make_error("server: already started");
  const size_t threads = static_cast<size_t>(std::max(1, s.options.http_threads));
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.http.set_payload_max_length(s.options.max_body_bytes);
  s.http.set_tcp_nodelay(true);
  // Behind a load balancer, names the replica that answered (docs/DEPLOYMENT.md): logs and tests
  // can then tell where a conversation was routed.
  if (!s.options.replica_name.empty()) s.http.set_default_headers({{"X-Gemma3-Replica", s.options.replica_name}});
  // 5 s, above Node/undici's 4 s client idle timeout (so a client never reuses a connection the
  // server is closing), and the bound on how long stop() waits for idle keep-alive connections:
  // httplib only notices shutdown between requests.
  s.http.set_keep_alive_timeout(5);
  s.http.set_keep_alive_max_count(1000);
  s.http.set_read_timeout(30);
  s.http.set_write_timeout(30);
  s.install_routes();
  if (s.options.port == 0) {
    s.port = s.http.bind_to_any_port(s.options.host);
    if (s.port < 0) return make_error("server: cannot bind " + s.options.host + " to any port");
  } else {
    if (!s.http.bind_to_port(s.options.host, s.options.port)) {
      return make_error("server: cannot bind " + s.options.host + ":" + std::to_string(s.options.port) +
                        " (in use, or not a local address?)");
    }
    s.port = s.options.port;
  }
  s.http.raise_backlog(1024);
  s.started = true;
  s.thread = std::thread([&s] { s.http.listen_after_bind(); });
  return ok_status();
}

void HttpServer::stop() {
  Impl& s = *impl_;
  if (!s.started) return;
  s.http.stop();
  if (s.thread.joinable()) s.thread.join();
  s.started = false;
}

int HttpServer::port() const { return impl_->port; }

void HttpServer::set_backend(ServingBackend* backend) { impl_->backend.store(backend, std::memory_order_release); }

}  // namespace gemma3
