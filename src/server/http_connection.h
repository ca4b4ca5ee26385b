// Internal to the transport (http_transport.cc, http_connection.cc): one TCP connection's state
// machine and the Responder it lends each exchange. Not for handlers: they see http_exchange.h.
//
// Every member runs on the connection's strand (the socket's executor), so none needs a lock;
// Responder calls from other threads are posted there first.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/http_transport.h"

namespace gemma3::http_detail {

class Connection;

// What every connection shares: the options, the routes, the error hook, the worker pool and the
// registry of open connections (for drain and stop). Lives as long as the transport.
struct TransportCore {
  TransportCore(TransportOptions o, const Router& r, ErrorHook e)
      : options(std::move(o)), router(r), on_error(std::move(e)) {}

  const TransportOptions options;
  const Router& router;
  const ErrorHook on_error;
  std::unique_ptr<boost::asio::thread_pool> workers;   // RouteExec::kWorker handlers
  std::atomic<bool> draining{false};

  // Registry (http_transport.cc). Thread-safe.
  void add(const std::shared_ptr<Connection>& c);
  void remove(Connection* c);
  size_t count() const;

  mutable std::mutex mu;
  std::condition_variable changed;                                  // a connection closed
  std::unordered_map<Connection*, std::weak_ptr<Connection>> open;  // guarded by mu
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(TransportCore& core, boost::asio::ip::tcp::socket socket, bool reject);

  // Each of these is posted onto the strand by the caller.
  void start();
  void on_drain();       // the server stops: close if idle, else finish the exchange, then close
  void on_force();       // the drain deadline passed: abort the exchange (kShutdown) or close
  void close_now();      // immediate close; an open exchange sees kClientGone

  // The Responder's operations, on the strand, for exchange `id` (stale ids are ignored).
  void respond(uint64_t id, HttpResponse response);
  void begin_stream(uint64_t id, HttpResponse head);
  void write_chunk(uint64_t id, std::string bytes, std::function<void(bool)> on_written);
  void end_stream(uint64_t id);
  void set_abort(uint64_t id, std::function<void(AbortReason)> fn);

  const boost::asio::any_io_executor& executor() const { return executor_; }

 private:
  enum class State { kIdle, kHeader, kBody, kHandling, kLinger, kClosed };
  struct Outgoing {
    std::string bytes;
    std::function<void(bool)> on_written;
    bool last = false;   // the response's final bytes
  };

  void next_request();
  void read_some();
  void on_read_some(const boost::system::error_code& ec, size_t n);
  void read_header();
  void on_header(const boost::system::error_code& ec);
  void on_body(const boost::system::error_code& ec);
  void dispatch();
  void run_handler(const Route& route, HttpRequest request);
  void reply_error(int status, const std::string& detail, bool close);
  void enqueue(std::string bytes, std::function<void(bool)> on_written, bool last);
  void do_write();
  void on_written(const boost::system::error_code& ec);
  void finish_exchange();
  void abort_exchange(AbortReason reason);
  void linger_close();
  std::string head_bytes(const HttpResponse& r, bool chunked, size_t content_length) const;

  void arm_read(std::chrono::milliseconds after);
  void disarm_read();
  void arm_write();
  void disarm_write();

  TransportCore& core_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::any_io_executor executor_;
  boost::asio::steady_timer read_timer_, write_timer_;
  uint64_t read_gen_ = 0, write_gen_ = 0;   // a timer firing for an older generation is stale
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  State state_ = State::kIdle;
  bool reject_ = false;         // over the connection limit: answer 503 and close
  bool first_request_ = true;
  bool read_pending_ = false;   // an async_read_some (idle wait or peer watch) is outstanding
  bool writing_ = false;
  std::deque<Outgoing> out_;

  // The current exchange.
  uint64_t exchange_id_ = 0;
  bool exchange_open_ = false;
  bool responded_ = false;       // send() or begin_stream() happened
  bool chunked_ = false;         // the stream uses chunked framing (HTTP/1.1)
  bool head_only_ = false;       // HEAD: no body bytes
  bool keep_alive_ = false;
  bool aborted_ = false;
  std::optional<AbortReason> abort_reason_;
  std::function<void(AbortReason)> abort_fn_;
  HttpRequest request_meta_;     // method, path, headers of the exchange (body moved to the handler)
};

}  // namespace gemma3::http_detail
