#include "server/http_transport.h"

#include <sys/resource.h>

#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "server/http_connection.h"

namespace gemma3 {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using http_detail::Connection;

namespace http_detail {

void TransportCore::add(const std::shared_ptr<Connection>& c) {
  std::lock_guard<std::mutex> lock(mu);
  open.emplace(c.get(), c);
}

void TransportCore::remove(Connection* c) {
  {
    std::lock_guard<std::mutex> lock(mu);
    open.erase(c);
  }
  changed.notify_all();
}

size_t TransportCore::count() const {
  std::lock_guard<std::mutex> lock(mu);
  return open.size();
}

}  // namespace http_detail

namespace {

// How long the exchanges aborted at the drain deadline get to write their last words.
constexpr std::chrono::milliseconds kAbortGrace(2000);
// After a failed accept (out of file descriptors, ...), wait before trying again.
constexpr std::chrono::milliseconds kAcceptRetry(50);

}  // namespace

struct HttpTransport::Impl : http_detail::TransportCore {
  using TransportCore::TransportCore;

  std::unique_ptr<asio::io_context> io = std::make_unique<asio::io_context>();
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::steady_timer> retry_timer;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  int port = 0;
  bool started = false;
  bool stopped = false;

  void accept_next() {
    acceptor->async_accept(asio::make_strand(*io), [this](const error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
      if (ec) {
        // EMFILE and the like: connections already open keep being served; try again shortly.
        retry_timer->expires_after(kAcceptRetry);
        retry_timer->async_wait([this](const error_code& e) {
          if (!e && acceptor->is_open()) accept_next();
        });
        return;
      }
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      const bool reject = count() >= options.max_connections;
      auto c = std::make_shared<Connection>(*this, std::move(socket), reject);
      add(c);
      asio::post(c->executor(), [c] { c->start(); });
      accept_next();
    });
  }

  // Runs `fn` on each open connection's strand.
  template <typename Fn>
  void for_each_connection(Fn fn) {
    std::vector<std::shared_ptr<Connection>> all;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (auto& [ptr, weak] : open) {
        if (auto c = weak.lock()) all.push_back(std::move(c));
      }
    }
    for (auto& c : all) asio::post(c->executor(), [c, fn] { fn(*c); });
  }

  bool wait_empty(std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mu);
    return changed.wait_for(lock, limit, [this] { return open.empty(); });
  }

  void close_acceptor() {
    asio::post(acceptor->get_executor(), [this] {
      error_code ignored;
      acceptor->close(ignored);
      retry_timer->cancel();
    });
  }
};

HttpTransport::HttpTransport(TransportOptions options, const Router& router, ErrorHook on_error)
    : impl_(std::make_shared<Impl>(std::move(options), router, std::move(on_error))) {}

HttpTransport::~HttpTransport() { stop(); }

Status HttpTransport::start() {
  Impl& s = *impl_;
  if (s.started) return make_error("server: already started");
  const std::string where = s.options.host + ":" + std::to_string(s.options.port);
  error_code ec;
  const auto address = asio::ip::make_address(s.options.host, ec);
  if (ec) return make_error("server: cannot bind " + where + " (not an IP address: " + ec.message() + ")");
  s.acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(*s.io));
  s.retry_timer = std::make_unique<asio::steady_timer>(s.acceptor->get_executor());
  const tcp::endpoint endpoint(address, static_cast<uint16_t>(s.options.port));
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  // A deep backlog: a burst of new connections waits in the kernel instead of seeing dropped SYNs.
  if (!ec) s.acceptor->listen(4096, ec);
  if (ec) return make_error("server: cannot bind " + where + " (" + ec.message() + ")");
  s.port = s.acceptor->local_endpoint().port();
  s.workers = std::make_unique<asio::thread_pool>(static_cast<size_t>(std::max(1, s.options.worker_threads)));
  s.work.emplace(s.io->get_executor());
  s.accept_next();
  for (int i = 0; i < std::max(1, s.options.io_threads); ++i) s.threads.emplace_back([&s] { s.io->run(); });
  s.started = true;
  return ok_status();
}

int HttpTransport::port() const { return impl_->port; }

bool HttpTransport::draining() const { return impl_->draining.load(); }

size_t HttpTransport::open_connections() const { return impl_->count(); }

bool HttpTransport::drain(std::chrono::milliseconds deadline) {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return true;
  s.draining = true;
  s.close_acceptor();
  s.for_each_connection([](Connection& c) { c.on_drain(); });
  bool clean = s.wait_empty(deadline);
  if (!clean) {
    s.for_each_connection([](Connection& c) { c.on_force(); });
    s.wait_empty(kAbortGrace);
  }
  stop();
  return clean;
}

void HttpTransport::stop() {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.draining = true;
  s.close_acceptor();
  s.for_each_connection([](Connection& c) { c.close_now(); });
  // Handlers still queued or running on the workers finish first (they only post to strands).
  s.workers->join();
  s.wait_empty(std::chrono::milliseconds(1000));
  s.work.reset();
  s.io->stop();
  for (std::thread& t : s.threads) t.join();
  s.threads.clear();
  // Destroying the context destroys the handlers it still holds, and with them the connections
  // and exchanges (and their engine streams), while the backend is still alive.
  s.retry_timer.reset();
  s.acceptor.reset();
  s.io.reset();
}

size_t raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<size_t>(limit.rlim_cur);
}

}  // namespace gemma3
