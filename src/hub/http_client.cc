#include "hub/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>

#include "hub/hub_config.h"

namespace gemma3::hub {
namespace {

constexpr size_t kMaxKeptBody = 1 << 20;

// curl_global_init is not thread-safe and must precede every handle; once per process.
void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    std::atexit(curl_global_cleanup);
  });
}

struct Exchange {
  const HttpRequest* request;
  HttpResponse* response;
  CURL* curl;
  bool decided = false;  // want_stream asked for the current response
  bool streaming = false;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after a redirect or a 100 Continue): forget the previous one's headers.
    ex->response->headers.clear();
    ex->decided = false;
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string key = line.substr(0, colon);
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string value = line.substr(colon + 1);
  auto first = value.find_first_not_of(" \t");
  auto last = value.find_last_not_of(" \t\r\n");
  value = first == std::string::npos ? "" : value.substr(first, last - first + 1);
  ex->response->headers[key] = value;
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  size_t bytes = size * n;
  if (!ex->decided) {
    ex->decided = true;
    long status = 0;
    curl_easy_getinfo(ex->curl, CURLINFO_RESPONSE_CODE, &status);
    ex->response->status = status;
    ex->streaming = (status == 200 || status == 206) && ex->request->want_stream &&
                    ex->request->want_stream(status, ex->response->headers);
  }
  if (ex->streaming) {
    if (!ex->request->sink(data, bytes)) {
      ex->response->aborted = true;
      return 0;  // curl stops with CURLE_WRITE_ERROR
    }
    return bytes;
  }
  std::string& body = ex->response->body;
  if (body.size() < kMaxKeptBody) body.append(data, std::min(bytes, kMaxKeptBody - body.size()));
  return bytes;
}

}  // namespace

HttpResponse http_perform(const HttpRequest& request) {
  global_init_once();
  HttpResponse response;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    response.fault = "cannot start libcurl";
    return response;
  }
  Exchange ex{&request, &response, curl};
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  for (const auto& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  // The Hub compresses nothing we want decompressed: sizes and hashes are of the raw bytes.
  headers = curl_slist_append(headers, "Accept-Encoding: identity");

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "gemma3-pull/1 (libcurl)");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 20L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, request.stall_seconds);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ex);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ex);
  if (request.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (request.follow_redirects) {
    // libcurl sends a custom Authorization header only to the original host, so a token never
    // leaks to a CDN on another host.
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  }

  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = status;
  if (code != CURLE_OK && !response.aborted) {
    response.fault = std::string(error_buffer[0] ? error_buffer : curl_easy_strerror(code)) + " (" + request.url + ")";
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return response;
}

std::string resolve_location(const std::string& from_url, const std::string& location) {
  if (location.find("://") != std::string::npos) return location;
  if (!location.empty() && location.front() == '/') return url_origin(from_url) + location;
  size_t slash = from_url.rfind('/');
  return from_url.substr(0, slash + 1) + location;
}

}  // namespace gemma3::hub
