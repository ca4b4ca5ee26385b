#include "server/generation_exchange.h"

#include <atomic>

#include "server/response_builder.h"

namespace gemma3 {

namespace {

using Clock = ApiContext::Clock;
using std::chrono::milliseconds;

// A notifying stream's tick only checks for a silent client; a polled one also looks for output.
constexpr milliseconds kNotifiedTick(1000);
constexpr milliseconds kPollTick(5);
constexpr milliseconds kKeepAliveAfter(1000);

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(ApiContext& ctx, std::unique_ptr<GenerationSession> session, bool stream, RequestLog log,
           Clock::time_point start, std::shared_ptr<Responder> responder)
      : ctx_(ctx),
        session_(std::move(session)),
        stream_(stream),
        log_(std::move(log)),
        start_(start),
        responder_(std::move(responder)) {}

  // On the strand.
  void start() {
    std::weak_ptr<Exchange> weak = weak_from_this();
    responder_->on_abort([weak](AbortReason reason) {
      if (auto self = weak.lock()) self->on_abort(reason);
    });
    // The engine thread calls this after each delta: no lock on the exchange there (the last
    // reference must never drop on the engine thread), only a coalesced post onto the strand.
    auto pending = wake_pending_;
    std::shared_ptr<Responder> responder = responder_;
    polled_ = !session_->set_notify([weak, pending, responder] {
      if (pending->exchange(true)) return;
      responder->post([weak, pending] {
        pending->store(false);
        if (auto self = weak.lock()) self->drive();
      });
    });
    if (stream_) {
      ctx_.metrics().stream_opened();
      HttpResponse head;
      head.status = 200;
      head.content_type = "text/event-stream";
      head.headers = {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
      responder_->begin_stream(std::move(head));
      last_write_ = Clock::now();
    }
    drive();
    tick();
  }

 private:
  // Takes what is ready and writes it; never blocks.
  void drive() {
    if (done_) return;
    if (!stream_) {
      auto result = session_->try_collect();
      if (!result) return;
      note_usage();
      if (!result->ok()) return finish_with_error(result->error());
      responder_->send(ApiContext::json_response(result->value()));
      return finish(200);
    }
    if (writing_) return;   // the write's completion drives again
    std::string out;
    const bool more = session_->pump(&out, milliseconds(0));
    if (out.empty() && more) return;
    write(std::move(out), !more);
  }

  void write(std::string bytes, bool last) {
    writing_ = true;
    last_write_ = Clock::now();
    responder_->write(std::move(bytes), [self = shared_from_this(), last](bool ok) {
      self->writing_ = false;
      if (self->done_) return;   // aborted meanwhile: the abort wrote the end
      if (!ok) return self->on_abort(AbortReason::kClientGone);
      if (last) {
        self->responder_->end_stream();
        return self->finish(200);
      }
      self->drive();
    });
  }

  // Keeps the exchange alive (the pending timer owns it) and the stream's client checked.
  void tick() {
    if (done_) return;
    responder_->post_after(polled_ ? kPollTick : kNotifiedTick, [self = shared_from_this()] {
      if (self->done_) return;
      if (self->polled_) self->drive();
      if (self->stream_ && !self->done_ && !self->writing_ && Clock::now() - self->last_write_ >= kKeepAliveAfter) {
        self->write(std::string(kSseKeepAlive), false);
      }
      self->tick();
    });
  }

  void on_abort(AbortReason reason) {
    if (done_) return;
    if (reason == AbortReason::kShutdown) {
      if (!stream_) {
        session_->cancel();
        note_usage();
        return finish_with_error(GenerationSession::ended_early_error());
      }
      // The last words of a stream: the error event and [DONE], then the end.
      std::string bytes = session_->abort_stream();
      note_usage();
      responder_->write(std::move(bytes), nullptr);
      responder_->end_stream();
      return finish(200);
    }
    log_.client_gone = !session_->complete();
    session_->cancel();
    note_usage();
    finish(stream_ ? 200 : 499);
  }

  void note_usage() {
    log_.completion_tokens = session_->usage().completion_tokens;
    log_.ttft_ms = session_->ttft_ms();
  }

  void finish_with_error(const ApiError& e) {
    responder_->send(ApiContext::error_response(e));
    finish(e.status);
  }

  void finish(int status) {
    if (done_) return;
    done_ = true;
    if (stream_) ctx_.metrics().stream_closed();
    ctx_.finish(log_, status, start_);
    // Release the engine's handles now, on this strand, not whenever the last closure goes.
    session_->set_notify(nullptr);
    session_.reset();
  }

  ApiContext& ctx_;
  std::unique_ptr<GenerationSession> session_;
  const bool stream_;
  RequestLog log_;
  const Clock::time_point start_;
  std::shared_ptr<Responder> responder_;
  std::shared_ptr<std::atomic<bool>> wake_pending_ = std::make_shared<std::atomic<bool>>(false);
  bool polled_ = false;
  bool writing_ = false;
  bool done_ = false;
  Clock::time_point last_write_;
};

}  // namespace

void run_generation_exchange(ApiContext& ctx, std::unique_ptr<GenerationSession> session, bool stream,
                             RequestLog log, Clock::time_point start, std::shared_ptr<Responder> responder) {
  auto exchange = std::make_shared<Exchange>(ctx, std::move(session), stream, std::move(log), start, responder);
  responder->post([exchange] { exchange->start(); });
}

}  // namespace gemma3
