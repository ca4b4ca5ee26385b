// The event-driven HTTP layer: the router's matching rules; idle and slow connections that cost
// no thread (a chat still answers, /health stays fast); header, keep-alive and connection limits;
// engine notifications (RequestChannel::set_notify) driving a stream with no polling; a
// non-streaming client that leaves cancels its request; graceful shutdown (finish within the
// deadline, else a final error event).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <httplib.h>

#include <algorithm>
#include <future>

#include "engine/request_channel.h"
#include "fake_backend.h"
#include "server/http_server.h"
#include "server/http_transport.h"

namespace gemma3 {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// ---- router ----------------------------------------------------------------------------------

TEST(Router, ExactBeatsPrefixAndMethodsGive405) {
  Router r;
  int hit = 0;
  auto h = [&hit](int id) { return [&hit, id](HttpRequest&, std::shared_ptr<Responder>) { hit = id; }; };
  r.add("GET", "/v1/models", h(1));
  r.add_prefix("GET", "/v1/models/", h(2));
  r.add_prefix("GET", "/v1/", h(3));
  r.add("POST", "/v1/chat", h(4));
  r.add("GET", "/v1/chat", h(5));

  auto m = r.match("GET", "/v1/models");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->path, "/v1/models");
  m = r.match("GET", "/v1/models/abc/d");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->path, "/v1/models/");   // the longer prefix
  EXPECT_EQ(m.rest, "abc/d");
  m = r.match("GET", "/v1/other");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.rest, "other");
  m = r.match("HEAD", "/v1/chat");   // HEAD is served by GET
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->method, "GET");
  m = r.match("DELETE", "/v1/chat");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allowed, "POST, GET");
  m = r.match("POST", "/v1/models");   // an exact path owns its methods: no fall-through to a prefix
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allowed, "GET");
  m = r.match("GET", "/nope");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allowed, "");
  m = r.match("GET", "/v1/models/");   // a prefix needs something after it
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->path, "/v1/");
}

// ---- raw sockets -----------------------------------------------------------------------------

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& s) {
  return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
}

// Reads until the peer closes or `limit` passes; returns what arrived.
std::string read_until_close(int fd, milliseconds limit, bool* closed) {
  std::string out;
  const auto end = Clock::now() + limit;
  *closed = false;
  while (Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    const int left = static_cast<int>(std::chrono::duration_cast<milliseconds>(end - Clock::now()).count());
    if (::poll(&p, 1, std::max(1, left)) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      *closed = true;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string post_request(const std::string& path, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

json chat(json extra = json::object()) {
  json body = {{"model", "fake-model"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"max_tokens", 3}};
  for (auto it = extra.begin(); it != extra.end(); ++it) body[it.key()] = it.value();
  return body;
}

class ServerAsync : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}, ServingBackend* backend = nullptr) {
    ignore_sigpipe();
    raise_open_file_limit();
    options.host = "127.0.0.1";
    options.port = 0;
    options.log_requests = getenv("SERVER_TEST_LOG") != nullptr;
    server_ = std::make_unique<HttpServer>(options);
    ASSERT_TRUE(server_->start().ok());
    server_->set_backend(backend ? backend : &backend_);
  }
  void TearDown() override {
    for (int fd : fds_) ::close(fd);
    if (server_) server_->stop();
  }
  int open_fd() {
    int fd = connect_to(server_->port());
    if (fd >= 0) fds_.push_back(fd);
    return fd;
  }
  std::unique_ptr<httplib::Client> client() {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    c->set_read_timeout(10);
    return c;
  }

  fake::FakeState state_;
  fake::FakeBackend backend_{state_};
  std::unique_ptr<HttpServer> server_;
  std::vector<int> fds_;
};

TEST_F(ServerAsync, IdleAndSlowConnectionsHoldNoThread) {
  ServerOptions o;
  o.io_threads = 2;
  o.worker_threads = 2;
  start(o);
  // 300 idle connections and 60 that send their headers a few bytes at a time: with a thread per
  // connection these would take 360 threads; here two I/O threads serve them all.
  for (int i = 0; i < 300; ++i) ASSERT_GE(open_fd(), 0) << i;
  std::vector<int> slow;
  for (int i = 0; i < 60; ++i) {
    int fd = open_fd();
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_all(fd, "POST /v1/chat/completions HTTP/1.1\r\nHo"));
    slow.push_back(fd);
  }
  for (int fd : slow) send_all(fd, "st: x\r\n");
  auto c = client();
  std::vector<double> health_ms;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = Clock::now();
    auto h = c->Get("/health");
    health_ms.push_back(ms_since(t0));
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200);
  }
  std::sort(health_ms.begin(), health_ms.end());
  EXPECT_LT(health_ms[2], 100.0);   // the median: one scheduling hiccup of a shared machine is not the server
  const auto t1 = Clock::now();
  auto r = c->Post("/v1/chat/completions", chat().dump(), "application/json");
  const double chat_ms = ms_since(t1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_LT(chat_ms, 1000.0);
  EXPECT_GE(server_->open_connections(), 360u);
}

TEST_F(ServerAsync, HeaderAndKeepAliveDeadlinesCloseConnections) {
  ServerOptions o;
  o.header_timeout = milliseconds(300);
  o.keep_alive_timeout = milliseconds(300);
  start(o);
  // Headers that never finish: closed after the header deadline, without a response.
  int slow = open_fd();
  ASSERT_TRUE(send_all(slow, "GET /health HTTP/1.1\r\nHost: x\r\n"));
  bool closed = false;
  const auto t0 = Clock::now();
  std::string got = read_until_close(slow, milliseconds(3000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_LT(ms_since(t0), 2000.0);
  EXPECT_EQ(got, "");
  // A kept-alive connection: answered, then closed once idle past the keep-alive deadline.
  int idle = open_fd();
  ASSERT_TRUE(send_all(idle, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  got = read_until_close(idle, milliseconds(3000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_NE(got.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_NE(got.find("Connection: keep-alive"), std::string::npos);
}

TEST_F(ServerAsync, MalformedAndOversizedHeadersAreAnsweredNotDropped) {
  start();
  int fd = open_fd();
  ASSERT_TRUE(send_all(fd, "BLAH\r\n\r\n"));
  bool closed = false;
  std::string got = read_until_close(fd, milliseconds(3000), &closed);
  EXPECT_NE(got.find("HTTP/1.1 400"), std::string::npos) << got;
  EXPECT_NE(got.find("\"error\""), std::string::npos);
  EXPECT_TRUE(closed);

  fd = open_fd();
  ASSERT_TRUE(send_all(fd, "GET /health HTTP/1.1\r\nX-Big: " + std::string(100000, 'a') + "\r\n\r\n"));
  got = read_until_close(fd, milliseconds(3000), &closed);
  EXPECT_NE(got.find("HTTP/1.1 431"), std::string::npos) << got.substr(0, 200);

  // Pipelined requests on one connection are answered in order.
  fd = open_fd();
  ASSERT_TRUE(send_all(fd, "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  got = read_until_close(fd, milliseconds(3000), &closed);
  const size_t ok = got.find("HTTP/1.1 200"), missing = got.find("HTTP/1.1 404");
  EXPECT_NE(ok, std::string::npos);
  EXPECT_NE(missing, std::string::npos);
  EXPECT_LT(ok, missing);
  EXPECT_TRUE(closed);
}

TEST_F(ServerAsync, ConnectionLimitAnswers503) {
  ServerOptions o;
  o.max_connections = 5;
  start(o);
  for (int i = 0; i < 5; ++i) ASSERT_GE(open_fd(), 0);
  for (int i = 0; i < 100 && server_->open_connections() < 5; ++i) std::this_thread::sleep_for(milliseconds(10));
  int extra = open_fd();
  bool closed = false;
  std::string got = read_until_close(extra, milliseconds(3000), &closed);
  EXPECT_NE(got.find("HTTP/1.1 503"), std::string::npos) << got;
  EXPECT_NE(got.find("Retry-After: 1"), std::string::npos);
  EXPECT_NE(got.find("too_many_connections"), std::string::npos);
  EXPECT_TRUE(closed);
}

TEST_F(ServerAsync, NonStreamingClientThatLeavesIsCancelled) {
  start();
  state_.token_delay = milliseconds(20);
  int fd = open_fd();
  ASSERT_TRUE(send_all(fd, post_request("/v1/chat/completions", chat({{"max_tokens", 50}}).dump())));
  for (int i = 0; i < 200 && state_.live == 0; ++i) std::this_thread::sleep_for(milliseconds(5));
  ASSERT_EQ(state_.live, 1);
  ::close(fd);
  fds_.clear();
  for (int i = 0; i < 300 && state_.live > 0; ++i) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_EQ(state_.live, 0);
  EXPECT_EQ(state_.cancelled, 1);
}

// A backend whose streams are real RequestChannels fed by a producer thread, as the engine feeds
// them: the server must be woken by the channel's notification, not by polling.
class ChannelBackend final : public ServingBackend {
 public:
  explicit ChannelBackend(milliseconds delay) : delay_(delay) {
    model_.id = "fake-model";
    model_.context_length = 4096;
    model_.vocab_size = 1000;
  }
  ~ChannelBackend() override {
    stop_ = true;
    for (auto& t : producers_) t.join();
  }
  const ModelInfo& model() const override { return model_; }
  Result<std::vector<int32_t>> chat_prompt(const nlohmann::json&) const override { return std::vector<int32_t>{2, 3}; }
  std::vector<int32_t> text_prompt(const std::string&) const override { return {2, 3}; }
  Status validate_sampling(const SamplingParams&) const override { return ok_status(); }
  std::string metrics_prometheus() const override { return ""; }

  std::variant<std::unique_ptr<TokenStream>, SubmitError> submit(GenerationRequest request) override {
    auto channel = std::make_shared<detail::RequestChannel>("r");
    const int32_t n = request.max_tokens;
    producers_.emplace_back([this, channel, n] {
      for (int32_t i = 0; i < n && !stop_ && !channel->cancelled(); ++i) {
        std::this_thread::sleep_for(delay_);
        OutputDelta d;
        d.text = "w" + std::to_string(i) + " ";
        d.completion_tokens = i + 1;
        if (i + 1 == n) d.finish = FinishReason::kLength;
        channel->push(std::move(d));
      }
      channel->close();
    });
    return std::make_unique<Stream>(std::make_shared<RequestHandle>(channel), &next_calls_);
  }

  std::atomic<int> next_calls_{0};

 private:
  class Stream final : public TokenStream {
   public:
    Stream(std::shared_ptr<RequestHandle> h, std::atomic<int>* calls) : handle_(std::move(h)), calls_(calls) {}
    bool next(OutputDelta* out, milliseconds timeout, bool* timed_out) override {
      ++*calls_;
      return handle_->next(out, timeout, timed_out);
    }
    void cancel() override { handle_->cancel(); }
    bool set_notify(std::function<void()> fn) override {
      handle_->set_notify(std::move(fn));
      return true;
    }

   private:
    std::shared_ptr<RequestHandle> handle_;
    std::atomic<int>* calls_;
  };

  const milliseconds delay_;
  ModelInfo model_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> producers_;
};

TEST_F(ServerAsync, EngineNotificationsDriveStreamsWithoutPolling) {
  ChannelBackend backend(milliseconds(30));
  start({}, &backend);
  auto c = client();
  auto r = c->Post("/v1/chat/completions", chat({{"stream", true}, {"max_tokens", 8}}).dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  for (int i = 0; i < 8; ++i) EXPECT_NE(r->body.find("w" + std::to_string(i) + " "), std::string::npos) << i;
  EXPECT_EQ(r->body.substr(r->body.size() - 14), "data: [DONE]\n\n");
  // 8 deltas over ~240 ms: polling every 5 ms would read the stream ~100 times; woken reads take
  // a few per delta (the delta, then the empty reads that find nothing more).
  EXPECT_LE(backend.next_calls_.load(), 4 * 8 + 8);

  auto whole = c->Post("/v1/chat/completions", chat({{"max_tokens", 6}, {"n", 2}}).dump(), "application/json");
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->status, 200) << whole->body;
  json j = json::parse(whole->body);
  ASSERT_EQ(j["choices"].size(), 2u);
  EXPECT_EQ(j["choices"][1]["finish_reason"], "length");
  server_->stop();
}

TEST_F(ServerAsync, ShutdownFinishesInFlightWorkWithinTheDeadline) {
  start();
  state_.token_delay = milliseconds(50);
  // A short stream that finishes well within the deadline, and a long one that cannot.
  auto short_stream = std::async(std::launch::async, [this] {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10);
    return c.Post("/v1/chat/completions", chat({{"stream", true}, {"max_tokens", 5}}).dump(), "application/json");
  });
  auto long_stream = std::async(std::launch::async, [this] {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10);
    return c.Post("/v1/chat/completions", chat({{"stream", true}, {"max_tokens", 60}}).dump(), "application/json");
  });
  int idle = open_fd();
  for (int i = 0; i < 200 && state_.live < 2; ++i) std::this_thread::sleep_for(milliseconds(5));
  ASSERT_EQ(state_.live, 2);
  const auto t0 = Clock::now();
  EXPECT_FALSE(server_->shutdown(milliseconds(1000)));   // the short stream needs ~250 ms, the long one 3 s
  EXPECT_LT(ms_since(t0), 4000.0);
  EXPECT_LT(connect_to(server_->port()), 0);   // no longer accepting

  auto s = short_stream.get();
  ASSERT_TRUE(s);
  EXPECT_NE(s->body.find("\"finish_reason\":\"length\""), std::string::npos);
  EXPECT_EQ(s->body.find("shutting_down"), std::string::npos);
  auto l = long_stream.get();
  ASSERT_TRUE(l);
  EXPECT_NE(l->body.find("shutting_down"), std::string::npos) << l->body;
  EXPECT_EQ(l->body.substr(l->body.size() - 14), "data: [DONE]\n\n");
  bool closed = false;
  read_until_close(idle, milliseconds(1000), &closed);
  EXPECT_TRUE(closed);   // the idle connection was closed at once
  EXPECT_EQ(state_.live, 0);
}

}  // namespace
}  // namespace gemma3
