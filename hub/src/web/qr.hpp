#pragma once
// QR codes made with ZXing-C++'s writer, as SVG (one path, crisp at any size) and PNG.

#include <string>
#include <vector>

namespace kh::hub::web {

struct qr_matrix {
  int size = 0;                     ///< modules per side, quiet zone included
  std::vector<unsigned char> dark;  ///< size × size, 1 = dark module
};

/// Encodes `text` (UTF-8) with ECC level M and a 4-module quiet zone. Throws
/// std::invalid_argument when the text does not fit a QR code.
qr_matrix make_qr(const std::string& text);
/// SVG with one <path> (viewBox in modules).
std::string qr_svg(const qr_matrix& m);
/// PNG, `scale` pixels per module.
std::string qr_png(const qr_matrix& m, int scale = 8);

}  // namespace kh::hub::web
