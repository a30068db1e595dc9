#pragma once
// The board's screen: a core board::state drawn into a ui::scene. Pure apart from text measuring;
// one code for landscape and portrait. Order numbers are sized from the screen height (digits at
// least 8 % of it at 1920×1080) and never shrunk to fit: a column holds as many as fit and ends
// with "+N" when there are more.

#include <cstdint>

#include "kh/kiosk/core/board.hpp"
#include "kh/kiosk/ui/i18n.hpp"
#include "kh/kiosk/ui/layout.hpp"
#include "kh/kiosk/ui/scene.hpp"
#include "kh/kiosk/ui/theme.hpp"

namespace kh::kiosk::board {

/// Font size (px) of the order numbers for a screen.
int number_font_px(const ui::layout& l);

struct view_result {
  ui::scene scene;
  int number_px = 0;          ///< font size used for the numbers
  int shown_preparing = 0;    ///< numbers drawn in each column (the rest are in "+N")
  int shown_ready = 0;
  std::vector<ui::rect> number_cells;  ///< every drawn number's cell (tests: nothing overlaps)
};

/// The board's colours (dark screen, high contrast; every text pair ≥ 4.5:1).
ui::theme board_theme();

view_result build_view(const state& s, const ui::layout& l, const ui::strings& tr,
                       ui::text_measurer& m, std::int64_t now_ms, const timings& t = {});

}  // namespace kh::kiosk::board
