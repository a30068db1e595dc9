// Simulated printer: keeps the job bytes, answers DLE EOT from its fault switches.
#include "kh/hardware/printer/sim_printer.hpp"

namespace kh::hardware::printer {

std::error_code sim_printer::write(std::span<const std::uint8_t> bytes) {
  if (bytes.size() == 3 && bytes[0] == 0x10 && bytes[1] == 0x04) {
    std::uint8_t a = 0x12;
    switch (bytes[2]) {
      case 1: a |= (offline_ || paper_out_ || cover_open_) ? 0x08 : 0; break;
      case 2: a |= (cover_open_ ? 0x04 : 0) | (paper_out_ ? 0x20 : 0); break;
      case 3: break;
      case 4: a |= (near_end_ || paper_out_ ? 0x0C : 0) | (paper_out_ ? 0x60 : 0); break;
      default: return {};  // a real printer ignores other n
    }
    answers_.push_back(a);
    return {};
  }
  if (paper_out_) return errc::paper_out;
  if (cover_open_) return errc::cover_open;
  if (offline_) return errc::offline;
  printed_.insert(printed_.end(), bytes.begin(), bytes.end());
  return {};
}

std::error_code sim_printer::read(std::span<std::uint8_t> out, std::chrono::milliseconds) {
  if (answers_.size() < out.size()) return errc::timeout;
  for (auto& b : out) {
    b = answers_.front();
    answers_.pop_front();
  }
  return {};
}

}  // namespace kh::hardware::printer
