#include "server/http_connection.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>

namespace gemma3::http_detail {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

// An idle wait reads at most this much; the parser then grows the buffer for long headers.
constexpr size_t kIdleReadBytes = 1024;
// After an error response, unread request bytes are drained this long before closing: closing a
// socket with unread input sends RST, which can destroy the response before the client reads it.
constexpr std::chrono::milliseconds kLingerTime(2000);
// A buffer that grew for a big request is given back once idle.
constexpr size_t kKeepBufferBytes = 16u << 10;

std::string chunk_frame(const std::string& bytes) {
  char size[24];
  std::snprintf(size, sizeof(size), "%zx\r\n", bytes.size());
  std::string out;
  out.reserve(bytes.size() + 32);
  out += size;
  out += bytes;
  out += "\r\n";
  return out;
}

// The path without its query, percent-decoded ("%2F" too: no route matches on raw slashes).
std::string decode_path(std::string_view target, std::string* query) {
  const size_t q = target.find('?');
  if (q != std::string_view::npos) *query = std::string(target.substr(q + 1));
  std::string_view raw = target.substr(0, q);
  std::string out;
  out.reserve(raw.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size() && hex(raw[i + 1]) >= 0 && hex(raw[i + 2]) >= 0) {
      out += static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
      i += 2;
    } else {
      out += raw[i];
    }
  }
  return out;
}

}  // namespace

Connection::Connection(TransportCore& core, asio::ip::tcp::socket socket, bool reject)
    : core_(core),
      socket_(std::move(socket)),
      executor_(socket_.get_executor()),
      read_timer_(executor_),
      write_timer_(executor_),
      reject_(reject) {}

void Connection::start() {
  if (reject_) {
    keep_alive_ = false;
    exchange_open_ = true;
    return reply_error(503, "too many connections", /*close=*/true);
  }
  next_request();
}

// ---- reading -------------------------------------------------------------------------------

void Connection::next_request() {
  state_ = State::kIdle;
  if (core_.draining) return close_now();
  if (buffer_.size() > 0) return read_header();   // pipelined, or arrived during the last exchange
  if (!read_pending_ && buffer_.capacity() > kKeepBufferBytes) buffer_.shrink_to_fit();
  // The first request of a connection gets the header deadline; later ones the keep-alive one.
  arm_read(first_request_ ? core_.options.header_timeout : core_.options.keep_alive_timeout);
  if (!read_pending_) read_some();
}

void Connection::read_some() {
  read_pending_ = true;
  socket_.async_read_some(buffer_.prepare(kIdleReadBytes),
                          [self = shared_from_this()](const error_code& ec, size_t n) { self->on_read_some(ec, n); });
}

// The same read serves two purposes: waiting for a request's first byte (kIdle), and watching the
// peer while its exchange is handled (kHandling), so a client that leaves is noticed at once.
void Connection::on_read_some(const error_code& ec, size_t n) {
  read_pending_ = false;
  if (state_ == State::kClosed) return;
  if (state_ == State::kLinger) {
    if (ec) return close_now();
    buffer_.consume(buffer_.size());
    return read_some();
  }
  if (ec) return close_now();   // EOF or reset: an open exchange is aborted (kClientGone)
  buffer_.commit(n);
  if (state_ == State::kIdle) read_header();
  // kHandling: bytes of a next (pipelined) request; parsed after this exchange.
}

void Connection::read_header() {
  state_ = State::kHeader;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(core_.options.max_header_bytes));
  parser_->body_limit(core_.options.max_body_bytes);
  arm_read(core_.options.header_timeout);
  http::async_read_header(socket_, buffer_, *parser_,
                          [self = shared_from_this()](const error_code& ec, size_t) { self->on_header(ec); });
}

void Connection::on_header(const error_code& ec) {
  if (state_ == State::kClosed) return;
  first_request_ = false;
  if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted) return close_now();
  if (ec == http::error::body_limit) return reply_error(413, "", true);
  if (ec == http::error::header_limit) return reply_error(431, "", true);
  if (ec) {
    if (!parser_->got_some()) return close_now();
    return reply_error(400, "Malformed HTTP request.", true);
  }
  auto& msg = parser_->get();
  // curl and others wait for this before sending a body (they send anyway after a second).
  if (boost::beast::iequals(msg[http::field::expect], "100-continue") && !parser_->is_done()) {
    enqueue("HTTP/1.1 100 Continue\r\n\r\n", nullptr, false);
  }
  state_ = State::kBody;
  arm_read(core_.options.body_timeout);
  http::async_read(socket_, buffer_, *parser_,
                   [self = shared_from_this()](const error_code& ec, size_t) { self->on_body(ec); });
}

void Connection::on_body(const error_code& ec) {
  if (state_ == State::kClosed) return;
  disarm_read();
  if (ec == http::error::body_limit) return reply_error(413, "", true);
  if (ec == asio::error::operation_aborted || ec == http::error::partial_message || ec == asio::error::eof ||
      ec == asio::error::connection_reset) {
    return close_now();
  }
  if (ec) return reply_error(400, "Malformed HTTP request.", true);
  dispatch();
}

// ---- handling ------------------------------------------------------------------------------

void Connection::dispatch() {
  auto msg = parser_->release();
  parser_.reset();
  HttpRequest request;
  request.method = std::string(msg.method_string());
  request.target = std::string(msg.target());
  request.path = decode_path(request.target, &request.query);
  for (const auto& field : msg) request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  request.body = std::move(msg.body());

  ++exchange_id_;
  exchange_open_ = true;
  responded_ = chunked_ = aborted_ = false;
  abort_reason_.reset();
  abort_fn_ = nullptr;
  head_only_ = request.method == "HEAD";
  keep_alive_ = msg.keep_alive() && !core_.draining;
  chunked_ = msg.version() >= 11;
  request_meta_ = request;
  request_meta_.body.clear();
  state_ = State::kHandling;
  // Watch the peer while the handler works (see on_read_some).
  if (!read_pending_ && buffer_.size() == 0) read_some();

  if (core_.draining) return reply_error(503, "shutting down", true);
  Router::Match m = core_.router.match(request.method, request.path);
  if (!m.route) return reply_error(m.allowed.empty() ? 404 : 405, m.allowed, false);
  request.route_rest = std::move(m.rest);
  run_handler(*m.route, std::move(request));
}

// The Responder lent to one exchange: forwards to the connection's strand, tagged with the
// exchange id so a late call after the connection moved on is ignored.
class ExchangeResponder final : public Responder {
 public:
  ExchangeResponder(std::shared_ptr<Connection> c, uint64_t id) : conn_(std::move(c)), id_(id) {}
  void send(HttpResponse r) override {
    post([c = conn_, id = id_, r = std::move(r)]() mutable { c->respond(id, std::move(r)); });
  }
  void begin_stream(HttpResponse h) override {
    post([c = conn_, id = id_, h = std::move(h)]() mutable { c->begin_stream(id, std::move(h)); });
  }
  void write(std::string bytes, std::function<void(bool)> done) override {
    post([c = conn_, id = id_, b = std::move(bytes), d = std::move(done)]() mutable {
      c->write_chunk(id, std::move(b), std::move(d));
    });
  }
  void end_stream() override {
    post([c = conn_, id = id_] { c->end_stream(id); });
  }
  void post(std::function<void()> fn) override { asio::post(conn_->executor(), std::move(fn)); }
  void post_after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    auto timer = std::make_shared<asio::steady_timer>(conn_->executor(), delay);
    timer->async_wait([timer, fn = std::move(fn)](const error_code&) { fn(); });
  }
  void on_abort(std::function<void(AbortReason)> fn) override {
    post([c = conn_, id = id_, fn = std::move(fn)]() mutable { c->set_abort(id, std::move(fn)); });
  }

 private:
  std::shared_ptr<Connection> conn_;
  const uint64_t id_;
};

void Connection::run_handler(const Route& route, HttpRequest request) {
  auto responder = std::make_shared<ExchangeResponder>(shared_from_this(), exchange_id_);
  auto call = [&core = core_, handler = &route.handler, responder](HttpRequest& req) {
    // Handlers do not throw by design; this is the net for bad_alloc and bugs, never a crash.
    try {
      (*handler)(req, responder);
    } catch (const std::exception& e) {
      responder->send(core.on_error(req, 500, e.what()));
    } catch (...) {
      responder->send(core.on_error(req, 500, "unknown exception"));
    }
  };
  if (route.exec == RouteExec::kInline) return call(request);
  asio::post(*core_.workers, [call, req = std::move(request)]() mutable { call(req); });
}

void Connection::set_abort(uint64_t id, std::function<void(AbortReason)> fn) {
  if (id != exchange_id_) return;
  // Aborted before the handler asked (the client left while its request was being prepared).
  if (aborted_ && abort_reason_) {
    const AbortReason r = *abort_reason_;
    return asio::post(executor_, [fn = std::move(fn), r] { fn(r); });
  }
  if (exchange_open_) abort_fn_ = std::move(fn);
}

void Connection::abort_exchange(AbortReason reason) {
  if (!exchange_open_ || aborted_) return;
  aborted_ = true;
  abort_reason_ = reason;
  if (auto fn = std::move(abort_fn_)) fn(reason);
}

// ---- writing -------------------------------------------------------------------------------

std::string Connection::head_bytes(const HttpResponse& r, bool chunked, size_t content_length) const {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " ";
  out += std::string(http::obsolete_reason(http::int_to_status(static_cast<unsigned>(r.status))));
  out += "\r\n";
  auto add = [&out](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
  };
  for (const auto& [name, value] : core_.options.default_headers) add(name, value);
  if (!r.content_type.empty()) add("Content-Type", r.content_type);
  for (const auto& [name, value] : r.headers) add(name, value);
  if (chunked) {
    add("Transfer-Encoding", "chunked");
  } else if (r.status != 304 && r.status >= 200) {
    add("Content-Length", std::to_string(content_length));
  }
  add("Connection", keep_alive_ ? "keep-alive" : "close");
  out += "\r\n";
  return out;
}

void Connection::respond(uint64_t id, HttpResponse r) {
  if (id != exchange_id_ || !exchange_open_ || responded_ || state_ == State::kClosed) return;
  responded_ = true;
  if (core_.draining) keep_alive_ = false;
  std::string bytes = head_bytes(r, false, r.body.size());
  if (!head_only_ && r.status != 304) bytes += r.body;
  enqueue(std::move(bytes), nullptr, /*last=*/true);
}

void Connection::begin_stream(uint64_t id, HttpResponse head) {
  if (id != exchange_id_ || !exchange_open_ || responded_ || state_ == State::kClosed) return;
  responded_ = true;
  // HTTP/1.0 has no chunked framing: the stream ends when the connection does.
  if (!chunked_) keep_alive_ = false;
  if (core_.draining) keep_alive_ = false;
  enqueue(head_bytes(head, chunked_, 0), nullptr, false);
}

void Connection::write_chunk(uint64_t id, std::string bytes, std::function<void(bool)> on_written) {
  const bool live = id == exchange_id_ && exchange_open_ && responded_ && state_ != State::kClosed;
  if (!live || bytes.empty() || head_only_) {
    if (on_written) asio::post(executor_, [f = std::move(on_written), live] { f(live); });
    return;
  }
  enqueue(chunked_ ? chunk_frame(bytes) : std::move(bytes), std::move(on_written), false);
}

void Connection::end_stream(uint64_t id) {
  if (id != exchange_id_ || !exchange_open_ || !responded_ || state_ == State::kClosed) return;
  enqueue(chunked_ && !head_only_ ? "0\r\n\r\n" : "", nullptr, /*last=*/true);
}

void Connection::enqueue(std::string bytes, std::function<void(bool)> on_written, bool last) {
  out_.push_back({std::move(bytes), std::move(on_written), last});
  do_write();
}

void Connection::do_write() {
  if (writing_ || out_.empty() || state_ == State::kClosed) return;
  writing_ = true;
  arm_write();
  asio::async_write(socket_, asio::buffer(out_.front().bytes),
                    [self = shared_from_this()](const error_code& ec, size_t) { self->on_written(ec); });
}

void Connection::on_written(const error_code& ec) {
  writing_ = false;
  disarm_write();
  if (state_ == State::kClosed || out_.empty()) return;
  Outgoing item = std::move(out_.front());
  out_.pop_front();
  if (ec) {
    if (item.on_written) item.on_written(false);
    return close_now();
  }
  if (item.on_written) item.on_written(true);
  if (item.last) return finish_exchange();
  do_write();
}

void Connection::finish_exchange() {
  exchange_open_ = false;
  abort_fn_ = nullptr;
  request_meta_ = HttpRequest();
  if (!keep_alive_) return linger_close();
  next_request();
}

void Connection::reply_error(int status, const std::string& detail, bool close) {
  if (close) keep_alive_ = false;
  if (!exchange_open_) {
    ++exchange_id_;
    exchange_open_ = true;
    responded_ = false;
    head_only_ = false;
    request_meta_ = HttpRequest();
    if (parser_ && parser_->is_header_done()) {
      request_meta_.method = std::string(parser_->get().method_string());
      request_meta_.target = std::string(parser_->get().target());
      request_meta_.path = decode_path(request_meta_.target, &request_meta_.query);
    }
  }
  disarm_read();
  state_ = State::kHandling;
  respond(exchange_id_, core_.on_error(request_meta_, status, detail));
}

// ---- closing -------------------------------------------------------------------------------

// Half-close, then drain what the client still sends for a moment (see kLingerTime).
void Connection::linger_close() {
  if (state_ == State::kClosed) return;
  state_ = State::kLinger;
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  arm_read(kLingerTime);
  if (!read_pending_) read_some();
}

void Connection::on_drain() {
  if (state_ == State::kIdle) close_now();
  // Mid-request connections are answered 503 when their request completes (dispatch);
  // exchanges in flight finish, then close (keep_alive_ is off while draining).
}

void Connection::on_force() {
  if (exchange_open_ && !aborted_ && abort_fn_) return abort_exchange(AbortReason::kShutdown);
  close_now();
}

void Connection::close_now() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  disarm_read();
  disarm_write();
  error_code ignored;
  socket_.close(ignored);
  abort_exchange(AbortReason::kClientGone);
  abort_fn_ = nullptr;
  for (Outgoing& o : out_) {
    if (o.on_written) o.on_written(false);
  }
  out_.clear();
  exchange_open_ = false;
  core_.remove(this);
}

// ---- deadlines -----------------------------------------------------------------------------

void Connection::arm_read(std::chrono::milliseconds after) {
  const uint64_t gen = ++read_gen_;
  read_timer_.expires_after(after);
  read_timer_.async_wait([self = shared_from_this(), gen](const error_code& ec) {
    if (ec || gen != self->read_gen_) return;
    self->close_now();   // a slow or silent client: its read is over
  });
}

void Connection::disarm_read() {
  ++read_gen_;
  read_timer_.cancel();
}

void Connection::arm_write() {
  const uint64_t gen = ++write_gen_;
  write_timer_.expires_after(core_.options.write_timeout);
  write_timer_.async_wait([self = shared_from_this(), gen](const error_code& ec) {
    if (ec || gen != self->write_gen_) return;
    self->close_now();   // a client that stopped reading
  });
}

void Connection::disarm_write() {
  ++write_gen_;
  write_timer_.cancel();
}

}  // namespace gemma3::http_detail
