// ESC/POS interpreter drawing into a monochrome bitmap. Byte access is always bounds-checked:
// a command cut short ends rendering with `truncated` set.
#include <algorithm>
#include <optional>
#include <cstdio>

#include "../escpos/symbols.hpp"
#include "font.hpp"
#include "kh/hardware/printer/codepage.hpp"
#include "kh/hardware/printer/render.hpp"

namespace kh::hardware::printer {
namespace {

constexpr int k_default_spacing = 30;  // ESC 2: 1/6 inch is ~34 dots at 203 dpi; 30 is TM-T20's

std::string hex(int b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b & 0xFF);
  return buf;
}

struct glyph_item {
  char32_t cp;
  bool bold, font_b;
  int underline, wm, hm;
};

class renderer {
 public:
  renderer(std::span<const std::uint8_t> b, const printer_profile& p, const render_options& o)
      : in_(b), w_(std::max(p.dot_width, 8)), opt_(o) {}

  render_result run() {
    while (!stop_ && pos_ < in_.size()) step();
    if (!stop_ && !line_.empty()) {
      warn("text after the last line feed (printed here; a printer would wait for LF)");
      flush_line();
    }
    const int h = std::max(y_, 1);
    ensure_rows(h);
    res_.image.width = w_;
    res_.image.height = h;
    px_.resize(static_cast<std::size_t>(w_) * h);
    res_.image.pixels = std::move(px_);
    return std::move(res_);
  }

 private:
  // ---- input -------------------------------------------------------------------------------
  bool need(std::size_t n) {
    if (pos_ + n <= in_.size()) return true;
    if (!res_.truncated) warn("input ends inside a command at offset " + std::to_string(cmd_start_));
    res_.truncated = true;
    stop_ = true;
    pos_ = in_.size();
    return false;
  }
  std::uint8_t at(std::size_t i) const { return in_[pos_ + i]; }

  void warn(std::string w) {
    if (res_.warnings.size() < opt_.max_warnings) res_.warnings.push_back(std::move(w));
    else if (res_.warnings.size() == opt_.max_warnings) res_.warnings.push_back("further warnings suppressed");
  }
  void unknown(std::string_view what, std::size_t skip) {
    std::string s = "unknown command ";
    s += what;
    for (std::size_t i = 1; i < skip && pos_ + i < in_.size(); ++i) s += " " + hex(at(i));
    warn(s + " at offset " + std::to_string(cmd_start_) + " skipped");
    pos_ = std::min(in_.size(), pos_ + skip);
  }

  // ---- canvas ------------------------------------------------------------------------------
  bool ensure_rows(int rows) {
    if (rows > opt_.max_height) {
      if (!stop_) warn("output longer than " + std::to_string(opt_.max_height) + " dots; rest not rendered");
      stop_ = true;
      return false;
    }
    if (rows > rows_) {
      rows_ = std::max({rows, rows_ * 2, 256});  // geometric growth: long receipts stay linear
      rows_ = std::min(rows_, opt_.max_height);
      px_.resize(static_cast<std::size_t>(w_) * rows_, 0);
    }
    return true;
  }
  void dot(int x, int y) {
    if (x >= 0 && x < w_ && y >= 0 && y < rows_) px_[static_cast<std::size_t>(y) * w_ + x] = 1;
  }
  bool advance(int dots) {
    if (dots <= 0) return true;
    if (!ensure_rows(y_ + dots)) return false;
    y_ += dots;
    return true;
  }
  int aligned_x(int width) const {
    if (width >= w_) return 0;
    switch (align_) {
      case 1: return (w_ - width) / 2;
      case 2: return w_ - width;
      default: return 0;
    }
  }

  // ---- text --------------------------------------------------------------------------------
  int cell_w(bool font_b) const { return font_b ? detail::k_font_b_w : detail::k_font_a_w; }
  int cell_h(bool font_b) const { return font_b ? detail::k_font_b_h : detail::k_font_a_h; }

  void add_char(char32_t cp) {
    const int cw = cell_w(font_b_) * wm_;
    if (line_w_ + cw > w_ && !line_.empty()) flush_line();  // the printer wraps at the paper edge
    if (stop_) return;
    if (line_.empty()) line_align_ = align_;
    line_.push_back({cp, bold_, font_b_, underline_, wm_, hm_});
    line_w_ += cw;
  }

  const detail::glyph& glyph_dots(char32_t cp, bool font_b) { return detail::cached_glyph(cp, font_b); }
  const mono_bitmap& glyph(char32_t cp, bool font_b) { return glyph_dots(cp, font_b).cell; }

  // Prints the line buffer (or feeds one empty line) and moves down.
  void flush_line() {
    int tallest = 0, width = 0;
    for (const auto& g : line_) {
      tallest = std::max(tallest, cell_h(g.font_b) * g.hm);
      width += cell_w(g.font_b) * g.wm;
    }
    const int adv = std::max(spacing_, tallest);
    if (!ensure_rows(y_ + adv)) return;
    const int saved_align = align_;
    align_ = line_align_;
    int x = aligned_x(width);
    align_ = saved_align;
    const int base = y_ + std::max(tallest, 0);  // glyphs sit on a common bottom line
    for (const auto& g : line_) {
      const auto& gd = glyph_dots(g.cp, g.font_b);
      const auto& cell = gd.cell;
      const int top = base - cell.height * g.hm;
      for (const auto& [cx, cy] : gd.dots)
        for (int sy = 0; sy < g.hm; ++sy)
          for (int sx = 0; sx < g.wm + (g.bold ? g.wm : 0); ++sx) dot(x + cx * g.wm + sx, top + cy * g.hm + sy);
      if (g.underline)
        for (int t = 0; t < g.underline; ++t)
          for (int ux = 0; ux < cell.width * g.wm; ++ux) dot(x + ux, base - 1 - t);
      x += cell.width * g.wm;
    }
    line_.clear();
    line_w_ = 0;
    y_ += adv;
  }
  void flush_if_pending() {
    if (!line_.empty()) flush_line();
  }

  // ---- graphics ----------------------------------------------------------------------------
  void blit(const mono_bitmap& img, int sx, int sy, std::string_view what) {
    const int width = img.width * sx, height = img.height * sy;
    if (width > w_) warn(std::string(what) + " is " + std::to_string(width) + " dots wide, paper " + std::to_string(w_) + ": clipped");
    if (!ensure_rows(y_ + height)) return;
    const int x0 = aligned_x(width);
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x)
        if (img.pixels[static_cast<std::size_t>(y) * img.width + x])
          for (int dy = 0; dy < sy; ++dy)
            for (int dx = 0; dx < sx; ++dx) dot(x0 + x * sx + dx, y_ + y * sy + dy);
    y_ += height;
  }

  void hri_text(const std::string& text) {
    const bool fb = hri_font_b_;
    int width = static_cast<int>(text.size()) * cell_w(fb);
    const int x0 = aligned_x(width);
    if (!ensure_rows(y_ + cell_h(fb) + 2)) return;
    int x = x0;
    for (const char c : text) {
      const auto& cell = glyph(static_cast<unsigned char>(c), fb);
      for (int cy = 0; cy < cell.height; ++cy)
        for (int cx = 0; cx < cell.width; ++cx)
          if (cell.pixels[static_cast<std::size_t>(cy) * cell.width + cx]) dot(x + cx, y_ + 1 + cy);
      x += cell.width;
    }
    y_ += cell_h(fb) + 2;
  }

  void draw_bars(const std::vector<bool>& modules, const std::string& hri) {
    const int width = static_cast<int>(modules.size()) * bc_width_;
    if (width > w_) {
      // Epson printers ignore a barcode that does not fit the print area.
      warn("barcode " + std::to_string(width) + " dots wide does not fit " + std::to_string(w_) + ": not printed");
      return;
    }
    if (hri_ & 1) hri_text(hri);
    if (!ensure_rows(y_ + bc_height_)) return;
    const int x0 = aligned_x(width);
    for (std::size_t i = 0; i < modules.size(); ++i)
      if (modules[i])
        for (int dx = 0; dx < bc_width_; ++dx)
          for (int y = 0; y < bc_height_; ++y) dot(x0 + static_cast<int>(i) * bc_width_ + dx, y_ + y);
    y_ += bc_height_;
    if (hri_ & 2) hri_text(hri);
  }

  void barcode(int m, std::string_view data) {
    flush_if_pending();
    if (m == 73) {  // Code128 with code set selectors
      std::string text;
      int set = 'B';
      std::size_t i = 0;
      if (data.size() < 2 || data[0] != '{' || (data[1] != 'A' && data[1] != 'B' && data[1] != 'C'))
        warn("Code128 data does not start with a code set ({A, {B or {C); assuming B");
      while (i < data.size()) {
        const char c = data[i];
        if (c == '{' && i + 1 < data.size()) {
          const char k = data[i + 1];
          i += 2;
          if (k == 'A' || k == 'B' || k == 'C') set = k;
          else if (k == '{') text.push_back('{');
          else if (k == 'S' && i < data.size()) text.push_back(data[i++]);
          // {1..{4 are FNC1-4: they carry no text.
          continue;
        }
        ++i;
        if (set == 'C') {
          const auto v = static_cast<unsigned char>(c);
          if (v > 99) {
            warn("Code128 set C value over 99 ignored");
            continue;
          }
          text.push_back(static_cast<char>('0' + v / 10));
          text.push_back(static_cast<char>('0' + v % 10));
        } else {
          text.push_back(c);
        }
      }
      const auto bars = text.empty() ? std::nullopt : detail::code128_modules(text);
      if (!bars) return warn("Code128 data cannot be encoded: not printed");
      return draw_bars(*bars, text);
    }
    if (m == 67 || m == 2) {  // EAN-13
      std::string digits(data.substr(0, std::min<std::size_t>(data.size(), 13)));
      if (digits.size() < 12) return warn("EAN-13 needs 12 or 13 digits: not printed");
      const int check = escpos::ean13_check_digit(digits.substr(0, 12));
      if (check < 0) return warn("EAN-13 data is not digits: not printed");
      if (digits.size() == 13 && digits[12] - '0' != check) warn("EAN-13 check digit wrong; printer recomputes it");
      digits.resize(12);
      digits.push_back(static_cast<char>('0' + check));
      const auto bars = detail::ean13_modules(digits);
      if (!bars) return warn("EAN-13 cannot be encoded: not printed");
      return draw_bars(*bars, digits);
    }
    warn("barcode type " + std::to_string(m) + " not supported: skipped");
  }

  void qr_print() {
    flush_if_pending();
    if (qr_data_.empty()) return warn("QR print without stored data");
    // Printing the same stored symbol again (a common pattern) reuses the last encoding.
    if (qr_cache_data_ != qr_data_ || qr_cache_ecc_ != qr_ecc_) {
      qr_cache_ = detail::qr_modules(qr_data_, static_cast<escpos::qr_ecc>(std::clamp(qr_ecc_, 48, 51)));
      qr_cache_data_ = qr_data_;
      qr_cache_ecc_ = qr_ecc_;
    }
    if (!qr_cache_) return warn("QR data cannot be encoded: not printed");
    blit(*qr_cache_, qr_module_, qr_module_, "QR code");
  }

  // ---- commands ----------------------------------------------------------------------------
  void step() {
    cmd_start_ = pos_;
    const std::uint8_t b = in_[pos_];
    if (b >= 0x20 && b != 0x7F) {
      ++pos_;
      add_char(code_page_to_unicode(b, cp_));
      return;
    }
    switch (b) {
      case 0x0A: ++pos_; flush_line(); return;
      case 0x0D: ++pos_; return;  // CR: ignored, as with most printers' default setting
      case 0x09: {               // HT: next tab stop every 8 columns
        ++pos_;
        const int col = line_w_ / (cell_w(font_b_) * wm_);
        for (int k = col; k < (col / 8 + 1) * 8; ++k) add_char(U' ');
        return;
      }
      case 0x0C: ++pos_; return;  // FF: page mode only
      case 0x1B: return esc();
      case 0x1D: return gs();
      case 0x10: return dle();
      case 0x1C: return unknown("FS", 2);
      default: return unknown(hex(b), 1);
    }
  }

  void esc() {
    if (!need(2)) return;
    const int c = at(1);
    const auto arg = [&](std::size_t n) -> bool { return need(2 + n); };
    switch (c) {
      case '@':
        pos_ += 2;
        reset();
        return;
      case 't':
        if (!arg(1)) return;
        if (at(2) == 0) cp_ = code_page::cp437;
        else if (at(2) == 19) cp_ = code_page::cp858;
        else {
          warn("code page " + std::to_string(at(2)) + " not supported; using CP437");
          cp_ = code_page::cp437;
        }
        pos_ += 3;
        return;
      case 'E': case 'G':
        if (!arg(1)) return;
        bold_ = at(2) & 1;
        pos_ += 3;
        return;
      case '-':
        if (!arg(1)) return;
        underline_ = (at(2) % 48) > 2 ? 0 : at(2) % 48;
        pos_ += 3;
        return;
      case '!':
        if (!arg(1)) return;
        font_b_ = at(2) & 0x01;
        bold_ = at(2) & 0x08;
        hm_ = (at(2) & 0x10) ? 2 : 1;
        wm_ = (at(2) & 0x20) ? 2 : 1;
        underline_ = (at(2) & 0x80) ? 1 : 0;
        pos_ += 3;
        return;
      case 'M':
        if (!arg(1)) return;
        font_b_ = (at(2) % 48) == 1;
        pos_ += 3;
        return;
      case 'a':
        if (!arg(1)) return;
        align_ = (at(2) % 48) > 2 ? 0 : at(2) % 48;
        pos_ += 3;
        return;
      case 'd':
        if (!arg(1)) return;
      {
        const int n = at(2);
        pos_ += 3;
        flush_if_pending();
        advance(n * spacing_);
        return;
      }
      case 'J':
      {
        if (!arg(1)) return;
        const int n = at(2);
        pos_ += 3;
        if (!line_.empty()) {
          const int s = spacing_;
          spacing_ = 0;  // print the line without its own feed, then feed n dots
          flush_line();
          spacing_ = s;
        }
        advance(n);
        return;
      }
      case '2':
        pos_ += 2;
        spacing_ = k_default_spacing;
        return;
      case '3':
        if (!arg(1)) return;
        spacing_ = at(2);
        pos_ += 3;
        return;
      case 'p':
        if (!arg(3)) return;
        ++res_.drawer_pulses;
        pos_ += 5;
        return;
      case 'r': case 'R': case 'V': case '{': case 'c':
        if (!arg(1)) return;
        warn("ESC " + std::string(1, static_cast<char>(c)) + " not supported: ignored");
        pos_ += 3;
        return;
      default:
        return unknown("ESC " + hex(c), 2);
    }
  }

  void gs() {
    if (!need(2)) return;
    const int c = at(1);
    const auto arg = [&](std::size_t n) -> bool { return need(2 + n); };
    switch (c) {
      case '!':
        if (!arg(1)) return;
        wm_ = ((at(2) >> 4) & 7) + 1;
        hm_ = (at(2) & 7) + 1;
        pos_ += 3;
        return;
      case 'V': {
        if (!arg(1)) return;
        const int m = at(2);
        int feed = 0;
        std::size_t len = 3;
        if (m == 65 || m == 66 || m == 97 || m == 98 || m == 103 || m == 104) {
          if (!arg(2)) return;
          feed = at(3);
          len = 4;
        } else if (m != 0 && m != 1 && m != 48 && m != 49) {
          return unknown("GS V " + hex(m), 3);
        }
        pos_ += len;
        flush_if_pending();
        if (!advance(feed + 4)) return;
        cut_mark(m == 1 || m == 49 || m == 66 || m == 98 || m == 104);
        advance(8);
        return;
      }
      case 'H':
        if (!arg(1)) return;
        hri_ = (at(2) % 48) & 3;
        pos_ += 3;
        return;
      case 'f':
        if (!arg(1)) return;
        hri_font_b_ = (at(2) % 48) == 1;
        pos_ += 3;
        return;
      case 'h':
        if (!arg(1)) return;
        bc_height_ = std::max<int>(1, at(2));
        pos_ += 3;
        return;
      case 'w':
        if (!arg(1)) return;
        bc_width_ = std::clamp<int>(at(2), 1, 6);
        pos_ += 3;
        return;
      case 'k': {
        if (!arg(1)) return;
        const int m = at(2);
        if (m <= 6) {  // function A: NUL-terminated
          std::size_t n = 0;
          while (pos_ + 3 + n < in_.size() && at(3 + n) != 0) ++n;
          if (!arg(1 + n + 1)) return;
          const std::string data(reinterpret_cast<const char*>(&in_[pos_ + 3]), n);
          pos_ += 3 + n + 1;
          return barcode(m, data);
        }
        if (!arg(2)) return;
        const std::size_t n = at(3);
        if (!arg(2 + n)) return;
        const std::string data(reinterpret_cast<const char*>(&in_[pos_ + 4]), n);
        pos_ += 4 + n;
        return barcode(m, data);
      }
      case 'v': {
        if (!arg(6)) return;
        if (at(2) != '0') return unknown("GS v " + hex(at(2)), 3);
        const int m = at(3) % 48;
        const int xb = at(4) | (at(5) << 8), h = at(6) | (at(7) << 8);
        const std::size_t n = static_cast<std::size_t>(xb) * h;
        if (!arg(6 + n)) return;
        const std::uint8_t* d = &in_[pos_ + 8];
        pos_ += 8 + n;
        flush_if_pending();
        if (xb == 0 || h == 0) return;
        // Only the part that can land on the paper is unpacked, so huge headers cost nothing.
        const int width = std::min(xb * 8, w_);
        mono_bitmap img(width, h);
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < width; ++x)
            if (d[static_cast<std::size_t>(y) * xb + x / 8] & (0x80 >> (x % 8))) img.set(x, y);
        if (xb * 8 > w_) warn("raster image wider than the paper: clipped");
        blit(img, (m & 1) ? 2 : 1, (m & 2) ? 2 : 1, "raster image");
        return;
      }
      case '(': {
        if (!arg(3)) return;
        const int fn_group = at(2);
        const std::size_t len = at(3) | (at(4) << 8);
        if (!arg(3 + len)) return;
        const std::size_t body = pos_ + 5;
        pos_ += 5 + len;
        if (fn_group != 'k') return warn("GS ( " + hex(fn_group) + " not supported: skipped");
        return symbol(body, len);
      }
      case 'B': case 'b':
        if (!arg(1)) return;
        warn("GS " + std::string(1, static_cast<char>(c)) + " not supported: ignored");
        pos_ += 3;
        return;
      case 'L': case 'W':
        if (!arg(2)) return;
        warn("GS " + std::string(1, static_cast<char>(c)) + " (margins/print width) not supported: ignored");
        pos_ += 4;
        return;
      default:
        return unknown("GS " + hex(c), 2);
    }
  }

  // GS ( k body: cn fn params...
  void symbol(std::size_t body, std::size_t len) {
    if (len < 2) return warn("GS ( k too short: skipped");
    const int cn = in_[body], fn = in_[body + 1];
    if (cn != 49) return warn("2D symbol type cn=" + std::to_string(cn) + " not supported: skipped");
    const auto p = [&](std::size_t i) -> int { return i + 2 < len ? in_[body + 2 + i] : -1; };
    switch (fn) {
      case 65:
        if (p(0) != 50) warn("QR model other than 2 requested; drawing model 2");
        return;
      case 67:
        if (p(0) >= 1 && p(0) <= 16) qr_module_ = p(0);
        else warn("QR module size out of range: ignored");
        return;
      case 69:
        if (p(0) >= 48 && p(0) <= 51) qr_ecc_ = p(0);
        else warn("QR error correction level out of range: ignored");
        return;
      case 80:
        qr_data_.assign(reinterpret_cast<const char*>(&in_[body]) + 3, len >= 3 ? len - 3 : 0);
        return;
      case 81: return qr_print();
      case 82: return;  // "transmit size information": nothing to draw
      default: return warn("GS ( k QR function " + std::to_string(fn) + " not supported: skipped");
    }
  }

  void dle() {
    if (!need(2)) return;
    const int c = at(1);
    if (c == 0x04 || c == 0x05) {  // DLE EOT n / DLE ENQ n: real-time, nothing printed
      if (!need(3)) return;
      pos_ += 3;
      return;
    }
    if (c == 0x14) {  // DLE DC4 fn m t: real-time pulse
      if (!need(5)) return;
      ++res_.drawer_pulses;
      pos_ += 5;
      return;
    }
    unknown("DLE " + hex(c), 2);
  }

  void cut_mark(bool partial) {
    if (!ensure_rows(y_ + 2)) return;
    // Full cut: long dashes across; partial: short dashes with the middle left uncut.
    for (int x = 0; x < w_; ++x) {
      const bool on = partial ? ((x / 4) % 2 == 0 && std::abs(x - w_ / 2) > w_ / 16) : ((x / 12) % 3 != 2);
      if (on) dot(x, y_), dot(x, y_ + 1);
    }
    y_ += 2;
    ++res_.cuts;
  }

  void reset() {
    line_.clear();
    line_w_ = 0;
    cp_ = code_page::cp437;
    bold_ = font_b_ = false;
    underline_ = 0;
    wm_ = hm_ = 1;
    align_ = 0;
    spacing_ = k_default_spacing;
    hri_ = 0;
    hri_font_b_ = false;
    bc_height_ = 162;
    bc_width_ = 3;
  }

  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0, cmd_start_ = 0;
  const int w_;
  render_options opt_;
  render_result res_;
  std::vector<std::uint8_t> px_;
  int rows_ = 0, y_ = 0;
  bool stop_ = false;

  code_page cp_ = code_page::cp437;
  bool bold_ = false, font_b_ = false;
  int underline_ = 0, wm_ = 1, hm_ = 1, align_ = 0, spacing_ = k_default_spacing;
  std::vector<glyph_item> line_;
  int line_w_ = 0, line_align_ = 0;

  int hri_ = 0, bc_height_ = 162, bc_width_ = 3;
  bool hri_font_b_ = false;
  int qr_module_ = 3, qr_ecc_ = 48;
  std::string qr_data_;
  std::string qr_cache_data_;
  int qr_cache_ecc_ = 0;
  std::optional<mono_bitmap> qr_cache_;
};

}  // namespace

render_result render_escpos(std::span<const std::uint8_t> bytes, const printer_profile& profile, const render_options& opt) {
  return renderer(bytes, profile, opt).run();
}

}  // namespace kh::hardware::printer
