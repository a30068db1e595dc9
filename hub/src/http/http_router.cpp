#include <exception>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "kh/hub/http/http_server.hpp"

namespace kh::hub {
namespace {

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == '!' || c == '~' || c == '*' || c == '+' || c == '#' ||
                    c == '$' || c == '%' || c == '&' || c == '\'' || c == '^' || c == '`' || c == '|';
    if (!ok) return false;
  }
  return true;
}

http_response plain(int status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

void http_router::add_to(std::map<std::string, method_map, std::less<>>& table, std::string method, std::string path,
                         http_handler h) {
  if (!is_token(method)) throw std::invalid_argument("http_router: invalid method '" + method + "'");
  if (path.empty() || path.front() != '/')
    throw std::invalid_argument("http_router: path must start with '/': '" + path + "'");
  if (!h) throw std::invalid_argument("http_router: empty handler for " + method + " " + path);
  auto& methods = table[path];
  if (!methods.emplace(method, std::move(h)).second)
    throw std::invalid_argument("http_router: route registered twice: " + method + " " + path);
}

void http_router::add(std::string method, std::string path, http_handler h) {
  add_to(exact_, std::move(method), std::move(path), std::move(h));
}

void http_router::add_prefix(std::string method, std::string prefix, http_handler h) {
  add_to(prefixes_, std::move(method), std::move(prefix), std::move(h));
}

http_response http_router::dispatch(const http_request& req) const {
  const method_map* methods = nullptr;
  if (auto it = exact_.find(req.path); it != exact_.end()) {
    methods = &it->second;
  } else {
    // Longest matching prefix wins; prefix routes are few, so a scan is fine.
    std::size_t best = 0;
    for (const auto& [prefix, m] : prefixes_) {
      if (prefix.size() > best && req.path.starts_with(prefix)) {
        best = prefix.size();
        methods = &m;
      }
    }
  }
  if (!methods) return plain(404, "not found\n");

  auto h = methods->find(req.method);
  if (h == methods->end() && req.method == "HEAD") h = methods->find(std::string_view("GET"));
  if (h == methods->end()) {
    std::string allow;
    bool has_head = false;
    for (const auto& [m, _] : *methods) {
      if (!allow.empty()) allow += ", ";
      allow += m;
      has_head = has_head || m == "HEAD";
    }
    if (!has_head && methods->contains(std::string_view("GET"))) allow += ", HEAD";
    http_response r = plain(405, "method not allowed\n");
    r.headers.emplace_back("Allow", std::move(allow));
    return r;
  }

  try {
    return h->second(req);
  } catch (const std::exception& e) {
    spdlog::error("http: handler for {} {} threw: {}", req.method, req.path, e.what());
  } catch (...) {
    spdlog::error("http: handler for {} {} threw a non-standard exception", req.method, req.path);
  }
  return plain(500, "internal server error\n");
}

}  // namespace kh::hub
