#include "web/qr.hpp"

#include <stdexcept>

#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

#include "web/image.hpp"

namespace kh::hub::web {

qr_matrix make_qr(const std::string& text) {
  if (text.empty() || text.size() > 1000) throw std::invalid_argument("qr: text empty or too long");
  // Width/height 1 asks for the smallest matrix: one pixel per module, margin added below.
  const auto bits = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
                        .setEncoding(ZXing::CharacterSet::UTF8)
                        .setEccLevel(4)  // 0-8 in ZXing 1.4: 4 ≈ level M
                        .setMargin(0)
                        .encode(text, 1, 1);
  const int n = bits.width();
  if (n <= 0 || bits.height() != n) throw std::invalid_argument("qr: encoder gave no square matrix");
  constexpr int quiet = 4;
  qr_matrix m;
  m.size = n + 2 * quiet;
  m.dark.assign(static_cast<std::size_t>(m.size) * m.size, 0);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x)
      if (bits.get(x, y)) m.dark[static_cast<std::size_t>(y + quiet) * m.size + x + quiet] = 1;
  return m;
}

std::string qr_svg(const qr_matrix& m) {
  std::string path;
  for (int y = 0; y < m.size; ++y) {
    int x = 0;
    while (x < m.size) {
      if (!m.dark[static_cast<std::size_t>(y) * m.size + x]) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < m.size && m.dark[static_cast<std::size_t>(y) * m.size + x + run]) ++run;
      path += "M" + std::to_string(x) + " " + std::to_string(y) + "h" + std::to_string(run) + "v1h-" +
              std::to_string(run) + "z";
      x += run;
    }
  }
  const std::string s = std::to_string(m.size);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + s + " " + s +
         "\" shape-rendering=\"crispEdges\"><rect width=\"" + s + "\" height=\"" + s +
         "\" fill=\"#fff\"/><path fill=\"#000\" d=\"" + path + "\"/></svg>";
}

std::string qr_png(const qr_matrix& m, int scale) {
  const int w = m.size * scale;
  std::vector<std::uint8_t> grey(static_cast<std::size_t>(w) * w, 255);
  for (int y = 0; y < w; ++y)
    for (int x = 0; x < w; ++x)
      if (m.dark[static_cast<std::size_t>(y / scale) * m.size + x / scale]) grey[static_cast<std::size_t>(y) * w + x] = 0;
  return encode_grey_png(grey, w, w);
}

}  // namespace kh::hub::web
