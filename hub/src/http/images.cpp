#include "kh/hub/http/images.hpp"

#include <cstdio>

#include <spdlog/spdlog.h>

#include "kh/protocol/ids.hpp"

namespace kh::hub {

std::string content_etag(std::string_view bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

namespace {

http_response not_found() {
  http_response r;
  r.status = 404;
  r.body = "no such image\n";
  return r;
}

// Image ids are file names: a slug plus an extension ("flat-white.png").
bool is_image_id(std::string_view s) {
  if (s.empty() || s.size() > 80) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return s.front() != '.' && s.find("..") == std::string_view::npos;
}

// True when an If-None-Match value lists `etag` (quoted, optionally weak) or is "*".
bool matches(const std::string& header, const std::string& etag) {
  if (header.find('*') != std::string::npos) return true;
  return header.find("\"" + etag + "\"") != std::string::npos;
}

}  // namespace

http_response image_response(store& s, const http_request& r) {
  return image_response(r, [&s](const std::string& business, const std::string& id) { return s.shop().image(business, id); });
}

http_response image_response(const http_request& r, const image_lookup& lookup) {
  constexpr std::string_view prefix = "/img/";
  std::string_view rest(r.path);
  if (rest.substr(0, prefix.size()) != prefix) return not_found();
  rest.remove_prefix(prefix.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return not_found();
  const std::string business(rest.substr(0, slash));
  const std::string id(rest.substr(slash + 1));
  if (!protocol::is_slug_id(business) || !is_image_id(id)) return not_found();
  std::optional<image_record> img;
  try {
    img = lookup(business, id);
  } catch (const std::exception& e) {
    spdlog::error("image {}/{} failed: {}", business, id, e.what());
    http_response err;
    err.status = 503;
    err.body = "image store unavailable\n";
    return err;
  }
  if (!img) return not_found();
  http_response out;
  out.headers.emplace_back("etag", "\"" + img->etag + "\"");
  out.headers.emplace_back("cache-control", image_cache_control);
  out.content_type = img->content_type;
  const auto inm = r.headers.find("if-none-match");
  if (inm != r.headers.end() && matches(inm->second, img->etag)) {
    out.status = 304;
    return out;
  }
  out.body = std::move(img->data);
  return out;
}

}  // namespace kh::hub
