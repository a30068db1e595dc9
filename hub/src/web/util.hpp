#pragma once
// Helpers shared by the web room: forms, cookies, compression, answers.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kh/hub/http/http_server.hpp"

namespace kh::hub::web {

/// application/x-www-form-urlencoded body → fields (a repeated key keeps the last value);
/// nullopt for malformed percent-encoding.
std::optional<std::map<std::string, std::string>> parse_urlencoded(std::string_view body);

struct multipart_part {
  std::string name;
  std::string filename;
  std::string content_type;
  std::string data;
};
/// multipart/form-data body with the boundary from `content_type`; nullopt when malformed.
std::optional<std::vector<multipart_part>> parse_multipart(std::string_view content_type, std::string_view body);

/// Value of cookie `name` in a Cookie header, empty when absent.
std::string cookie(const http_request& req, std::string_view name);

/// Path split on '/', each segment percent-decoded; nullopt when a segment decodes to something
/// with '/', NUL or is "." / ".." (traversal), or the encoding is malformed.
std::optional<std::vector<std::string>> split_path(std::string_view path);

/// Compresses `r.body` with brotli or gzip when the client accepts it, the type is text-like and
/// the body is worth it (≥ 256 bytes). Adds Content-Encoding and Vary.
void compress_response(const http_request& req, http_response& r);
std::string gzip(std::string_view data);
/// Quality 5 (default) for pages made per request; static assets, compressed once, use 11 (a
/// 200 KB page at 11 took about a second, at 5 a few milliseconds).
std::string brotli(std::string_view data, int quality = 5);
/// "br", "gzip" or "" for an Accept-Encoding value.
std::string pick_encoding(std::string_view accept_encoding);

http_response html_page(int status, std::string body);
http_response text(int status, std::string body);
http_response redirect(std::string location);  ///< 303 See Other
http_response json_response(int status, std::string body);

/// Lower-case hex of random bytes (libsodium).
std::string random_hex(std::size_t bytes);
/// SHA-256 hex (libsodium).
std::string sha256_hex(std::string_view s);
/// Constant-time compare.
bool equal_ct(std::string_view a, std::string_view b);

std::string trim(std::string_view s);
/// Money "12.50" → 1250 (at most 2 decimals, 0…1,000,000.00); nullopt otherwise.
std::optional<std::int64_t> parse_money(std::string_view s);
/// "3.40 EUR" (protocol::format_money's log form: pages not yet switched to a language).
std::string format_money(std::int64_t minor, std::string_view currency);
/// For customers, in `language`'s style (protocol::format_money): "€3.40", "3,40 €".
std::string format_money(std::int64_t minor, std::string_view currency, std::string_view language);
/// Where a product's picture is served (GET /img/{business}/{name}, one route for every image):
/// an uploaded image (`image_id`) as `{id}.jpg` or its `{id}-thumb.jpg`; otherwise the product's
/// `image_url` (the seed's drawn pictures), which has no thumbnail; "" when it has neither.
std::string product_image_url(const std::string& business_id, const std::string& image_id,
                              const std::string& image_url, bool thumb);
/// Whole decimal integer in [lo, hi].
std::optional<std::int64_t> parse_int(std::string_view s, std::int64_t lo, std::int64_t hi);

}  // namespace kh::hub::web
