#include "kh/kiosk/modes/board/view.hpp"

#include <algorithm>
#include <cmath>

namespace kh::kiosk::board {

namespace {
using ui::align;
using ui::color;
using ui::rect;

constexpr color k_ready_fill{20, 110, 70};       // the Ready column
constexpr color k_highlight{255, 208, 64};       // a number that just turned ready
constexpr color k_on_highlight{20, 20, 20};
constexpr color k_prep_fill{44, 46, 54};         // the Preparing column

struct column_out {
  int shown = 0;
};

// Numbers in a grid of equal cells inside `area`; the last cell says "+N" when they do not fit.
int number_grid(ui::painter& p, view_result& out, rect area, const std::vector<shown_number>& nums,
                int size, color fill, color fg, const ui::theme& th, int gap) {
  if (nums.empty() || area.w <= 0 || area.h <= 0) return 0;
  auto& m = p.measurer();
  int widest = m.width("+99", size, true);
  for (const auto& n : nums) widest = std::max(widest, m.width(n.number, size, true));
  const int cell_w = widest + gap;
  const int cell_h = m.line_height(size) + gap;
  const int cols = std::max(1, (area.w + gap) / (cell_w + gap));
  const int rows = std::max(0, (area.h + gap) / (cell_h + gap));
  const int capacity = cols * rows;
  if (capacity == 0) return 0;
  const int total = static_cast<int>(nums.size());
  const int shown = total <= capacity ? total : capacity - 1;
  // Centre the grid horizontally in the column.
  const int used_w = cols * cell_w + (cols - 1) * gap;
  const int x0 = area.x + std::max(0, (area.w - used_w) / 2);
  for (int i = 0; i < shown; ++i) {
    const rect cell{x0 + (i % cols) * (cell_w + gap), area.y + (i / cols) * (cell_h + gap), cell_w, cell_h};
    const auto& n = nums[static_cast<std::size_t>(i)];
    const color bg = n.highlight ? k_highlight : fill;
    p.box(cell, bg, n.highlight ? th.text : color{0, 0, 0, 0}, n.highlight ? std::max(2, gap / 3) : 0);
    p.text(cell, n.number, size, n.highlight ? k_on_highlight : fg, bg, align::center, true);
    out.number_cells.push_back(cell);
  }
  if (shown < total) {
    const int i = shown;
    const rect cell{x0 + (i % cols) * (cell_w + gap), area.y + (i / cols) * (cell_h + gap), cell_w, cell_h};
    p.text(cell, "+" + std::to_string(total - shown), size * 3 / 4, fg, fill, align::center, true);
    out.number_cells.push_back(cell);
  }
  return shown;
}
}  // namespace

ui::theme board_theme() {
  ui::theme t = ui::high_contrast_theme();
  t.background = {24, 25, 30};
  t.surface = k_prep_fill;
  t.border = {90, 92, 100};
  t.text = {255, 255, 255};
  t.muted = {200, 202, 210};
  t.primary = k_ready_fill;
  t.on_primary = {255, 255, 255};
  t.banner = {60, 62, 70};
  t.on_banner = {255, 255, 255};
  t.high_contrast = false;
  return t;
}

int number_font_px(const ui::layout& l) {
  // DejaVu Sans Bold digits are 0.73 em tall: 0.115 × height puts them at 8.4 % of the height.
  // Portrait screens are narrow: the width bounds it there so two numbers fit side by side.
  const double by_h = l.height * 0.115;
  const double by_w = l.width * 0.12;
  return static_cast<int>(l.portrait ? std::min(by_h, by_w) : by_h);
}

view_result build_view(const state& s, const ui::layout& l, const ui::strings& tr, ui::text_measurer& m,
                       std::int64_t now_ms, const timings& t) {
  view_result out;
  const auto th = board_theme();
  out.scene.background = th.background;
  ui::painter p(out.scene, m);
  const int pad = l.pad;
  const int gap = l.gap;

  // Top bar: store name and banner; a discreet "reconnecting" mark at the right when offline.
  const int title_px = std::max(l.font_title, l.height / 22);
  const int bar_h = m.line_height(title_px) + 2 * gap;
  p.box({0, 0, l.width, bar_h}, th.banner);
  int right = l.width - pad;
  if (!s.online || s.stale) {
    const std::string& mark = tr.get("board.reconnecting");
    const int w = std::min(l.width / 3, m.width(mark, l.font_small, false) + 2 * gap);
    p.text({right - w, gap, w, bar_h - 2 * gap}, mark, l.font_small, th.muted, th.banner, align::right);
    const int dot = std::max(6, l.font_small / 2);
    p.box({right - w - dot - gap / 2, (bar_h - dot) / 2, dot, dot}, {230, 140, 40});
    right -= w + dot + gap;
  }
  const std::string name = s.store_name.empty() ? tr.get("board.title") : s.store_name;
  const int name_w = std::min(m.width(name, title_px, true), (right - pad) * 2 / 3);
  p.text({pad, gap, name_w, bar_h - 2 * gap}, name, title_px, th.text, th.banner, align::left, true);
  if (!s.banner.empty() && right - pad - name_w - 2 * gap > 0)
    p.text({pad + name_w + 2 * gap, gap, right - pad - name_w - 2 * gap, bar_h - 2 * gap}, s.banner,
           l.font_body, th.muted, th.banner);

  // Two columns: side by side in landscape, stacked in portrait (Ready on top: what people look for).
  const rect body{pad, bar_h + gap, l.width - 2 * pad, l.height - bar_h - gap - pad};
  rect prep, ready;
  if (l.portrait) {
    const int h = (body.h - gap) / 2;
    ready = {body.x, body.y, body.w, h};
    prep = {body.x, body.y + h + gap, body.w, body.h - h - gap};
  } else {
    const int w = (body.w - gap) / 2;
    prep = {body.x, body.y, w, body.h};
    ready = {body.x + w + gap, body.y, body.w - w - gap, body.h};
  }
  const int head_px = std::max(l.font_title, l.height / 20);
  const int head_h = m.line_height(head_px) + gap;
  const int num_px = number_font_px(l);
  out.number_px = num_px;
  const auto cols = visible(s, now_ms, t);
  auto column = [&](rect r, const char* key, color fill, const std::vector<shown_number>& nums) {
    p.box(r, fill);
    p.text({r.x + gap, r.y + gap / 2, r.w - 2 * gap, head_h}, tr.get(key), head_px, th.text, fill,
           align::center, true);
    p.box({r.x + 2 * gap, r.y + head_h + gap / 2, r.w - 4 * gap, std::max(2, gap / 4)}, th.border);
    const rect grid{r.x + gap, r.y + head_h + gap * 3 / 2, r.w - 2 * gap, r.h - head_h - gap * 5 / 2};
    return number_grid(p, out, grid, nums, num_px, fill, th.text, th, gap);
  };
  out.shown_preparing = column(prep, "board.preparing", k_prep_fill, cols.preparing);
  out.shown_ready = column(ready, "board.ready", k_ready_fill, cols.ready);
  if (s.stale || (!s.feed.synced() && s.online)) {
    // Nothing is shown as current: say the screen is updating, in the Preparing column's middle.
    const std::string& msg = tr.get("board.updating");
    p.text({prep.x + gap, prep.y + prep.h / 2, prep.w - 2 * gap, m.line_height(l.font_body)}, msg,
           l.font_body, th.muted, k_prep_fill, align::center);
  }
  return out;
}

}  // namespace kh::kiosk::board
