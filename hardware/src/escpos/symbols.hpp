#pragma once
// Barcode/QR module patterns drawn with ZXing's writer, shared by the encoder (raster QR for
// printers without native QR) and the renderer (drawing GS ( k and GS k as the printer would).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kh/hardware/printer/encoder.hpp"
#include "kh/hardware/printer/image.hpp"

namespace kh::hardware::printer::detail {

/// QR model 2 modules, one pixel per module, no quiet zone. nullopt if ZXing cannot encode it.
std::optional<mono_bitmap> qr_modules(std::string_view data, escpos::qr_ecc ecc);
/// Code128 bar pattern (true = bar), one entry per module, no quiet zone.
std::optional<std::vector<bool>> code128_modules(std::string_view text);
/// EAN-13 pattern for 12 or 13 digits (13th must be the right check digit).
std::optional<std::vector<bool>> ean13_modules(std::string_view digits);

}  // namespace kh::hardware::printer::detail
