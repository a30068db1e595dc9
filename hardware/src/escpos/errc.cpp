#include "kh/hardware/printer/errc.hpp"

namespace kh::hardware::printer {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kh.printer"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::ok: return "ok";
      case errc::invalid_argument: return "invalid argument";
      case errc::too_large: return "data too large for the command";
      case errc::bad_uri: return "printer URI not understood (use file:PATH, tcp://HOST[:PORT] or sim:)";
      case errc::open_failed: return "printer device could not be opened";
      case errc::connect_failed: return "could not connect to the printer";
      case errc::timeout: return "printer timed out";
      case errc::connection_closed: return "printer closed the connection";
      case errc::io_error: return "printer I/O error";
      case errc::not_supported: return "not supported by this printer transport";
      case errc::paper_out: return "printer is out of paper";
      case errc::paper_near_end: return "printer paper is near its end";
      case errc::cover_open: return "printer cover is open";
      case errc::offline: return "printer is offline";
      case errc::bad_status: return "printer sent a malformed status byte";
    }
    return "unknown printer error";
  }
};

}  // namespace

const std::error_category& printer_category() noexcept {
  static const category c;
  return c;
}

}  // namespace kh::hardware::printer
