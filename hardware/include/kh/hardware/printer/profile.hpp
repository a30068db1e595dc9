#pragma once
// Printer profiles: paper width in characters and dots, and which optional features the printer has.
#include <optional>
#include <string_view>

namespace kh::hardware::printer {

/// A printer model class. Fonts are Epson font A (12x24 dots) at 203 dpi.
struct printer_profile {
  std::string_view name;    ///< "58mm" / "80mm"
  int columns = 48;         ///< characters per line in font A at normal size
  int dot_width = 576;      ///< printable width in dots
  bool native_qr = true;    ///< understands GS ( k; otherwise QR codes are sent as raster images
  int qr_module_dots = 6;   ///< module size used for receipts' QR codes

  /// 58 mm roll: 32 columns, 384 dots, native QR.
  static printer_profile mm58() noexcept { return {"58mm", 32, 384, true, 5}; }
  /// 80 mm roll: 48 columns, 576 dots, native QR.
  static printer_profile mm80() noexcept { return {"80mm", 48, 576, true, 6}; }
  /// The same profile with native QR switched off (QR goes out as GS v 0 raster).
  printer_profile without_native_qr() const noexcept {
    auto p = *this;
    p.native_qr = false;
    return p;
  }
  /// "58" / "58mm" / "80" / "80mm" → profile; anything else → nullopt.
  static std::optional<printer_profile> from_name(std::string_view n) noexcept {
    if (n == "58" || n == "58mm") return mm58();
    if (n == "80" || n == "80mm") return mm80();
    return std::nullopt;
  }
};

}  // namespace kh::hardware::printer
