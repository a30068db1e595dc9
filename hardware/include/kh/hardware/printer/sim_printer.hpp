#pragma once
// In-memory printer: keeps what it printed, answers DLE EOT, and can be put into fault states.
#include <cstdint>
#include <deque>
#include <vector>

#include "kh/hardware/printer/transport.hpp"

namespace kh::hardware::printer {

class sim_printer final : public printer_transport {
 public:
  /// Paper, cover and online state, as the status sensors would report them.
  void set_paper_out(bool v) noexcept { paper_out_ = v; }
  void set_paper_near_end(bool v) noexcept { near_end_ = v; }
  void set_cover_open(bool v) noexcept { cover_open_ = v; }
  void set_offline(bool v) noexcept { offline_ = v; }

  /// Job bytes received (status queries excluded), in order.
  const std::vector<std::uint8_t>& printed() const noexcept { return printed_; }
  void clear() noexcept { printed_.clear(); }

  /// A write that is exactly DLE EOT n is a status query: it queues the answer byte. Other bytes
  /// are printed, unless the printer cannot print (paper out, cover open, offline): then the
  /// write fails with that condition and nothing is kept.
  std::error_code write(std::span<const std::uint8_t> bytes) override;
  /// Returns queued status answers; errc::timeout at once if none are queued (a real printer that
  /// does not answer would take the whole timeout; the sim has no reason to wait).
  std::error_code read(std::span<std::uint8_t> out, std::chrono::milliseconds timeout) override;
  bool two_way() const noexcept override { return true; }
  std::string describe() const override { return "sim:"; }

 private:
  bool paper_out_ = false, near_end_ = false, cover_open_ = false, offline_ = false;
  std::vector<std::uint8_t> printed_;
  std::deque<std::uint8_t> answers_;
};

}  // namespace kh::hardware::printer
