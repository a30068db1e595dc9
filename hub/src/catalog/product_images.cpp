#include "kh/hub/catalog/product_images.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include <ft2build.h>
#include FT_FREETYPE_H
#include <png.h>

namespace kh::hub {

namespace {

struct rgba {
  std::uint8_t r = 0, g = 0, b = 0, a = 0;
};

struct canvas {
  int w = 0, h = 0;
  std::vector<rgba> px;
  canvas(int w_, int h_) : w(w_), h(h_), px(static_cast<std::size_t>(w_ * h_)) {}
  rgba& at(int x, int y) { return px[static_cast<std::size_t>(y * w + x)]; }
};

// Source-over blend of a straight-alpha colour.
void blend(rgba& d, rgba s, double cover = 1.0) {
  const double a = (s.a / 255.0) * cover;
  if (a <= 0) return;
  const double da = d.a / 255.0;
  const double oa = a + da * (1 - a);
  auto ch = [&](std::uint8_t sc, std::uint8_t dc) {
    return static_cast<std::uint8_t>(std::lround((sc * a + dc * da * (1 - a)) / (oa > 0 ? oa : 1)));
  };
  d = {ch(s.r, d.r), ch(s.g, d.g), ch(s.b, d.b), static_cast<std::uint8_t>(std::lround(oa * 255))};
}

// Rounded card with a soft edge (2x2 supersampling at the corners).
void draw_card(canvas& c, rgba colour) {
  const double r = c.w * 0.14;
  for (int y = 0; y < c.h; ++y) {
    for (int x = 0; x < c.w; ++x) {
      int inside = 0;
      for (int sy = 0; sy < 2; ++sy) {
        for (int sx = 0; sx < 2; ++sx) {
          const double px = x + 0.25 + 0.5 * sx, py = y + 0.25 + 0.5 * sy;
          const double cx = std::clamp(px, r, c.w - r), cy = std::clamp(py, r, c.h - r);
          if ((px - cx) * (px - cx) + (py - cy) * (py - cy) <= r * r) ++inside;
        }
      }
      // A gentle vertical gradient: lighter at the top.
      const double t = 1.10 - 0.20 * y / c.h;
      rgba s{static_cast<std::uint8_t>(std::min(255.0, colour.r * t)),
             static_cast<std::uint8_t>(std::min(255.0, colour.g * t)),
             static_cast<std::uint8_t>(std::min(255.0, colour.b * t)), 255};
      blend(c.at(x, y), s, inside / 4.0);
    }
  }
}

// The fallback picture: a white plate with a rim.
void draw_plate(canvas& c) {
  const double cx = c.w / 2.0, cy = c.h / 2.0, r = c.w * 0.30;
  for (int y = 0; y < c.h; ++y) {
    for (int x = 0; x < c.w; ++x) {
      const double d = std::hypot(x + 0.5 - cx, y + 0.5 - cy);
      if (d < r) blend(c.at(x, y), {255, 255, 255, 235}, std::clamp(r - d, 0.0, 1.0));
      if (std::abs(d - r * 0.72) < 2.0) blend(c.at(x, y), {200, 200, 200, 255});
    }
  }
}

std::uint32_t first_code_point(const std::string& s) {
  if (s.empty()) return 0;
  const auto b0 = static_cast<unsigned char>(s[0]);
  int len = b0 < 0x80 ? 1 : (b0 & 0xE0) == 0xC0 ? 2 : (b0 & 0xF0) == 0xE0 ? 3 : 4;
  std::uint32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (int i = 1; i < len && i < static_cast<int>(s.size()); ++i) cp = (cp << 6) | (s[i] & 0x3F);
  return cp;
}

struct ft_library {
  FT_Library lib = nullptr;
  ft_library() {
    if (FT_Init_FreeType(&lib) != 0) lib = nullptr;
  }
  ~ft_library() {
    if (lib) FT_Done_FreeType(lib);
  }
};

struct ft_face {
  FT_Face face = nullptr;
  ~ft_face() {
    if (face) FT_Done_Face(face);
  }
};

// Draws the glyph's colour bitmap (BGRA, premultiplied) scaled into the centre of the card.
bool draw_emoji(canvas& c, const std::string& emoji, const std::string& font) {
  ft_library ft;
  if (!ft.lib) return false;
  ft_face f;
  if (FT_New_Face(ft.lib, font.c_str(), 0, &f.face) != 0) return false;
  if (!FT_HAS_COLOR(f.face) || f.face->num_fixed_sizes < 1) return false;
  if (FT_Select_Size(f.face, 0) != 0) return false;
  const FT_UInt glyph = FT_Get_Char_Index(f.face, first_code_point(emoji));
  if (glyph == 0) return false;
  if (FT_Load_Glyph(f.face, glyph, FT_LOAD_COLOR) != 0) return false;
  if (f.face->glyph->format != FT_GLYPH_FORMAT_BITMAP && FT_Render_Glyph(f.face->glyph, FT_RENDER_MODE_NORMAL) != 0)
    return false;
  const FT_Bitmap& bm = f.face->glyph->bitmap;
  if (bm.pixel_mode != FT_PIXEL_MODE_BGRA || bm.width == 0 || bm.rows == 0) return false;
  const int target = static_cast<int>(c.w * 0.62);
  const double scale = static_cast<double>(target) / std::max(bm.width, bm.rows);
  const int ow = static_cast<int>(bm.width * scale), oh = static_cast<int>(bm.rows * scale);
  const int ox = (c.w - ow) / 2, oy = (c.h - oh) / 2;
  for (int y = 0; y < oh; ++y) {
    for (int x = 0; x < ow; ++x) {
      // Box filter over the source pixels this target pixel covers.
      const int sx0 = static_cast<int>(x / scale), sx1 = std::max(sx0 + 1, static_cast<int>((x + 1) / scale));
      const int sy0 = static_cast<int>(y / scale), sy1 = std::max(sy0 + 1, static_cast<int>((y + 1) / scale));
      double r = 0, g = 0, b = 0, a = 0;
      int n = 0;
      for (int sy = sy0; sy < sy1 && sy < static_cast<int>(bm.rows); ++sy) {
        const unsigned char* row = bm.buffer + sy * bm.pitch;
        for (int sx = sx0; sx < sx1 && sx < static_cast<int>(bm.width); ++sx) {
          b += row[sx * 4 + 0];
          g += row[sx * 4 + 1];
          r += row[sx * 4 + 2];
          a += row[sx * 4 + 3];
          ++n;
        }
      }
      if (n == 0 || a == 0) continue;
      // Premultiplied → straight alpha.
      const double alpha = a / n;
      rgba s{static_cast<std::uint8_t>(std::min(255.0, r / a * 255)),
             static_cast<std::uint8_t>(std::min(255.0, g / a * 255)),
             static_cast<std::uint8_t>(std::min(255.0, b / a * 255)), static_cast<std::uint8_t>(alpha)};
      blend(c.at(ox + x, oy + y), s);
    }
  }
  return true;
}

void png_append(png_structp png, png_bytep data, png_size_t len) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), len);
}

std::string encode_png(canvas& c) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (!png) return out;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, info ? &info : nullptr);
    return {};
  }
  png_set_write_fn(png, &out, png_append, nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(c.w), static_cast<png_uint_32>(c.h), 8, PNG_COLOR_TYPE_RGBA,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < c.h; ++y) png_write_row(png, reinterpret_cast<png_bytep>(&c.px[static_cast<std::size_t>(y * c.w)]));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace

bool emoji_font_available(const std::string& font) {
  ft_library ft;
  if (!ft.lib) return false;
  ft_face f;
  return FT_New_Face(ft.lib, font.c_str(), 0, &f.face) == 0 && FT_HAS_COLOR(f.face);
}

std::string draw_product_card(const std::string& emoji, card_style style, const std::string& font) {
  const int size = std::clamp(style.size, 64, 1024);
  canvas c(size, size);
  draw_card(c, {static_cast<std::uint8_t>(style.background >> 16), static_cast<std::uint8_t>(style.background >> 8),
                static_cast<std::uint8_t>(style.background), 255});
  if (!draw_emoji(c, emoji, font)) draw_plate(c);
  return encode_png(c);
}

}  // namespace kh::hub
