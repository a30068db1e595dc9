#pragma once
// Printer transports (device file, raw TCP 9100, in-memory sim) behind one interface, the DLE EOT
// status query, and the job runner that ties them together.
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "kh/hardware/printer/errc.hpp"

namespace kh::hardware::printer {

/// A byte pipe to a printer. Implementations are not thread-safe: one job at a time.
class printer_transport {
 public:
  virtual ~printer_transport() = default;
  /// Writes all of `bytes` or fails. After a failure the next call starts afresh (TCP reconnects).
  virtual std::error_code write(std::span<const std::uint8_t> bytes) = 0;
  /// Reads exactly out.size() bytes within `timeout` (errc::timeout otherwise, never blocks
  /// longer). One-way transports return errc::not_supported.
  virtual std::error_code read(std::span<std::uint8_t> out, std::chrono::milliseconds timeout) = 0;
  /// Whether the printer can answer (read() works): TCP and sim yes, device file no.
  virtual bool two_way() const noexcept = 0;
  /// Closes any connection; the next write opens it again.
  virtual void close() noexcept {}
  /// Human-readable target, e.g. "tcp://10.0.0.5:9100".
  virtual std::string describe() const = 0;
};

/// What DLE EOT reported.
struct printer_status {
  bool offline = false;
  bool cover_open = false;
  bool paper_out = false;
  bool paper_near_end = false;
  /// The most severe condition as an error (paper_out, cover_open, offline, paper_near_end), or
  /// success when none is set.
  std::error_code as_error() const noexcept;
};

/// Asks the printer with DLE EOT 1, 2 and 4 (printer, offline cause, roll paper sensor), each
/// answer awaited for at most `timeout` (default 1 s). Errors: not_supported (one-way), timeout,
/// bad_status, transport errors.
std::error_code query_status(printer_transport& t, printer_status& out,
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

/// Job options. Defaults: query status first when two-way, 4 KiB chunks, 1 s status timeout.
struct job_options {
  bool check_status = true;
  std::size_t chunk_size = 4096;
  std::chrono::milliseconds status_timeout{1000};
};

/// Outcome of print_job.
struct job_result {
  std::error_code error;           ///< success, or why nothing/not everything was printed
  bool paper_near_end = false;     ///< printed, but the roll needs changing soon
  std::size_t bytes_written = 0;   ///< bytes accepted by the transport
};

/// Sends one job: status check (two-way only; paper out / cover open / offline refuse the job),
/// then the bytes in chunks. On a failure the transport is closed so the next job reconnects.
job_result print_job(printer_transport& t, std::span<const std::uint8_t> bytes, const job_options& o = {});

/// TCP options. Defaults: 3 s connect, 5 s per write call, system socket buffer.
struct tcp_options {
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds write_timeout{5000};
  int send_buffer_bytes = 0;  ///< SO_SNDBUF if > 0 (tests use a small one to make stalls visible)
};

/// Character device or file, opened for appending on first write (O_WRONLY|O_CREAT|O_APPEND).
std::unique_ptr<printer_transport> make_file_transport(std::string path);
/// Raw TCP (JetDirect/AppSocket, usually port 9100), connected lazily on first write.
std::unique_ptr<printer_transport> make_tcp_transport(std::string host, std::uint16_t port, tcp_options o = {});

/// Parses "file:/dev/usb/lp0", "file:///tmp/x.bin", "tcp://host[:port]" (default port 9100),
/// "tcp://[::1]:9100", "sim:" (an in-memory sim_printer). Fails with errc::bad_uri; nothing is
/// opened until the first write.
std::unique_ptr<printer_transport> make_transport(std::string_view uri, std::error_code& ec, tcp_options o = {});

}  // namespace kh::hardware::printer
