#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "kh/hub/http/http_server.hpp"

namespace {

using kh::hub::http_request;
using kh::hub::http_response;
using kh::hub::http_router;

http_request make(std::string method, std::string path) {
  http_request r;
  r.method = std::move(method);
  r.path = path;
  r.target = std::move(path);
  return r;
}

http_response text(std::string body) {
  http_response r;
  r.body = std::move(body);
  return r;
}

std::string header(const http_response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "<none>";
}

TEST(http_router, dispatches_by_method_and_exact_path) {
  http_router router;
  router.add("GET", "/healthz", [](const http_request&) { return text("ok"); });
  router.add("POST", "/healthz", [](const http_request& r) { return text("posted " + r.body); });
  EXPECT_EQ(router.dispatch(make("GET", "/healthz")).body, "ok");
  auto post = make("POST", "/healthz");
  post.body = "x";
  EXPECT_EQ(router.dispatch(post).body, "posted x");
  EXPECT_EQ(router.dispatch(make("GET", "/healthz/")).status, 404);  // exact means exact
  EXPECT_EQ(router.dispatch(make("GET", "/nope")).status, 404);
}

TEST(http_router, unknown_method_on_known_path_is_405_with_allow) {
  http_router router;
  router.add("GET", "/metrics", [](const http_request&) { return text("m"); });
  router.add("POST", "/metrics", [](const http_request&) { return text("m"); });
  const auto res = router.dispatch(make("DELETE", "/metrics"));
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(header(res, "Allow"), "GET, POST, HEAD");
}

TEST(http_router, head_uses_the_get_handler) {
  http_router router;
  int calls = 0;
  router.add("GET", "/metrics", [&](const http_request& r) {
    ++calls;
    return text("method seen: " + r.method);
  });
  const auto res = router.dispatch(make("HEAD", "/metrics"));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "method seen: HEAD");  // the server drops the body on the wire
  EXPECT_EQ(calls, 1);
  // HEAD does not stand in for other methods.
  router.add("POST", "/only-post", [](const http_request&) { return text("p"); });
  EXPECT_EQ(router.dispatch(make("HEAD", "/only-post")).status, 405);
}

TEST(http_router, throwing_handler_gives_500) {
  http_router router;
  router.add("GET", "/boom", [](const http_request&) -> http_response { throw std::runtime_error("kaput"); });
  router.add("GET", "/int", [](const http_request&) -> http_response { throw 42; });
  EXPECT_EQ(router.dispatch(make("GET", "/boom")).status, 500);
  EXPECT_EQ(router.dispatch(make("GET", "/int")).status, 500);
}

TEST(http_router, longest_prefix_wins_and_exact_beats_prefix) {
  http_router router;
  router.add_prefix("GET", "/static/", [](const http_request&) { return text("static"); });
  router.add_prefix("GET", "/static/img/", [](const http_request&) { return text("img"); });
  router.add("GET", "/static/index.html", [](const http_request&) { return text("index"); });
  EXPECT_EQ(router.dispatch(make("GET", "/static/app.js")).body, "static");
  EXPECT_EQ(router.dispatch(make("GET", "/static/img/a.png")).body, "img");
  EXPECT_EQ(router.dispatch(make("GET", "/static/index.html")).body, "index");
  EXPECT_EQ(router.dispatch(make("GET", "/stat")).status, 404);
  EXPECT_EQ(router.dispatch(make("PUT", "/static/x")).status, 405);
}

TEST(http_router, bad_routes_are_rejected_at_setup) {
  http_router router;
  auto h = [](const http_request&) { return text(""); };
  EXPECT_THROW(router.add("", "/x", h), std::invalid_argument);
  EXPECT_THROW(router.add("GET", "x", h), std::invalid_argument);
  EXPECT_THROW(router.add("GET", "/x", nullptr), std::invalid_argument);
  EXPECT_THROW(router.add("G ET", "/x", h), std::invalid_argument);
  router.add("GET", "/x", h);
  EXPECT_THROW(router.add("GET", "/x", h), std::invalid_argument);
}

}  // namespace
