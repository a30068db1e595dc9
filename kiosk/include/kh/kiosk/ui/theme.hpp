#pragma once
// Colours, rectangles and the two themes (normal and high contrast). Mode-agnostic: the shop,
// counter and board modes all draw with these. Pure (no SDL).

#include <cstdint>

namespace kh::kiosk::ui {

struct color {
  std::uint8_t r = 0, g = 0, b = 0, a = 255;
  friend bool operator==(const color&, const color&) = default;
};

struct rect {
  int x = 0, y = 0, w = 0, h = 0;
  bool contains(int px, int py) const noexcept {
    return px >= x && py >= y && px < x + w && py < y + h;
  }
  bool overlaps(const rect& o) const noexcept {
    return x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + h;
  }
  bool inside(const rect& o) const noexcept {
    return x >= o.x && y >= o.y && x + w <= o.x + o.w && y + h <= o.y + o.h;
  }
  friend bool operator==(const rect&, const rect&) = default;
};

/// WCAG 2.x relative luminance of an sRGB colour (0 black … 1 white).
double relative_luminance(color c) noexcept;
/// WCAG contrast ratio (1 … 21). Text needs at least 4.5 (AA).
double contrast_ratio(color a, color b) noexcept;

struct theme {
  color background;   ///< screen background
  color surface;      ///< cards, panels
  color border;       ///< card outlines (decoration only)
  color text;         ///< body text on background and surface
  color muted;        ///< secondary text on background and surface
  color primary;      ///< main buttons
  color on_primary;   ///< text on primary
  color secondary;    ///< other buttons
  color on_secondary;
  color selected;     ///< chosen category / option
  color on_selected;
  color danger;       ///< sold out, errors (background of a badge)
  color on_danger;
  color banner;       ///< offline / notice banner
  color on_banner;
  color pressed;      ///< press feedback overlay (alpha)
  bool high_contrast = false;
};

/// Warm café colours; every text/background pair above is ≥ 4.5:1.
theme normal_theme();
/// Black, white and yellow; every pair ≥ 7:1.
theme high_contrast_theme();

}  // namespace kh::kiosk::ui
