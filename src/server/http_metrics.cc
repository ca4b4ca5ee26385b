#include "server/http_metrics.h"

#include <cstdio>
#include <sstream>

namespace gemma3 {

std::string route_label(const std::string& path) {
  static const char* const kKnown[] = {"/v1/chat/completions", "/v1/completions", "/v1/models", "/health", "/metrics"};
  for (const char* known : kKnown) {
    if (path == known) return known;
  }
  if (path.rfind("/v1/models/", 0) == 0) return "/v1/models/{id}";
  return "other";
}

void HttpMetrics::finish(const RequestLog& e, bool log) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_[{route_label(e.route), e.status}];
    if (e.client_gone) ++client_disconnects_;
  }
  if (!log) return;
  char ttft[32] = "-";
  if (e.ttft_ms) std::snprintf(ttft, sizeof(ttft), "%.1f", *e.ttft_ms);
  // One fprintf per line: stderr is unbuffered, and a single call keeps lines from interleaving.
  std::fprintf(stderr,
               "[http] id=%s %s %s status=%d stream=%d prompt_tokens=%lld completion_tokens=%lld ttft_ms=%s "
               "duration_ms=%.1f%s\n",
               e.id.c_str(), e.method.c_str(), e.route.c_str(), e.status, e.stream ? 1 : 0,
               static_cast<long long>(e.prompt_tokens), static_cast<long long>(e.completion_tokens), ttft,
               e.duration_ms, e.client_gone ? " client_gone=1" : "");
}

void HttpMetrics::stream_opened() {
  std::lock_guard<std::mutex> lock(mu_);
  ++streams_active_;
}

void HttpMetrics::stream_closed() {
  std::lock_guard<std::mutex> lock(mu_);
  --streams_active_;
}

std::string HttpMetrics::prometheus() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream out;
  out << "# HELP gemma3_http_requests_total HTTP requests answered, by route and status.\n"
      << "# TYPE gemma3_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out << "gemma3_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second << "\"} " << count
        << "\n";
  }
  out << "# HELP gemma3_http_streams_active SSE streams being written.\n"
      << "# TYPE gemma3_http_streams_active gauge\n"
      << "gemma3_http_streams_active " << streams_active_ << "\n"
      << "# HELP gemma3_http_client_disconnects_total Streams whose client went away before the end.\n"
      << "# TYPE gemma3_http_client_disconnects_total counter\n"
      << "gemma3_http_client_disconnects_total " << client_disconnects_ << "\n";
  return out.str();
}

}  // namespace gemma3
