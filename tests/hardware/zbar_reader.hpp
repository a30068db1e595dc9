#pragma once
// zbar (libzbar, C API) reading a corpus frame with the kh scanner's symbologies: the reference the
// scanner is measured against, in the bench (tests/bench/scan) and in the corpus test.
#include "corpus.hpp"

#include <zbar.h>

#include <string>
#include <vector>

namespace kh::scan_corpus {

struct zbar_reader {
  zbar::zbar_image_scanner_t* scanner = zbar::zbar_image_scanner_create();
  zbar_reader() {
    // Same symbologies as the kh scanner: everything off, then QR, EAN-13, UPC-A, Code128 on.
    zbar::zbar_image_scanner_set_config(scanner, zbar::ZBAR_NONE, zbar::ZBAR_CFG_ENABLE, 0);
    for (auto sym : {zbar::ZBAR_QRCODE, zbar::ZBAR_EAN13, zbar::ZBAR_UPCA, zbar::ZBAR_CODE128})
      zbar::zbar_image_scanner_set_config(scanner, sym, zbar::ZBAR_CFG_ENABLE, 1);
  }
  ~zbar_reader() { zbar::zbar_image_scanner_destroy(scanner); }
  zbar_reader(const zbar_reader&) = delete;
  zbar_reader& operator=(const zbar_reader&) = delete;

  std::vector<read_result> read(const luminance_image& img) {
    zbar::zbar_image_t* image = zbar::zbar_image_create();
    zbar::zbar_image_set_format(image, zbar_fourcc('Y', '8', '0', '0'));
    zbar::zbar_image_set_size(image, static_cast<unsigned>(img.width()), static_cast<unsigned>(img.height()));
    zbar::zbar_image_set_data(image, img.data(), static_cast<unsigned long>(img.width()) * static_cast<unsigned long>(img.height()),
                              nullptr);
    std::vector<read_result> out;
    if (zbar::zbar_scan_image(scanner, image) > 0) {
      for (const zbar::zbar_symbol_t* s = zbar::zbar_image_first_symbol(image); s; s = zbar::zbar_symbol_next(s)) {
        code_format f;
        switch (zbar::zbar_symbol_get_type(s)) {
          case zbar::ZBAR_QRCODE: f = code_format::qr; break;
          case zbar::ZBAR_EAN13: f = code_format::ean13; break;
          case zbar::ZBAR_UPCA: f = code_format::upca; break;
          case zbar::ZBAR_CODE128: f = code_format::code128; break;
          default: continue;
        }
        out.push_back({f, std::string(zbar::zbar_symbol_get_data(s), zbar::zbar_symbol_get_data_length(s))});
      }
    }
    zbar::zbar_image_destroy(image);
    return out;
  }
};

}  // namespace kh::scan_corpus
