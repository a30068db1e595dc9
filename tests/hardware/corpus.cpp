// Scanner corpus generator (see corpus.hpp). Every random choice comes from one splitmix64 stream
// seeded by (seed, condition, size, index), so a sample never depends on which others were made.
#include "corpus.hpp"

#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <stdexcept>

namespace kh::scan_corpus {
namespace {

constexpr double k_pi = std::numbers::pi;

std::uint8_t clamp_u8(double v) {
  return static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
}

ZXing::BarcodeFormat zxing_format(code_format f) {
  switch (f) {
    case code_format::qr: return ZXing::BarcodeFormat::QRCode;
    case code_format::ean13: return ZXing::BarcodeFormat::EAN13;
    case code_format::upca: return ZXing::BarcodeFormat::UPCA;
    case code_format::code128: return ZXing::BarcodeFormat::Code128;
  }
  return ZXing::BarcodeFormat::QRCode;
}

// GS1 check digit over the digits given (EAN-13: 12 digits, UPC-A: 11).
char gs1_check_digit(const std::string& digits) {
  int sum = 0;
  const int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    const int d = digits[static_cast<std::size_t>(n - 1 - i)] - '0';
    sum += (i % 2 == 0) ? 3 * d : d;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

std::string random_text(code_format f, rng& r) {
  switch (f) {
    case code_format::qr: {
      // What a pickup ticket carries: an order id (UUID) behind a short scheme.
      static constexpr char hex[] = "0123456789abcdef";
      std::string id;
      for (int i = 0; i < 32; ++i) {
        if (i == 8 || i == 12 || i == 16 || i == 20) id += '-';
        id += hex[r.uniform_int(0, 15)];
      }
      return "kh:order:" + id;
    }
    case code_format::ean13: {
      std::string d(1, static_cast<char>('1' + r.uniform_int(0, 8)));  // not 0: that would be UPC-A
      for (int i = 0; i < 11; ++i) d += static_cast<char>('0' + r.uniform_int(0, 9));
      return d + gs1_check_digit(d);
    }
    case code_format::upca: {
      std::string d;
      for (int i = 0; i < 11; ++i) d += static_cast<char>('0' + r.uniform_int(0, 9));
      return d + gs1_check_digit(d);
    }
    case code_format::code128: {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%c-%03d", static_cast<char>('A' + r.uniform_int(0, 25)), r.uniform_int(0, 999));
      return buf;
    }
  }
  return {};
}

// The code as modules: true = dark. Quiet zones are added by the caller.
struct module_grid {
  int width = 0;
  int height = 0;
  std::vector<bool> dark;
  bool linear = false;
};

module_grid encode_modules(code_format f, const std::string& text) {
  auto writer = ZXing::MultiFormatWriter(zxing_format(f)).setMargin(0);
  if (f == code_format::qr) writer.setEccLevel(4);  // level M, as receipts print them
  const ZXing::BitMatrix m = writer.encode(text, 0, 0);
  module_grid g;
  g.linear = f != code_format::qr;
  g.width = m.width();
  if (g.linear) {
    // Bars as tall as on a real label: EAN/UPC about 0.55 of the symbol width, Code128 at least 0.25.
    const double ratio = f == code_format::code128 ? 0.25 : 0.55;
    g.height = std::max(24, static_cast<int>(std::lround(ratio * g.width)));
    for (int y = 0; y < g.height; ++y)
      for (int x = 0; x < g.width; ++x) g.dark.push_back(m.get(x, 0));
  } else {
    g.height = m.height();
    for (int y = 0; y < g.height; ++y)
      for (int x = 0; x < g.width; ++x) g.dark.push_back(m.get(x, y));
  }
  return g;
}

int quiet_modules(code_format f) { return f == code_format::qr ? 4 : 10; }

struct mat3 {
  double m[3][3];
};

// Homography taking the unit square's corners (0,0) (1,0) (1,1) (0,1) to q (Heckbert's form).
mat3 square_to_quad(const quad& q) {
  const double x0 = q[0].x, y0 = q[0].y, x1 = q[1].x, y1 = q[1].y;
  const double x2 = q[2].x, y2 = q[2].y, x3 = q[3].x, y3 = q[3].y;
  const double sx = x0 - x1 + x2 - x3, sy = y0 - y1 + y2 - y3;
  double g = 0, h = 0;
  if (std::abs(sx) > 1e-9 || std::abs(sy) > 1e-9) {
    const double dx1 = x1 - x2, dx2 = x3 - x2, dy1 = y1 - y2, dy2 = y3 - y2;
    const double den = dx1 * dy2 - dx2 * dy1;
    g = (sx * dy2 - dx2 * sy) / den;
    h = (dx1 * sy - sx * dy1) / den;
  }
  return mat3{{{x1 - x0 + g * x1, x3 - x0 + h * x3, x0}, {y1 - y0 + g * y1, y3 - y0 + h * y3, y0}, {g, h, 1}}};
}

mat3 inverse(const mat3& a) {
  const auto& m = a.m;
  const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                     m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                     m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  mat3 r{};
  r.m[0][0] = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) / det;
  r.m[0][1] = (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / det;
  r.m[0][2] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / det;
  r.m[1][0] = (m[1][2] * m[2][0] - m[1][0] * m[2][2]) / det;
  r.m[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det;
  r.m[1][2] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / det;
  r.m[2][0] = (m[1][0] * m[2][1] - m[1][1] * m[2][0]) / det;
  r.m[2][1] = (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / det;
  r.m[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det;
  return r;
}

double bilinear(const luminance_image& img, double x, double y) {
  x = std::clamp(x, 0.0, img.width() - 1.0);
  y = std::clamp(y, 0.0, img.height() - 1.0);
  const int x0 = static_cast<int>(x), y0 = static_cast<int>(y);
  const int x1 = std::min(x0 + 1, img.width() - 1), y1 = std::min(y0 + 1, img.height() - 1);
  const double fx = x - x0, fy = y - y0;
  const double top = img.at(x0, y0) * (1 - fx) + img.at(x1, y0) * fx;
  const double bottom = img.at(x0, y1) * (1 - fx) + img.at(x1, y1) * fx;
  return top * (1 - fy) + bottom * fy;
}

// ---- scene building ----

void draw_background(luminance_image& img, rng& r) {
  // A lighting gradient plus clutter (boxes and a few bar-like stripe groups that are not codes).
  const double base = r.uniform(90, 150), gx = r.uniform(-50, 50), gy = r.uniform(-40, 40);
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x)
      img.at(x, y) = clamp_u8(base + gx * x / img.width() + gy * y / img.height());
  const int boxes = r.uniform_int(4, 8);
  for (int i = 0; i < boxes; ++i) {
    const int w = r.uniform_int(img.width() / 20, img.width() / 4), h = r.uniform_int(img.height() / 20, img.height() / 4);
    const int x0 = r.uniform_int(0, img.width() - w), y0 = r.uniform_int(0, img.height() - h);
    const auto v = static_cast<std::uint8_t>(r.uniform_int(20, 235));
    for (int y = y0; y < y0 + h; ++y)
      for (int x = x0; x < x0 + w; ++x) img.at(x, y) = v;
  }
  const int stripes = r.uniform_int(1, 2);
  for (int i = 0; i < stripes; ++i) {
    const int h = r.uniform_int(img.height() / 24, img.height() / 10);
    int x = r.uniform_int(0, img.width() / 2);
    const int y0 = r.uniform_int(0, img.height() - h);
    const int end = std::min(img.width(), x + r.uniform_int(img.width() / 10, img.width() / 3));
    while (x < end) {
      const int w = r.uniform_int(1, 4);
      if (r.uniform_int(0, 1) == 1)
        for (int y = y0; y < y0 + h; ++y)
          for (int xx = x; xx < std::min(end, x + w); ++xx) img.at(xx, y) = 30;
      x += w;
    }
  }
}

struct code_spec {
  code_format format;
  std::string text;
  double module_px = 4;
  double angle_deg = 0;
  double tilt_deg = 0;   // perspective: how far the plane leans away
  double tilt_axis = 0;  // perspective: direction of the lean (radians)
  std::uint8_t dark = 30;
  std::uint8_t light = 220;
  bool inverted = false;
  bool covered = false;
};

struct placed_quad {
  quad corners;
  bool ok = false;
};

// Corners of a code plane of the given pixel size, centred at (cx, cy), rotated and tilted.
quad project_plane(double w, double h, double cx, double cy, double angle_deg, double tilt_deg,
                   double tilt_axis, double focal) {
  const double a = angle_deg * k_pi / 180;
  const double t = tilt_deg * k_pi / 180;
  const std::array<point_f, 4> local{{{-w / 2, -h / 2}, {w / 2, -h / 2}, {w / 2, h / 2}, {-w / 2, h / 2}}};
  quad q{};
  for (std::size_t i = 0; i < 4; ++i) {
    // In-plane rotation, then a lean of the plane about an in-plane axis, then a pinhole projection.
    double x = local[i].x * std::cos(a) - local[i].y * std::sin(a);
    double y = local[i].x * std::sin(a) + local[i].y * std::cos(a);
    const double ux = std::cos(tilt_axis), uy = std::sin(tilt_axis);  // the lean axis
    const double along = x * ux + y * uy;
    const double across = -x * uy + y * ux;
    const double z = across * std::sin(t);
    const double across_c = across * std::cos(t);
    x = along * ux - across_c * uy;
    y = along * uy + across_c * ux;
    const double s = focal / (focal + z);
    q[i] = {cx + x * s, cy + y * s};
  }
  return q;
}

// Renders one code onto the frame within the box [bx, bx+bw) × [by, by+bh). Shrinks the code until
// it fits. Returns false if it cannot fit at all.
bool place_code(luminance_image& frame, const code_spec& spec, int bx, int by, int bw, int bh, rng& r) {
  const module_grid g = encode_modules(spec.format, spec.text);
  const int q = quiet_modules(spec.format);
  const int mw = g.width + 2 * q, mh = g.height + 2 * q;
  // Source image at 6 px per module; the warp samples it bilinearly.
  constexpr int k_src_px = 6;
  const std::uint8_t ink = spec.inverted ? spec.light : spec.dark;
  const std::uint8_t paper = spec.inverted ? spec.dark : spec.light;
  luminance_image src(mw * k_src_px, mh * k_src_px, paper);
  for (int y = 0; y < g.height; ++y)
    for (int x = 0; x < g.width; ++x)
      if (g.dark[static_cast<std::size_t>(y) * static_cast<std::size_t>(g.width) + static_cast<std::size_t>(x)])
        for (int yy = 0; yy < k_src_px; ++yy)
          for (int xx = 0; xx < k_src_px; ++xx) src.at((x + q) * k_src_px + xx, (y + q) * k_src_px + yy) = ink;
  if (spec.covered) {
    // Something over the code: a finger-sized patch on a QR, a band across part of a linear code's
    // bar height (covering a slice of the bars would make any linear code unreadable).
    const auto shade = static_cast<std::uint8_t>(r.uniform_int(60, 200));
    int x0, y0, x1, y1;
    if (g.linear) {
      const double frac = r.uniform(0.3, 0.45);
      const int band = static_cast<int>(frac * g.height);
      x0 = q - 2;
      x1 = q + g.width + 2;
      if (r.uniform_int(0, 1) == 0) {
        y0 = q - 2;
        y1 = q + band;
      } else {
        y0 = q + g.height - band;
        y1 = q + g.height + 2;
      }
    } else {
      const int side = static_cast<int>(r.uniform(0.22, 0.3) * g.width);
      x0 = q + r.uniform_int(0, g.width - side);
      y0 = q + r.uniform_int(0, g.height - side);
      x1 = x0 + side;
      y1 = y0 + side;
    }
    for (int y = y0 * k_src_px; y < y1 * k_src_px; ++y)
      for (int x = x0 * k_src_px; x < x1 * k_src_px; ++x) src.at(x, y) = shade;
  }

  double module_px = spec.module_px;
  const double focal = 1.2 * frame.width();
  for (int attempt = 0; attempt < 40; ++attempt, module_px *= 0.93) {
    const double w = mw * module_px, h = mh * module_px;
    // Bounding box of the transformed plane centred at the origin, to find where it fits.
    const quad probe = project_plane(w, h, 0, 0, spec.angle_deg, spec.tilt_deg, spec.tilt_axis, focal);
    double minx = 1e9, maxx = -1e9, miny = 1e9, maxy = -1e9;
    for (const auto& p : probe) {
      minx = std::min(minx, p.x), maxx = std::max(maxx, p.x);
      miny = std::min(miny, p.y), maxy = std::max(maxy, p.y);
    }
    const double pw = maxx - minx, ph = maxy - miny;
    if (pw > bw - 4 || ph > bh - 4) continue;
    const double cx = bx + 2 - minx + r.uniform(0, bw - 4 - pw);
    const double cy = by + 2 - miny + r.uniform(0, bh - 4 - ph);
    quad where = probe;
    for (auto& p : where) p.x += cx, p.y += cy;
    warp_onto(src, where, frame);
    return true;
  }
  return false;
}

double log_uniform(rng& r, double lo, double hi) { return std::exp(r.uniform(std::log(lo), std::log(hi))); }

}  // namespace

// ---- rng ----

std::uint64_t rng::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double rng::uniform(double lo, double hi) {
  return lo + (hi - lo) * (static_cast<double>(next() >> 11) * 0x1.0p-53);
}

int rng::uniform_int(int lo, int hi) {
  const auto span = static_cast<std::uint64_t>(hi - lo + 1);
  return lo + static_cast<int>(next() % span);
}

double rng::gaussian() {
  const double u1 = std::max(uniform(0, 1), 1e-12), u2 = uniform(0, 1);
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * k_pi * u2);
}

// ---- transforms ----

void warp_onto(const luminance_image& src, const quad& where, luminance_image& dst) {
  const mat3 inv = inverse(square_to_quad(where));
  double minx = 1e9, maxx = -1e9, miny = 1e9, maxy = -1e9;
  for (const auto& p : where) {
    minx = std::min(minx, p.x), maxx = std::max(maxx, p.x);
    miny = std::min(miny, p.y), maxy = std::max(maxy, p.y);
  }
  // Supersample where the source is shrunk, so thin modules are averaged rather than aliased.
  const double edge = std::hypot(where[1].x - where[0].x, where[1].y - where[0].y);
  const int n = std::clamp(static_cast<int>(std::ceil(src.width() / std::max(edge, 1.0))), 1, 4);
  const int x_lo = std::max(0, static_cast<int>(std::floor(minx))), x_hi = std::min(dst.width() - 1, static_cast<int>(std::ceil(maxx)));
  const int y_lo = std::max(0, static_cast<int>(std::floor(miny))), y_hi = std::min(dst.height() - 1, static_cast<int>(std::ceil(maxy)));
  for (int y = y_lo; y <= y_hi; ++y) {
    for (int x = x_lo; x <= x_hi; ++x) {
      double sum = 0;
      int inside = 0;
      for (int sy = 0; sy < n; ++sy) {
        for (int sx = 0; sx < n; ++sx) {
          const double px = x + (sx + 0.5) / n, py = y + (sy + 0.5) / n;
          const double w = inv.m[2][0] * px + inv.m[2][1] * py + inv.m[2][2];
          const double u = (inv.m[0][0] * px + inv.m[0][1] * py + inv.m[0][2]) / w;
          const double v = (inv.m[1][0] * px + inv.m[1][1] * py + inv.m[1][2]) / w;
          if (u < 0 || u >= 1 || v < 0 || v >= 1) {
            sum += dst.at(x, y);
          } else {
            sum += bilinear(src, u * src.width() - 0.5, v * src.height() - 0.5);
            ++inside;
          }
        }
      }
      if (inside > 0) dst.at(x, y) = clamp_u8(sum / (n * n));
    }
  }
}

void gaussian_blur(luminance_image& img, double sigma) {
  if (sigma <= 0 || img.empty()) return;
  const int radius = std::max(1, static_cast<int>(std::ceil(3 * sigma)));
  std::vector<double> k(static_cast<std::size_t>(2 * radius + 1));
  double total = 0;
  for (int i = -radius; i <= radius; ++i) total += k[static_cast<std::size_t>(i + radius)] = std::exp(-i * i / (2 * sigma * sigma));
  for (auto& v : k) v /= total;
  const int w = img.width(), h = img.height();
  std::vector<double> tmp(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double s = 0;
      for (int i = -radius; i <= radius; ++i) s += k[static_cast<std::size_t>(i + radius)] * img.at(std::clamp(x + i, 0, w - 1), y);
      tmp[static_cast<std::size_t>(y) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x)] = s;
    }
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double s = 0;
      for (int i = -radius; i <= radius; ++i)
        s += k[static_cast<std::size_t>(i + radius)] *
             tmp[static_cast<std::size_t>(std::clamp(y + i, 0, h - 1)) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x)];
      img.at(x, y) = clamp_u8(s);
    }
}

void add_noise(luminance_image& img, double sigma, rng& r) {
  if (sigma <= 0) return;
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x) img.at(x, y) = clamp_u8(img.at(x, y) + sigma * r.gaussian());
}

void draw_turned(const luminance_image& src, double cx, double cy, double degrees, luminance_image& dst) {
  const double a = degrees * k_pi / 180.0, c = std::cos(a), s = std::sin(a);
  const double hw = src.width() / 2.0, hh = src.height() / 2.0;
  const std::array<std::array<double, 2>, 4> corners{{{-hw, -hh}, {hw, -hh}, {hw, hh}, {-hw, hh}}};
  quad where{};
  for (std::size_t i = 0; i < 4; ++i)
    where[i] = {cx + c * corners[i][0] - s * corners[i][1], cy + s * corners[i][0] + c * corners[i][1]};
  warp_onto(src, where, dst);
}

luminance_image render_code(code_format format, const std::string& text, int px_per_module, std::uint8_t dark,
                            std::uint8_t light) {
  const module_grid g = encode_modules(format, text);
  const int q = quiet_modules(format);
  luminance_image img((g.width + 2 * q) * px_per_module, (g.height + 2 * q) * px_per_module, light);
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x) {
      const int mx = x / px_per_module - q, my = y / px_per_module - q;
      if (mx >= 0 && my >= 0 && mx < g.width && my < g.height &&
          g.dark[static_cast<std::size_t>(my) * static_cast<std::size_t>(g.width) + static_cast<std::size_t>(mx)])
        img.at(x, y) = dark;
    }
  return img;
}

// ---- corpus ----

std::string_view to_string(condition c) noexcept {
  switch (c) {
    case condition::clean: return "clean";
    case condition::scaled: return "scaled";
    case condition::rotated: return "rotated";
    case condition::perspective: return "perspective";
    case condition::blurred: return "blurred";
    case condition::noisy: return "noisy";
    case condition::low_contrast: return "low_contrast";
    case condition::inverted: return "inverted";
    case condition::covered: return "covered";
    case condition::multiple: return "multiple";
    case condition::no_code: return "no_code";
  }
  return "?";
}

std::string sample::name() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-%dx%d-%02d", std::string(to_string(cond)).c_str(), image.width(), image.height(), index);
  return buf;
}

sample make_sample(condition cond, int width, int height, int index, std::uint32_t seed) {
  rng r(seed * 0x100000001b3ULL ^ (static_cast<std::uint64_t>(cond) << 40) ^
        (static_cast<std::uint64_t>(width) << 24) ^ (static_cast<std::uint64_t>(height) << 8) ^
        static_cast<std::uint64_t>(index));
  sample s{cond, index, luminance_image(width, height), {}};
  draw_background(s.image, r);

  static constexpr std::array formats{code_format::qr, code_format::ean13, code_format::upca, code_format::code128};
  auto spec_for = [&](code_format f) {
    code_spec spec{f, random_text(f, r)};
    spec.module_px = r.uniform(3, 5);
    spec.angle_deg = r.uniform(-4, 4);
    spec.light = static_cast<std::uint8_t>(r.uniform_int(190, 235));
    spec.dark = static_cast<std::uint8_t>(r.uniform_int(20, 60));
    return spec;
  };
  double blur = 0.6, noise = 3;

  if (cond == condition::no_code) {
    gaussian_blur(s.image, blur);
    add_noise(s.image, noise, r);
    return s;
  }
  if (cond == condition::multiple) {
    // Three codes in three cells of a 2×2 grid; the free cell moves with the index.
    static constexpr std::array<std::array<code_format, 3>, 4> sets{{
        {code_format::qr, code_format::ean13, code_format::code128},
        {code_format::qr, code_format::qr, code_format::upca},
        {code_format::code128, code_format::qr, code_format::ean13},
        {code_format::upca, code_format::code128, code_format::qr},
    }};
    const auto& set = sets[static_cast<std::size_t>(index) % sets.size()];
    const int skip = index % 4;
    std::size_t placed = 0;
    for (int cell = 0; cell < 4 && placed < 3; ++cell) {
      if (cell == skip) continue;
      code_spec spec = spec_for(set[placed]);
      spec.module_px = r.uniform(2.5, 4) * width / 640.0;
      const int cw = width / 2, ch = height / 2;
      if (place_code(s.image, spec, (cell % 2) * cw, (cell / 2) * ch, cw, ch, r))
        s.codes.push_back({spec.format, spec.text});
      ++placed;
    }
    gaussian_blur(s.image, blur);
    add_noise(s.image, noise, r);
    return s;
  }

  code_spec spec = spec_for(formats[static_cast<std::size_t>(index) % formats.size()]);
  switch (cond) {
    case condition::clean: break;
    case condition::scaled: spec.module_px = log_uniform(r, 1.5, 9.0) * width / 640.0; break;
    case condition::rotated: spec.angle_deg = r.uniform(0, 360); break;
    case condition::perspective:
      spec.tilt_deg = r.uniform(20, 50);
      spec.tilt_axis = r.uniform(0, 2 * k_pi);
      spec.module_px = r.uniform(3.5, 5);
      break;
    case condition::blurred:
      spec.module_px = r.uniform(4, 6);
      blur = spec.module_px * r.uniform(0.3, 0.55);
      break;
    case condition::noisy: noise = r.uniform(18, 32); break;
    case condition::low_contrast: {
      const double contrast = r.uniform(25, 50), mid = r.uniform(90, 170);
      spec.dark = clamp_u8(mid - contrast / 2);
      spec.light = clamp_u8(mid + contrast / 2);
      break;
    }
    case condition::inverted: spec.inverted = true; break;
    case condition::covered: spec.covered = true; break;
    case condition::multiple:
    case condition::no_code: break;
  }
  if (cond != condition::scaled) spec.module_px *= width / 640.0 > 1.5 ? 1.5 : 1.0;  // 720p: a bit closer
  if (place_code(s.image, spec, 0, 0, width, height, r)) s.codes.push_back({spec.format, spec.text});
  gaussian_blur(s.image, blur);
  add_noise(s.image, noise, r);
  return s;
}

std::vector<sample> make_corpus(int width, int height, int per_condition, const std::vector<condition>& conditions,
                                std::uint32_t seed) {
  std::vector<sample> out;
  out.reserve(conditions.size() * static_cast<std::size_t>(per_condition));
  for (condition c : conditions)
    for (int i = 0; i < per_condition; ++i) out.push_back(make_sample(c, width, height, i, seed));
  return out;
}

bool matches(const expected_code& want, code_format got_format, std::string_view got_text) {
  auto gtin = [](code_format f) { return f == code_format::ean13 || f == code_format::upca; };
  if (gtin(want.format) && gtin(got_format)) {
    auto as13 = [](std::string_view t) { return t.size() == 12 ? "0" + std::string(t) : std::string(t); };
    return as13(want.text) == as13(got_text);
  }
  return want.format == got_format && want.text == got_text;
}

int count_found(const sample& s, const std::vector<read_result>& reads) {
  std::vector<bool> used(reads.size());
  int found = 0;
  for (const auto& want : s.codes)
    for (std::size_t i = 0; i < reads.size(); ++i)
      if (!used[i] && matches(want, reads[i].format, reads[i].text)) {
        used[i] = true;
        ++found;
        break;
      }
  return found;
}

int count_unexpected(const sample& s, const std::vector<read_result>& reads) {
  int n = 0;
  for (const auto& got : reads) {
    const bool known = std::any_of(s.codes.begin(), s.codes.end(),
                                   [&](const expected_code& w) { return matches(w, got.format, got.text); });
    if (!known) ++n;
  }
  return n;
}

}  // namespace kh::scan_corpus
