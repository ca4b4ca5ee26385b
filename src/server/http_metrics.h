// HttpMetrics: HTTP-level counters appended to the engine's Prometheus text on /metrics, and the
// one-line-per-request log. Thread-safe (one mutex; a few increments per request).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace gemma3 {

struct RequestLog {
  std::string id = "-";          // response id once known
  std::string method, route;
  int status = 0;
  int64_t prompt_tokens = 0, completion_tokens = 0;
  std::optional<double> ttft_ms;
  double duration_ms = 0;
  bool stream = false;
  bool client_gone = false;      // the client disconnected before the stream ended
};

class HttpMetrics {
 public:
  // Counts the request and, when `log` is set, prints its line to stderr.
  void finish(const RequestLog& entry, bool log);
  void stream_opened();
  void stream_closed();
  std::string prometheus() const;   // gemma3_http_requests_total{route,status}, gemma3_http_streams_active, ...

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_;   // (route, status) -> count
  int64_t streams_active_ = 0;
  int64_t client_disconnects_ = 0;
};

// A route label for metrics: the known paths as they are, everything else "other" (bounded labels).
std::string route_label(const std::string& path);

}  // namespace gemma3
