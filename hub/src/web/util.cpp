#include "web/util.hpp"

#include "kh/protocol/money_format.hpp"

#include "http/request_target.hpp"

#include <brotli/encode.h>
#include <sodium.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <stdexcept>

namespace kh::hub::web {

namespace {
// One percent-decoder for the whole server: the router's (request targets) decodes forms and
// path segments too.
using detail::percent_decode;

std::string lower(std::string_view s) {
  std::string o(s);
  std::transform(o.begin(), o.end(), o.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return o;
}
}  // namespace

std::optional<std::map<std::string, std::string>> parse_urlencoded(std::string_view body) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i <= body.size()) {
    auto amp = body.find('&', i);
    if (amp == std::string_view::npos) amp = body.size();
    const auto pair = body.substr(i, amp - i);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      auto k = percent_decode(pair.substr(0, eq), true);
      auto v = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
      if (!k || !v) return std::nullopt;
      out[*k] = *v;
    }
    i = amp + 1;
  }
  return out;
}

std::optional<std::vector<multipart_part>> parse_multipart(std::string_view ct, std::string_view body) {
  const auto bpos = ct.find("boundary=");
  if (bpos == std::string_view::npos) return std::nullopt;
  std::string boundary(ct.substr(bpos + 9));
  if (auto semi = boundary.find(';'); semi != std::string::npos) boundary.resize(semi);
  if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"') boundary = boundary.substr(1, boundary.size() - 2);
  if (boundary.empty() || boundary.size() > 200) return std::nullopt;
  const std::string delim = "--" + boundary;
  std::vector<multipart_part> parts;
  std::size_t pos = body.find(delim);
  if (pos == std::string_view::npos) return std::nullopt;
  while (true) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") return std::nullopt;
    pos += 2;
    const auto head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string_view::npos) return std::nullopt;
    multipart_part p;
    const auto head = body.substr(pos, head_end - pos);
    std::size_t l = 0;
    while (l < head.size()) {
      auto e = head.find("\r\n", l);
      if (e == std::string_view::npos) e = head.size();
      const auto line = head.substr(l, e - l);
      const auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        const auto name = lower(line.substr(0, colon));
        const auto value = trim(line.substr(colon + 1));
        if (name == "content-disposition") {
          auto param = [&](std::string_view key) -> std::string {
            const std::string k = std::string(key) + "=\"";
            auto at = value.find(k);
            // "name=" must not match inside "filename="
            while (at != std::string::npos && at > 0 && value[at - 1] != ' ' && value[at - 1] != ';') at = value.find(k, at + 1);
            if (at == std::string::npos) return {};
            const auto start = at + k.size();
            const auto end = value.find('"', start);
            return end == std::string::npos ? std::string() : value.substr(start, end - start);
          };
          p.name = param("name");
          p.filename = param("filename");
        } else if (name == "content-type") {
          p.content_type = value;
        }
      }
      l = e + 2;
    }
    const auto data_start = head_end + 4;
    const auto next = body.find("\r\n" + delim, data_start);
    if (next == std::string_view::npos) return std::nullopt;
    p.data = std::string(body.substr(data_start, next - data_start));
    parts.push_back(std::move(p));
    if (parts.size() > 32) return std::nullopt;
    pos = next + 2;
  }
}

std::string cookie(const http_request& req, std::string_view name) {
  const auto it = req.headers.find("cookie");
  if (it == req.headers.end()) return {};
  std::string_view h = it->second;
  std::size_t i = 0;
  while (i < h.size()) {
    auto semi = h.find_first_of(";,", i);
    if (semi == std::string_view::npos) semi = h.size();
    std::string kv = trim(h.substr(i, semi - i));
    const auto eq = kv.find('=');
    if (eq != std::string::npos && std::string_view(kv).substr(0, eq) == name) return kv.substr(eq + 1);
    i = semi + 1;
  }
  return {};
}

std::optional<std::vector<std::string>> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 1;
  if (path.empty() || path[0] != '/') return std::nullopt;
  while (i <= path.size()) {
    auto slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    auto seg = percent_decode(path.substr(i, slash - i), false);
    if (!seg) return std::nullopt;
    if (*seg == "." || *seg == ".." || seg->find('/') != std::string::npos || seg->find('\0') != std::string::npos ||
        seg->find('\\') != std::string::npos)
      return std::nullopt;
    if (!seg->empty() || slash != path.size()) out.push_back(std::move(*seg));
    i = slash + 1;
  }
  // drop empty segments (a trailing slash)
  out.erase(std::remove(out.begin(), out.end(), std::string()), out.end());
  return out;
}

std::string gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

std::string brotli(std::string_view data, int quality) {
  std::size_t n = BrotliEncoderMaxCompressedSize(data.size());
  std::string out(n, '\0');
  if (!BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, data.size(),
                             reinterpret_cast<const std::uint8_t*>(data.data()), &n,
                             reinterpret_cast<std::uint8_t*>(out.data())))
    throw std::runtime_error("brotli failed");
  out.resize(n);
  return out;
}

std::string pick_encoding(std::string_view ae) {
  auto has = [&](std::string_view tok) {
    std::size_t i = 0;
    while ((i = ae.find(tok, i)) != std::string_view::npos) {
      const bool start_ok = i == 0 || ae[i - 1] == ' ' || ae[i - 1] == ',';
      const auto after = ae.substr(i + tok.size());
      const bool end_ok = after.empty() || after[0] == ',' || after[0] == ' ' || after[0] == ';';
      if (start_ok && end_ok && !after.starts_with(";q=0,") && after != ";q=0" && !after.starts_with(";q=0 ")) return true;
      i += tok.size();
    }
    return false;
  };
  if (has("br")) return "br";
  if (has("gzip")) return "gzip";
  return "";
}

void compress_response(const http_request& req, http_response& r) {
  if (r.body.size() < 256) return;
  const auto& ct = r.content_type;
  const bool texty = ct.starts_with("text/") || ct.starts_with("application/json") ||
                     ct.starts_with("application/javascript") || ct.starts_with("image/svg+xml");
  if (!texty || ct.starts_with("text/event-stream")) return;
  for (const auto& [k, v] : r.headers)
    if (k == "Content-Encoding") return;
  const auto it = req.headers.find("accept-encoding");
  const std::string enc = it == req.headers.end() ? std::string() : pick_encoding(it->second);
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (enc.empty()) return;
  r.body = enc == "br" ? brotli(r.body) : gzip(r.body);
  r.headers.emplace_back("Content-Encoding", enc);
}

http_response html_page(int status, std::string body) {
  http_response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "same-origin");
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                         "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
  return r;
}

http_response text(int status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  if (r.body.empty() || r.body.back() != '\n') r.body += '\n';
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

http_response redirect(std::string location) {
  http_response r;
  r.status = 303;
  r.headers.emplace_back("Location", std::move(location));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

http_response json_response(int status, std::string body) {
  http_response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string out(bytes * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  out.resize(bytes * 2);
  return out;
}

std::string sha256_hex(std::string_view s) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  std::string out(sizeof h * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), h, sizeof h);
  out.resize(sizeof h * 2);
  return out;
}

bool equal_ct(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::optional<std::int64_t> parse_money(std::string_view in) {
  const std::string s = trim(in);
  if (s.empty() || s.size() > 12) return std::nullopt;
  std::int64_t whole = 0, frac = 0;
  int frac_digits = -1;
  for (const char c : s) {
    if (c == '.' || c == ',') {
      if (frac_digits >= 0) return std::nullopt;
      frac_digits = 0;
    } else if (c >= '0' && c <= '9') {
      if (frac_digits >= 0) {
        if (++frac_digits > 2) return std::nullopt;
        frac = frac * 10 + (c - '0');
      } else {
        whole = whole * 10 + (c - '0');
      }
    } else {
      return std::nullopt;
    }
  }
  if (frac_digits == 0) return std::nullopt;
  if (frac_digits == 1) frac *= 10;
  const auto v = whole * 100 + frac;
  if (v > 100'000'000) return std::nullopt;
  return v;
}

std::string format_money(std::int64_t minor, std::string_view currency) {
  return protocol::format_money(protocol::money{minor, std::string(currency)});
}

std::string format_money(std::int64_t minor, std::string_view currency, std::string_view language) {
  return protocol::format_money(protocol::money{minor, std::string(currency)}, language);
}

std::optional<std::int64_t> parse_int(std::string_view in, std::int64_t lo, std::int64_t hi) {
  const std::string s = trim(in);
  if (s.empty() || s.size() > 12) return std::nullopt;
  std::size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    i = 1;
    if (s.size() == 1) return std::nullopt;
  }
  std::int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  if (neg) v = -v;
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

std::string product_image_url(const std::string& business_id, const std::string& image_id,
                              const std::string& image_url, bool thumb) {
  if (!image_id.empty()) return "/img/" + business_id + "/" + image_id + (thumb ? "-thumb.jpg" : ".jpg");
  return image_url;
}

}  // namespace kh::hub::web
