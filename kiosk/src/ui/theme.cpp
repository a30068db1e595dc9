#include "kh/kiosk/ui/theme.hpp"

#include <algorithm>
#include <cmath>

namespace kh::kiosk::ui {

double relative_luminance(color c) noexcept {
  auto lin = [](std::uint8_t v) {
    const double s = v / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

double contrast_ratio(color a, color b) noexcept {
  const double la = relative_luminance(a), lb = relative_luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

theme normal_theme() {
  theme t;
  t.background = {247, 242, 235};
  t.surface = {255, 255, 255};
  t.border = {221, 211, 199};
  t.text = {33, 28, 24};
  t.muted = {94, 84, 76};
  t.primary = {22, 101, 82};
  t.on_primary = {255, 255, 255};
  t.secondary = {236, 226, 214};
  t.on_secondary = {33, 28, 24};
  t.selected = {52, 40, 32};
  t.on_selected = {255, 255, 255};
  t.danger = {176, 42, 30};
  t.on_danger = {255, 255, 255};
  t.banner = {122, 62, 0};
  t.on_banner = {255, 255, 255};
  t.pressed = {0, 0, 0, 60};
  return t;
}

theme high_contrast_theme() {
  theme t;
  t.background = {0, 0, 0};
  t.surface = {0, 0, 0};
  t.border = {255, 255, 255};
  t.text = {255, 255, 255};
  t.muted = {235, 235, 235};
  t.primary = {255, 214, 0};
  t.on_primary = {0, 0, 0};
  t.secondary = {0, 0, 0};
  t.on_secondary = {255, 255, 255};
  t.selected = {255, 255, 255};
  t.on_selected = {0, 0, 0};
  t.danger = {255, 255, 255};
  t.on_danger = {0, 0, 0};
  t.banner = {255, 214, 0};
  t.on_banner = {0, 0, 0};
  t.pressed = {255, 255, 255, 90};
  t.high_contrast = true;
  return t;
}

}  // namespace kh::kiosk::ui
