#pragma once
// Printer error codes: every expected failure of encoding, transport or status comes back as a
// std::error_code in the kh::hardware::printer category.
#include <string>
#include <system_error>

namespace kh::hardware::printer {

/// Printer failures. Values are stable (they may be logged or sent upstream).
enum class errc {
  ok = 0,
  invalid_argument = 1,   ///< bad input to the encoder (e.g. EAN-13 check digit, non-ASCII Code128)
  too_large = 2,          ///< data does not fit the command (QR > 7089 bytes, image too wide, …)
  bad_uri = 3,            ///< printer URI not understood
  open_failed = 4,        ///< device/file could not be opened
  connect_failed = 5,     ///< TCP connect refused or unreachable
  timeout = 6,            ///< connect, write or status read did not finish in time
  connection_closed = 7,  ///< the peer closed the connection
  io_error = 8,           ///< other read/write failure
  not_supported = 9,      ///< e.g. status query on a one-way transport
  paper_out = 10,         ///< printer reports paper end
  paper_near_end = 11,    ///< printer reports paper near end (warning: the job still prints)
  cover_open = 12,        ///< printer reports its cover open
  offline = 13,           ///< printer reports offline for another reason
  bad_status = 14,        ///< status byte malformed (fixed bits wrong)
};

/// The category of errc ("kh.printer").
const std::error_category& printer_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), printer_category()};
}

}  // namespace kh::hardware::printer

template <>
struct std::is_error_code_enum<kh::hardware::printer::errc> : std::true_type {};
