// The chat page's files as the binary serves them: the embedded table (web/embed.cmake), ETag
// matching, and the routes of HttpServer over the scripted FakeBackend (no model): Content-Type,
// cache and security headers, 304 revalidation, that the page needs no API key while /v1/* does,
// and that unknown paths still answer OpenAI's 404 error JSON.
#include <gtest/gtest.h>

// The CPPHTTPLIB_* defines Debian's libcpp-httplib was built with come from pkg-config, through
// the gemma3_server target (CMakeLists.txt), so this header agrees with the library.
#include <httplib.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "server/fake_backend.h"
#include "server/http_server.h"
#include "server/static_assets.h"

namespace gemma3 {
namespace {

using nlohmann::json;

std::string read_source(const std::string& name) {
  std::ifstream in(std::string(GEMMA3_SOURCE_DIR) + "/web/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(StaticAssets, EmbedsEveryPageFileByteForByte) {
  for (const char* name : {"index.html", "chat.js", "chat.css", "markdown.js", "favicon.svg"}) {
    const StaticAsset* a = find_static_asset(std::string("/") + name);
    ASSERT_NE(a, nullptr) << name;
    EXPECT_EQ(a->body, read_source(name)) << name << ": the binary's copy differs from web/" << name;
    EXPECT_EQ(a->etag.size(), 22u) << a->etag;   // 20 hex digits in quotes
    EXPECT_EQ(a->etag.front(), '"');
  }
  EXPECT_EQ(find_static_asset("/"), find_static_asset("/index.html"));
  EXPECT_EQ(find_static_asset("/missing.js"), nullptr);
  EXPECT_EQ(find_static_asset("/index.html/"), nullptr);
  EXPECT_EQ(find_static_asset(""), nullptr);
}

TEST(StaticAssets, DistinctFilesHaveDistinctEtags) {
  const auto& all = static_assets();
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = i + 1; j < all.size(); ++j) EXPECT_NE(all[i].etag, all[j].etag) << all[i].path << all[j].path;
  }
}

TEST(StaticAssets, ContentTypes) {
  EXPECT_EQ(content_type_for("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("/chat.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("/chat.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("/favicon.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("/blob.bin"), "application/octet-stream");
}

TEST(StaticAssets, EtagMatching) {
  const std::string tag = "\"abc123\"";
  EXPECT_TRUE(etag_matches("\"abc123\"", tag));
  EXPECT_TRUE(etag_matches("W/\"abc123\"", tag));
  EXPECT_TRUE(etag_matches("\"x\", \"abc123\"", tag));
  EXPECT_TRUE(etag_matches(" * ", tag));
  EXPECT_FALSE(etag_matches("", tag));
  EXPECT_FALSE(etag_matches("\"abc12\"", tag));
  EXPECT_FALSE(etag_matches("abc123", tag));   // unquoted is not the same entity tag
  EXPECT_FALSE(etag_matches(",,", tag));
}

// The page loads nothing from elsewhere: every src/href in the HTML is one of our own files.
TEST(StaticAssets, PageReferencesOnlyEmbeddedFiles) {
  const StaticAsset* page = find_static_asset("/");
  ASSERT_NE(page, nullptr);
  const std::string html(page->body);
  const std::regex ref(R"re((?:src|href)="([^"]*)")re");
  int n = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), ref); it != std::sregex_iterator(); ++it) {
    ++n;
    const std::string url = (*it)[1];
    EXPECT_NE(find_static_asset(url), nullptr) << "index.html refers to '" << url << "', which is not embedded";
  }
  EXPECT_GE(n, 3);
  // chat.js imports the renderer by a relative path; it must be embedded as well.
  const StaticAsset* js = find_static_asset("/chat.js");
  ASSERT_NE(js, nullptr);
  EXPECT_NE(std::string(js->body).find("from './markdown.js'"), std::string::npos);
}

class StaticRoutes : public ::testing::Test {
 protected:
  void start(std::string api_key = "") {
    ignore_sigpipe();
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.api_key = std::move(api_key);
    options.log_requests = false;
    server_ = std::make_unique<HttpServer>(options);
    ASSERT_TRUE(server_->start().ok());
    server_->set_backend(&backend_);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  static void expect_openai_404(const httplib::Result& r) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    const json body = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(body.is_object() && body.contains("error")) << r->body;
    EXPECT_EQ(body["error"]["code"], "unknown_url");
    EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  }

  fake::FakeState state_;
  fake::FakeBackend backend_{state_};
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(StaticRoutes, ServesThePageWithTypesAndCacheHeaders) {
  start();
  for (const StaticAsset& a : static_assets()) {
    auto r = client_->Get(std::string(a.path).c_str());
    ASSERT_TRUE(r) << a.path;
    EXPECT_EQ(r->status, 200) << a.path;
    EXPECT_EQ(r->body, a.body) << a.path;
    EXPECT_EQ(r->get_header_value("Content-Type"), a.content_type) << a.path;
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache") << a.path;
    EXPECT_EQ(r->get_header_value("ETag"), a.etag) << a.path;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << a.path;
  }
  auto root = client_->Get("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 200);
  EXPECT_EQ(root->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(root->body.find("<!doctype html>"), std::string::npos);
  const std::string csp = root->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
}

TEST_F(StaticRoutes, RevalidationAnswers304WithoutABody) {
  start();
  const StaticAsset* js = find_static_asset("/chat.js");
  ASSERT_NE(js, nullptr);
  auto r = client_->Get("/chat.js", {{"If-None-Match", std::string(js->etag)}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 304);
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(r->get_header_value("ETag"), js->etag);
  auto stale = client_->Get("/chat.js", {{"If-None-Match", "\"0000\""}});
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);
  EXPECT_EQ(stale->body, js->body);
}

TEST_F(StaticRoutes, PageNeedsNoKeyButTheApiDoes) {
  start("page-test-key");
  auto page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  auto models = client_->Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->status, 401);
  auto with_key = client_->Get("/v1/models", {{"Authorization", "Bearer page-test-key"}});
  ASSERT_TRUE(with_key);
  EXPECT_EQ(with_key->status, 200);
}

TEST_F(StaticRoutes, UnknownPathsStill404InOpenAiShape) {
  start();
  expect_openai_404(client_->Get("/v1/nope"));
  expect_openai_404(client_->Get("/v1/chat.js"));
  expect_openai_404(client_->Get("/nope.html"));
  expect_openai_404(client_->Get("/chatxjs"));   // the route's dot is literal, not "any character"
  expect_openai_404(client_->Get("/web/chat.js"));
}

TEST_F(StaticRoutes, OtherMethodsOnThePageAre405) {
  start();
  auto r = client_->Post("/", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->get_header_value("Allow"), "GET");
  auto head = client_->Head("/chat.css");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
}

}  // namespace
}  // namespace gemma3
