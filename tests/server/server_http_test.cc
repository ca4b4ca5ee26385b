// The HTTP layer in-process: HttpServer on a free port over the scripted FakeBackend, driven by
// httplib's client and a raw socket (for a client that vanishes mid-stream). Routes, auth, every
// error status, SSE framing on the wire, and that an abandoned stream frees its engine request.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

// The CPPHTTPLIB_* defines Debian's libcpp-httplib was built with come from pkg-config, through
// the gemma3_server target (CMakeLists.txt), so this header agrees with the library.
#include <httplib.h>

#include "fake_backend.h"
#include "server/http_server.h"

namespace gemma3 {
namespace {

using nlohmann::json;
using fake::FakeBackend;
using fake::FakeState;

class ServerHttp : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}, bool ready = true) {
    ignore_sigpipe();
    options.host = "127.0.0.1";
    options.port = 0;
    options.log_requests = getenv("SERVER_TEST_LOG") != nullptr;
    if (options.max_body_bytes == ServerOptions{}.max_body_bytes) options.max_body_bytes = 4096;
    server_ = std::make_unique<HttpServer>(options);
    ASSERT_TRUE(server_->start().ok());
    if (ready) server_->set_backend(&backend_);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  httplib::Result post(const std::string& path, const json& body, httplib::Headers headers = {}) {
    return client_->Post(path.c_str(), headers, body.dump(), "application/json");
  }

  static json chat(json extra = json::object()) {
    json body = {{"model", "fake-model"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"max_tokens", 3}};
    for (auto it = extra.begin(); it != extra.end(); ++it) body[it.key()] = it.value();
    return body;
  }

  // Checks an OpenAI error response and returns its error object.
  static json expect_error(const httplib::Result& r, int status) {
    EXPECT_TRUE(r) << "no response";
    if (!r) return json();
    EXPECT_EQ(r->status, status) << r->body;
    json body = json::parse(r->body, nullptr, false);
    EXPECT_TRUE(body.is_object() && body.contains("error")) << r->body;
    if (!body.is_object() || !body.contains("error")) return json();
    const json& e = body["error"];
    EXPECT_TRUE(e["message"].is_string());
    EXPECT_TRUE(e["type"].is_string());
    EXPECT_TRUE(e.contains("param"));
    EXPECT_TRUE(e.contains("code"));
    return e;
  }

  FakeState state_;
  FakeBackend backend_{state_};
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerHttp, HealthIs503UntilTheBackendIsSet) {
  start({}, /*ready=*/false);
  auto h = client_->Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 503);
  expect_error(post("/v1/chat/completions", chat()), 503);
  expect_error(client_->Get("/v1/models"), 503);
  server_->set_backend(&backend_);
  h = client_->Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

TEST_F(ServerHttp, ChatCompletion) {
  start();
  auto r = post("/v1/chat/completions", chat({{"n", 2}, {"seed", 5}}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->get_header_value("Content-Type").find("application/json"), std::string::npos);
  json j = json::parse(r->body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["model"], "fake-model");
  EXPECT_EQ(j["choices"].size(), 2u);
  EXPECT_EQ(j["choices"][0]["message"]["content"], "t0 t1 t2 ");
  EXPECT_EQ(j["usage"]["prompt_tokens"], 3);   // BOS + "hi"
  EXPECT_EQ(j["usage"]["completion_tokens"], 6);
  std::lock_guard<std::mutex> lock(state_.mu);
  ASSERT_EQ(state_.requests.size(), 2u);
  EXPECT_EQ(state_.requests[0].sampling.seed, 5u);
  EXPECT_EQ(state_.requests[1].sampling.seed, 6u);
}

TEST_F(ServerHttp, CompletionsAndModels) {
  start();
  auto r = post("/v1/completions", {{"prompt", json::array({"ab", "c"})}, {"max_tokens", 2}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["choices"].size(), 2u);
  EXPECT_EQ(j["usage"]["prompt_tokens"], 3 + 2);

  auto defaults = post("/v1/completions", {{"prompt", "x"}});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(json::parse(defaults->body)["usage"]["completion_tokens"], 16);   // OpenAI's legacy default

  auto m = client_->Get("/v1/models");
  ASSERT_TRUE(m);
  EXPECT_EQ(json::parse(m->body)["data"][0]["id"], "fake-model");
  auto one = client_->Get("/v1/models/fake-model");
  ASSERT_TRUE(one);
  EXPECT_EQ(json::parse(one->body)["id"], "fake-model");
  EXPECT_EQ(expect_error(client_->Get("/v1/models/other"), 404)["code"], "model_not_found");
}

TEST_F(ServerHttp, StreamOnTheWire) {
  start();
  auto r = post("/v1/chat/completions",
                chat({{"stream", true}, {"stream_options", {{"include_usage", true}}}, {"max_tokens", 2}}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  const std::string& b = r->body;
  EXPECT_EQ(b.rfind("data: ", 0), 0u);
  EXPECT_NE(b.find("\"role\":\"assistant\""), std::string::npos);
  EXPECT_NE(b.find("\"finish_reason\":\"length\""), std::string::npos);
  EXPECT_NE(b.find("\"choices\":[],"), std::string::npos);
  ASSERT_GE(b.size(), 14u);
  EXPECT_EQ(b.substr(b.size() - 14), "data: [DONE]\n\n");
}

TEST_F(ServerHttp, ErrorStatuses) {
  ServerOptions o;
  o.max_body_bytes = 2000;
  start(o);
  EXPECT_EQ(expect_error(client_->Get("/nope"), 404)["code"], "unknown_url");
  auto m405 = client_->Get("/v1/chat/completions");
  expect_error(m405, 405);
  EXPECT_EQ(m405->get_header_value("Allow"), "POST");
  expect_error(client_->Delete("/v1/models"), 405);
  expect_error(client_->Post("/health", "", "text/plain"), 405);
  expect_error(client_->Post("/v1/chat/completions", std::string(3000, ' '), "application/json"), 413);
  expect_error(client_->Post("/v1/chat/completions", "{not json", "application/json"), 400);
  expect_error(client_->Post("/v1/chat/completions", "{\"messages\": \"\xff\"}", "application/json"), 400);
  EXPECT_EQ(expect_error(post("/v1/chat/completions", chat({{"temperature", "x"}})), 400)["param"], "temperature");
  EXPECT_EQ(expect_error(post("/v1/chat/completions", chat({{"model", "gpt-4"}})), 404)["code"], "model_not_found");
  json ctx = expect_error(post("/v1/chat/completions", chat({{"max_tokens", 62}})), 400);   // 3 + 62 > 64
  EXPECT_EQ(ctx["code"], "context_length_exceeded");
  EXPECT_EQ(expect_error(post("/v1/completions", {{"prompt", json::array({2, 5000})}}), 400)["param"], "prompt");
  EXPECT_EQ(expect_error(post("/v1/chat/completions", chat({{"messages", {{{"role", "user"}}}}})), 400)["param"],
            "messages");

  state_.queue_full = true;
  auto busy = post("/v1/chat/completions", chat());
  expect_error(busy, 429);
  EXPECT_EQ(busy->get_header_value("Retry-After"), "1");
  state_.queue_full = false;
  // One bad request never disturbs the next.
  auto ok = post("/v1/chat/completions", chat());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(ServerHttp, ApiKey) {
  ServerOptions o;
  o.api_key = "sekret";
  start(o);
  EXPECT_EQ(expect_error(post("/v1/chat/completions", chat()), 401)["code"], "invalid_api_key");
  expect_error(post("/v1/chat/completions", chat(), {{"Authorization", "Bearer wrong"}}), 401);
  expect_error(client_->Get("/v1/models", {{"Authorization", "sekret"}}), 401);
  auto r = post("/v1/chat/completions", chat(), {{"Authorization", "Bearer sekret"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto h = client_->Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

TEST_F(ServerHttp, VanishedStreamingClientIsCancelled) {
  start();
  state_.token_delay = std::chrono::milliseconds(5);
  std::string body = chat({{"stream", true}, {"max_tokens", 50}}).dump();
  std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  char buf[512];
  ASSERT_GT(::recv(fd, buf, sizeof(buf), 0), 0);   // headers and the first chunks arrived
  ::close(fd);
  for (int i = 0; i < 300 && state_.live > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(state_.live, 0);
  EXPECT_EQ(state_.cancelled, 1);
  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("gemma3_requests_running 0"), std::string::npos);
  EXPECT_NE(metrics->body.find("gemma3_http_streams_active 0"), std::string::npos);
}

TEST_F(ServerHttp, ConcurrentStreams) {
  start();
  state_.token_delay = std::chrono::milliseconds(2);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      // httplib's client now and then reports a transport read error under load where Node's
      // fetch sees none (bench/load, e2e); retry those, so only server answers are judged here.
      for (int attempt = 0; attempt < 3; ++attempt) {
        httplib::Client c("127.0.0.1", server_->port());
        auto r = c.Post("/v1/chat/completions", chat({{"stream", true}, {"max_tokens", 10}}).dump(), "application/json");
        if (!r) continue;
        if (r->status == 200 && r->body.find("t9 ") != std::string::npos &&
            r->body.find("data: [DONE]") != std::string::npos) {
          ++ok;
        }
        break;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 16);
  // The server drops a stream just after its last byte went out: allow it a moment.
  for (int i = 0; i < 200 && state_.live > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(state_.live, 0);
}

}  // namespace
}  // namespace gemma3
