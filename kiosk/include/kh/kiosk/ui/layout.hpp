#pragma once
// Sizes computed from the window size and the display's DPI, so one view code serves 1280×800,
// 1920×1080 and 1080×1920 (and any other size). Pure.

namespace kh::kiosk::ui {

/// Smallest touch target (default: 9 mm, the floor; 9 mm ≈ a fingertip).
inline constexpr double min_target_mm = 9.0;

struct layout {
  int width = 0, height = 0;
  double dpi = 96;
  double px_per_mm = 96 / 25.4;
  bool portrait = false;
  bool large_text = false;  ///< high-contrast mode also enlarges text
  bool reach = false;       ///< portrait reach mode: controls in the lower half
  int target = 0;  ///< minimum touch target side in px (≥ 9 mm)
  int gap = 0;     ///< space between targets
  int pad = 0;     ///< screen margin
  int font_small = 0, font_body = 0, font_title = 0, font_huge = 0;  ///< px (point size at 72 dpi)

  int mm(double v) const noexcept { return static_cast<int>(v * px_per_mm + 0.5); }
};

/// Layout for a window of `w`×`h` pixels on a display of `dpi` (≤ 0: assume 96).
layout make_layout(int w, int h, double dpi, bool large_text = false, bool reach = false);

}  // namespace kh::kiosk::ui
