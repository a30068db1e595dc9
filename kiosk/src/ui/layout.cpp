#include "kh/kiosk/ui/layout.hpp"

#include <algorithm>
#include <cmath>

namespace kh::kiosk::ui {

layout make_layout(int w, int h, double dpi, bool large_text, bool reach) {
  layout l;
  l.width = std::max(w, 1);
  l.height = std::max(h, 1);
  l.dpi = dpi > 0 ? dpi : 96;
  l.px_per_mm = l.dpi / 25.4;
  l.portrait = l.height > l.width;
  l.large_text = large_text;
  l.reach = reach && l.portrait;
  const int short_side = std::min(l.width, l.height);
  // Targets scale with the screen but never drop below 9 mm (rounded up).
  const int floor_px = static_cast<int>(std::ceil(min_target_mm * l.px_per_mm));
  l.target = std::max(floor_px, short_side / 12);
  l.gap = std::max(l.mm(2.0), short_side / 80);
  l.pad = std::max(l.mm(4.0), short_side / 40);
  const double scale = large_text ? 1.25 : 1.0;
  l.font_body = static_cast<int>(std::max(short_side / 36.0, 2.8 * l.px_per_mm) * scale);
  l.font_small = static_cast<int>(l.font_body * 0.8);
  l.font_title = static_cast<int>(l.font_body * 1.6);
  l.font_huge = static_cast<int>(l.font_body * 4.0);
  return l;
}

}  // namespace kh::kiosk::ui
