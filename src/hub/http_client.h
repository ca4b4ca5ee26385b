// One HTTP exchange over libcurl, with the body either kept (small answers: JSON, error pages) or
// streamed to a sink (file downloads). Transport faults (refused, reset, cut mid-body, stalled) are
// told apart from HTTP statuses so callers can retry the first and explain the second.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace gemma3::hub {

using HttpHeaders = std::map<std::string, std::string>;  // keys lower-cased; last value wins

struct HttpRequest {
  std::string method = "GET";          // GET or HEAD
  std::string url;
  std::vector<std::string> headers;    // "Name: value"
  bool follow_redirects = false;       // false: a 3xx is the answer (its Location is in headers)
  // Streaming: called once the status and headers of the final response are known; returning true
  // sends the body to `sink` instead of HttpResponse::body (only ever for 200 and 206).
  std::function<bool(long status, const HttpHeaders& headers)> want_stream;
  // Receives body bytes; returning false aborts the transfer (HttpResponse::aborted is set).
  std::function<bool(const char* data, size_t size)> sink;
  long stall_seconds = 30;             // a transfer below 1 byte/s for this long is a fault
};

struct HttpResponse {
  long status = 0;              // 0 when no response arrived
  HttpHeaders headers;
  std::string body;             // kept bodies only, capped at 1 MiB
  std::string fault;            // non-empty: the transport failed (curl's message and the URL)
  bool aborted = false;         // the sink asked to stop
  bool completed() const { return fault.empty(); }
};

HttpResponse http_perform(const HttpRequest& request);

// Resolves a Location header against the URL it came from (absolute, or a path on the same origin).
std::string resolve_location(const std::string& from_url, const std::string& location);

}  // namespace gemma3::hub
