// DLE EOT status query, the job runner and printer URI parsing.
#include <algorithm>
#include <charconv>

#include "kh/hardware/printer/sim_printer.hpp"
#include "kh/hardware/printer/transport.hpp"

namespace kh::hardware::printer {

std::error_code printer_status::as_error() const noexcept {
  if (paper_out) return errc::paper_out;
  if (cover_open) return errc::cover_open;
  if (offline) return errc::offline;
  if (paper_near_end) return errc::paper_near_end;
  return {};
}

namespace {

std::error_code ask(printer_transport& t, std::uint8_t n, std::uint8_t& answer, std::chrono::milliseconds timeout) {
  const std::uint8_t q[] = {0x10, 0x04, n};
  if (auto ec = t.write(q)) return ec;
  std::uint8_t b[1] = {};
  if (auto ec = t.read(b, timeout)) return ec;
  // Every DLE EOT answer has bit 0 = 0, bit 1 = 1, bit 4 = 1, bit 7 = 0.
  if ((b[0] & 0x93) != 0x12) return errc::bad_status;
  answer = b[0];
  return {};
}

}  // namespace

std::error_code query_status(printer_transport& t, printer_status& out, std::chrono::milliseconds timeout) {
  if (!t.two_way()) return errc::not_supported;
  std::uint8_t printer = 0, offline_cause = 0, paper = 0;
  if (auto ec = ask(t, 1, printer, timeout)) return ec;
  if (auto ec = ask(t, 2, offline_cause, timeout)) return ec;
  if (auto ec = ask(t, 4, paper, timeout)) return ec;
  printer_status s;
  s.offline = printer & 0x08;
  s.cover_open = offline_cause & 0x04;
  s.paper_out = (offline_cause & 0x20) || (paper & 0x60) == 0x60;
  s.paper_near_end = (paper & 0x0C) == 0x0C;
  out = s;
  return {};
}

job_result print_job(printer_transport& t, std::span<const std::uint8_t> bytes, const job_options& o) {
  job_result r;
  const auto fail = [&](std::error_code ec) {
    r.error = ec;
    t.close();  // start from a clean connection next time
    return r;
  };
  if (o.check_status && t.two_way()) {
    printer_status s;
    if (auto ec = query_status(t, s, o.status_timeout)) return fail(ec);
    if (auto ec = s.as_error(); ec && ec != errc::paper_near_end) return fail(ec);
    r.paper_near_end = s.paper_near_end;
  }
  const std::size_t chunk = std::max<std::size_t>(o.chunk_size, 1);
  for (std::size_t off = 0; off < bytes.size(); off += chunk) {
    const auto part = bytes.subspan(off, std::min(chunk, bytes.size() - off));
    if (auto ec = t.write(part)) return fail(ec);
    r.bytes_written += part.size();
  }
  return r;
}

std::unique_ptr<printer_transport> make_transport(std::string_view uri, std::error_code& ec, tcp_options o) {
  ec = {};
  if (uri == "sim:" || uri == "sim") return std::make_unique<sim_printer>();
  if (uri.starts_with("file:")) {
    auto path = uri.substr(5);
    if (path.starts_with("//")) path.remove_prefix(2);  // file:///dev/usb/lp0
    if (path.empty() || path.front() != '/') {
      ec = errc::bad_uri;
      return nullptr;
    }
    return make_file_transport(std::string(path));
  }
  if (uri.starts_with("tcp://")) {
    auto rest = uri.substr(6);
    while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    std::string_view host = rest, port_text;
    if (rest.starts_with("[")) {
      const auto close = rest.find(']');
      if (close == std::string_view::npos) {
        ec = errc::bad_uri;
        return nullptr;
      }
      host = rest.substr(1, close - 1);
      const auto after = rest.substr(close + 1);
      if (!after.empty()) {
        if (after.front() != ':') {
          ec = errc::bad_uri;
          return nullptr;
        }
        port_text = after.substr(1);
      }
    } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
      host = rest.substr(0, colon);
      port_text = rest.substr(colon + 1);
    }
    unsigned port = 9100;
    if (!port_text.empty()) {
      const auto [p, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
      if (err != std::errc{} || p != port_text.data() + port_text.size() || port == 0 || port > 65535) {
        ec = errc::bad_uri;
        return nullptr;
      }
    }
    if (host.empty() || host.find_first_of("/?#@ ") != std::string_view::npos) {
      ec = errc::bad_uri;
      return nullptr;
    }
    return make_tcp_transport(std::string(host), static_cast<std::uint16_t>(port), o);
  }
  ec = errc::bad_uri;
  return nullptr;
}

}  // namespace kh::hardware::printer
