#include "symbols.hpp"

#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

#include <exception>

namespace kh::hardware::printer::detail {
namespace {

// ZXing 1.4's writer takes ECC as 0..8 and maps (level-1)/2 onto L, M, Q, H.
int zxing_ecc(escpos::qr_ecc e) {
  switch (e) {
    case escpos::qr_ecc::L: return 2;
    case escpos::qr_ecc::M: return 4;
    case escpos::qr_ecc::Q: return 6;
    case escpos::qr_ecc::H: return 8;
  }
  return 4;
}

std::optional<std::vector<bool>> linear(ZXing::BarcodeFormat f, std::string_view text) {
  try {
    const auto m = ZXing::MultiFormatWriter(f).setMargin(0).encode(std::string(text), 0, 1);
    if (m.width() <= 0 || m.height() <= 0) return std::nullopt;
    std::vector<bool> out(m.width());
    for (int x = 0; x < m.width(); ++x) out[x] = m.get(x, 0);
    return out;
  } catch (const std::exception&) {
    // The writer throws on contents it cannot encode; for us that is just "no symbol".
    return std::nullopt;
  }
}

}  // namespace

std::optional<mono_bitmap> qr_modules(std::string_view data, escpos::qr_ecc ecc) {
  try {
    const auto m = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
                       .setMargin(0)
                       .setEccLevel(zxing_ecc(ecc))
                       .encode(std::string(data), 0, 0);
    if (m.width() <= 0 || m.height() <= 0) return std::nullopt;
    mono_bitmap out(m.width(), m.height());
    for (int y = 0; y < m.height(); ++y)
      for (int x = 0; x < m.width(); ++x) out.set(x, y, m.get(x, y));
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::vector<bool>> code128_modules(std::string_view text) {
  return linear(ZXing::BarcodeFormat::Code128, text);
}

std::optional<std::vector<bool>> ean13_modules(std::string_view digits) {
  return linear(ZXing::BarcodeFormat::EAN13, digits);
}

}  // namespace kh::hardware::printer::detail
