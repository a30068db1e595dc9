#include "kh/kiosk/modes/shop/view.hpp"

#include <algorithm>
#include <cmath>

namespace kh::kiosk::shop {

namespace {

using ui::align;
using ui::color;
using ui::rect;

constexpr std::int64_t k_press_ms = 150;  // press feedback
constexpr std::int64_t k_bar_ms = 300;    // cart bar bounce after a change

struct ctx {
  const state& s;
  const ui::layout& l;
  const ui::theme& th;
  const ui::strings& tr;
  ui::painter p;
  view_result& out;
  std::int64_t now;

  const std::string& t(std::string_view key) const { return tr.get(key); }
  void button(rect r, const action& a, std::string_view label, bool primary, bool enabled = true,
              int size = 0) {
    const std::string id = action_id(a);
    out.actions[id] = a;
    const color fill = !enabled ? th.secondary : primary ? th.primary : th.secondary;
    const color fg = !enabled ? th.muted : primary ? th.on_primary : th.on_secondary;
    p.button(r, id, label, size > 0 ? size : l.font_body, fill, fg, enabled, true,
             th.high_contrast || !primary ? th.border : color{0, 0, 0, 0});
  }
  void chip(rect r, const action& a, std::string_view label, bool selected) {
    const std::string id = action_id(a);
    out.actions[id] = a;
    p.button(r, id, label, l.font_body, selected ? th.selected : th.surface,
             selected ? th.on_selected : th.text, true, selected, th.border);
  }
  void hidden_target(rect r, const action& a) {
    const std::string id = action_id(a);
    out.actions[id] = a;
    p.add_target(r, id, "");
  }
};

std::string initials(const std::string& name) {
  std::string out;
  bool take = true;
  for (std::size_t i = 0; i < name.size() && out.size() < 8; ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (c == ' ') { take = true; continue; }
    if (take && c < 0x80) { out += static_cast<char>(std::toupper(c)); take = false; }
    else take = false;
    if (out.size() >= 2) break;
  }
  return out;
}

// Placeholder tile colours: dark enough for white initials.
color tile_color(const std::string& id) {
  static const color palette[] = {{120, 72, 42}, {30, 94, 110}, {98, 60, 120}, {40, 100, 60},
                                  {140, 50, 60}, {70, 80, 120}};
  std::size_t h = 0;
  for (char c : id) h = h * 31 + static_cast<unsigned char>(c);
  return palette[h % (sizeof(palette) / sizeof(palette[0]))];
}

// UTF-8: drops the last character.
void pop_char(std::string& s) {
  while (!s.empty()) {
    const char ch = s.back();
    s.pop_back();
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) break;
  }
}

// Text in ONE font size on at most `max_lines` lines: wrapped on spaces, the last line cut with
// "…" (a word longer than a line is cut too). The painter's fitting would shrink a long name to a
// smaller size instead, which reads as a different font on a grid of cards. Returns lines used.
int fixed_lines(ctx& c, rect box, std::string_view text, int size, bool bold, int max_lines, color fg,
                color bg) {
  auto& m = c.p.measurer();
  const int lh = m.line_height(size);
  max_lines = std::max(1, std::min(max_lines, box.h / std::max(1, lh)));
  std::vector<std::string> words;
  for (std::size_t i = 0; i < text.size();) {
    const auto sp = text.find(' ', i);
    const auto w = text.substr(i, sp == std::string_view::npos ? std::string_view::npos : sp - i);
    if (!w.empty()) words.emplace_back(w);
    if (sp == std::string_view::npos) break;
    i = sp + 1;
  }
  std::vector<std::string> lines;
  std::size_t k = 0;
  while (k < words.size() && static_cast<int>(lines.size()) < max_lines) {
    std::string line = words[k++];
    while (k < words.size() && m.width(line + " " + words[k], size, bold) <= box.w) line += " " + words[k++];
    lines.push_back(std::move(line));
  }
  if (lines.empty()) return 0;
  std::string& last = lines.back();
  const bool cut = k < words.size() || m.width(last, size, bold) > box.w;
  if (cut) {
    while (!last.empty() && m.width(last + "…", size, bold) > box.w) pop_char(last);
    while (!last.empty() && last.back() == ' ') last.pop_back();
    last += "…";
  }
  // Also the first lines: a single word wider than the box is cut the same way.
  for (std::size_t i = 0; i + 1 < lines.size(); ++i)
    if (m.width(lines[i], size, bold) > box.w) {
      while (!lines[i].empty() && m.width(lines[i] + "…", size, bold) > box.w) pop_char(lines[i]);
      lines[i] += "…";
    }
  const int top = box.y + (box.h - lh * static_cast<int>(lines.size())) / 2;
  for (std::size_t i = 0; i < lines.size(); ++i)
    c.out.scene.texts.push_back(ui::text_item{{box.x, top + static_cast<int>(i) * lh, box.w, lh}, lines[i], size, bold, fg, bg, align::left});
  return static_cast<int>(lines.size());
}

// Top bar: business name at left (staff corner on attract), language, contrast, reach at right.
// Returns the content area below it (and the offline banner).
rect top_bar(ctx& c, rect area) {
  const auto& l = c.l;
  const int h = l.target + l.gap;
  c.p.box({area.x, area.y, area.w, h}, c.th.surface);
  c.p.box({area.x, area.y + h - 2, area.w, 2}, c.th.border);
  int x = area.x + area.w - l.pad;
  const int bw = std::max(l.target, c.p.measurer().width("Aa+", l.font_body, true) + l.gap * 2);
  const int y = area.y + (h - l.target) / 2;
  auto right_button = [&](const action& a, std::string_view label, bool on) {
    x -= bw;
    c.chip({x, y, bw, l.target}, a, label, on);
    x -= l.gap;
  };
  if (l.portrait) right_button({action_kind::toggle_reach, ""}, "⇩", c.s.reach);
  right_button({action_kind::toggle_contrast, ""}, "Aa+", c.s.high_contrast);
  for (auto it = c.s.languages.rbegin(); it != c.s.languages.rend(); ++it) {
    std::string label = *it;
    for (auto& ch : label) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    right_button({action_kind::language, *it}, label, c.s.language == *it);
  }
  const rect name_box{area.x + l.pad, area.y, x - area.x - 2 * l.pad, h};
  const std::string& name = c.s.business_name.empty() ? c.t("shop.title") : c.s.business_name;
  c.p.text(name_box, name, l.font_title, c.th.text, c.th.surface, align::left, true);
  if (c.s.current == screen::attract)
    c.hidden_target({area.x, area.y, std::max(l.target, l.mm(15)), h}, {action_kind::staff_corner, ""});
  rect content{area.x, area.y + h, area.w, area.h - h};
  if (!c.s.online) {
    const int bh = l.font_body * 2;
    c.p.box({content.x, content.y, content.w, bh}, c.th.banner);
    c.p.text({content.x + l.pad, content.y, content.w - 2 * l.pad, bh}, c.t("banner.offline"),
             l.font_body, c.th.on_banner, c.th.banner, align::center, true);
    content.y += bh;
    content.h -= bh;
  }
  return content;
}

// Bottom row of buttons: back (secondary) at left, main (primary) at right. Returns the area
// above it.
rect bottom_row(ctx& c, rect area, const std::optional<action>& back, std::string_view back_label,
                const std::optional<action>& main, std::string_view main_label, bool main_enabled) {
  const auto& l = c.l;
  const int h = l.target + l.gap;
  const int y = area.y + area.h - h - l.pad;
  const int w = std::min(area.w / 2 - l.pad - l.gap, l.target * 6);
  if (back) c.button({area.x + l.pad, y, std::min(w, l.target * 4), h}, *back, back_label, false);
  if (main) {
    const int mw = std::min(area.w - 2 * l.pad - (back ? std::min(w, l.target * 4) + l.gap : 0),
                            std::max(w, l.target * 6));
    c.button({area.x + area.w - l.pad - mw, y, mw, h}, *main, main_label, true, main_enabled);
  }
  return {area.x, area.y, area.w, y - area.y - l.gap};
}

void notice_line(ctx& c, rect r) {
  if (c.s.notice.empty()) return;
  c.p.box(r, c.th.banner);
  c.p.text({r.x + c.l.gap, r.y, r.w - 2 * c.l.gap, r.h}, c.t(c.s.notice), c.l.font_body,
           c.th.on_banner, c.th.banner, align::center, true);
}

// The on-screen keyboard in the lower part of `area`; returns the area above it.
rect keyboard(ctx& c, rect area, bool digits_only) {
  const auto& l = c.l;
  std::vector<std::vector<std::string>> rows;
  if (digits_only) {
    rows = {{"1", "2", "3"}, {"4", "5", "6"}, {"7", "8", "9"}, {"0"}};
  } else {
    const bool fr = c.s.language == "fr";
    rows = {{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0"},
            fr ? std::vector<std::string>{"a", "z", "e", "r", "t", "y", "u", "i", "o", "p"}
               : std::vector<std::string>{"q", "w", "e", "r", "t", "y", "u", "i", "o", "p"},
            fr ? std::vector<std::string>{"q", "s", "d", "f", "g", "h", "j", "k", "l", "m"}
               : std::vector<std::string>{"a", "s", "d", "f", "g", "h", "j", "k", "l", "'"},
            fr ? std::vector<std::string>{"w", "x", "c", "v", "b", "n", "é", "è", "à", "ç"}
               : std::vector<std::string>{"z", "x", "c", "v", "b", "n", "m", ",", ".", "-"}};
  }
  const int cols = digits_only ? 3 : 10;
  const int key_w = std::min((area.w - 2 * l.pad - (cols - 1) * l.gap) / cols, l.target * 2);
  const int key_h = l.target;
  const int total_rows = static_cast<int>(rows.size()) + 1;
  const int kb_h = total_rows * (key_h + l.gap) + l.pad;
  const int top = area.y + area.h - kb_h;
  c.p.box({area.x, top - l.gap, area.w, kb_h + l.gap}, c.th.surface, c.th.border, 1);
  const int row_w = cols * key_w + (cols - 1) * l.gap;
  const int x0 = area.x + (area.w - row_w) / 2;
  int y = top;
  for (const auto& row : rows) {
    int x = x0;
    for (const auto& k : row) {
      c.button({x, y, key_w, key_h}, {action_kind::key, k}, k, false);
      x += key_w + l.gap;
    }
    y += key_h + l.gap;
  }
  // Last row: space (letters only), backspace, done.
  const int third = (row_w - 2 * l.gap) / 3;
  int x = x0;
  if (!digits_only) {
    c.button({x, y, third, key_h}, {action_kind::key, "space"}, c.t("key.space"), false);
  }
  x += third + l.gap;
  c.button({x, y, third, key_h}, {action_kind::key_backspace, ""}, "⌫", false);
  x += third + l.gap;
  c.button({x, y, third, key_h}, {action_kind::key_done, ""}, c.t("key.done"), true);
  return {area.x, area.y, area.w, top - l.gap * 2 - area.y};
}

// A field showing typed text with its label (a target that opens the keyboard).
void field(ctx& c, rect r, const action& a, std::string_view label, const std::string& value,
           bool editing) {
  const auto& l = c.l;
  const int lh = l.font_small * 2;
  c.p.text({r.x, r.y, r.w, lh}, label, l.font_small, c.th.muted, c.th.background);
  const rect f{r.x, r.y + lh, r.w, r.h - lh};
  const std::string id = action_id(a);
  c.out.actions[id] = a;
  c.p.box(f, c.th.surface, editing ? c.th.primary : c.th.border, editing ? 3 : 1);
  std::string shown = value.empty() ? std::string(c.t("field.tap_to_type")) : value;
  if (editing) shown = value + "|";
  c.p.text({f.x + l.gap, f.y, f.w - 2 * l.gap, f.h}, shown, l.font_body,
           value.empty() && !editing ? c.th.muted : c.th.text, c.th.surface);
  c.p.add_target(f, id, std::string(label));
}

// ---------------------------------------------------------------- screens

void attract(ctx& c, rect area) {
  const auto& l = c.l;
  rect a = top_bar(c, area);
  const std::string& name = c.s.business_name.empty() ? c.t("shop.title") : c.s.business_name;
  int y = a.y + a.h / 6;
  c.p.text({a.x + l.pad, y, a.w - 2 * l.pad, l.font_huge * 3 / 2}, name, l.font_huge, c.th.text,
           c.th.background, align::center, true);
  y += l.font_huge * 3 / 2 + l.gap * 2;
  if (!c.s.banner.empty()) {
    y += c.p.paragraph({a.x + a.w / 8, y, a.w * 3 / 4, l.font_title * 3}, c.s.banner,
                       l.font_title, c.th.muted, c.th.background);
  }
  const int bw = std::min(a.w - 2 * l.pad, l.target * 8);
  const int bh = l.target * 2;
  const int by = std::max(y + l.gap * 2, a.y + a.h / 2);
  c.button({a.x + (a.w - bw) / 2, by, bw, bh}, {action_kind::start, ""}, c.t("attract.touch"),
           true, true, l.font_title);
  c.p.text({a.x + l.pad, by + bh + l.gap * 2, a.w - 2 * l.pad, l.font_body * 2},
           c.t("attract.scan"), l.font_body, c.th.muted, c.th.background, align::center);
  if (!c.s.notice.empty())
    notice_line(c, {a.x + l.pad, by + bh + l.gap * 3 + l.font_body * 2, a.w - 2 * l.pad,
                    l.font_body * 2});
}

void cart_bar(ctx& c, rect r) {
  const auto& l = c.l;
  const bool empty = c.s.cart.empty();
  int items = 0;
  for (const auto& ln : c.s.cart.lines()) items += ln.qty;
  // A short bounce when the cart changed: the bar lifts by up to a quarter of a target.
  const std::int64_t dt = c.now - c.s.cart_changed_ms;
  int lift = 0;
  if (dt >= 0 && dt < k_bar_ms) {
    lift = static_cast<int>(std::sin(3.14159 * static_cast<double>(dt) / k_bar_ms) * l.target / 4);
  }
  const rect bar{r.x, r.y - lift, r.w, r.h};
  const std::string label =
      empty ? std::string(c.t("menu.cart_empty"))
            : c.tr.format("menu.cart_summary",
                          {std::to_string(items), c.tr.money(c.s.cart.estimated_total())});
  c.button(bar, {action_kind::open_cart, ""}, label, true, !empty, l.font_title);
}

void menu(ctx& c, rect area) {
  const auto& l = c.l;
  rect a = top_bar(c, area);
  const auto* cat = c.s.catalog ? &c.s.catalog->catalog() : nullptr;
  const int bar_h = l.target + l.gap * 2;
  const rect bar{a.x + l.pad, a.y + a.h - bar_h - l.pad, a.w - 2 * l.pad, bar_h};
  cart_bar(c, bar);
  rect body{a.x, a.y + l.gap, a.w, bar.y - a.y - 2 * l.gap};
  if (!c.s.notice.empty()) {
    notice_line(c, {body.x + l.pad, body.y, body.w - 2 * l.pad, l.font_body * 2});
    body.y += l.font_body * 2 + l.gap;
    body.h -= l.font_body * 2 + l.gap;
  }
  if (cat == nullptr || cat->products.empty()) {
    c.p.text({body.x + l.pad, body.y, body.w - 2 * l.pad, body.h / 2}, c.t("menu.no_catalog"),
             l.font_title, c.th.muted, c.th.background, align::center);
    c.button({body.x + l.pad, body.y + body.h - l.target, l.target * 4, l.target},
             {action_kind::back, ""}, c.t("nav.back"), false);
    return;
  }
  // Categories, sorted by position; the first one when none is chosen.
  std::vector<const protocol::category*> cats;
  for (const auto& k : cat->categories) cats.push_back(&k);
  std::stable_sort(cats.begin(), cats.end(),
                   [](auto* x, auto* y) { return x->position < y->position; });
  std::string current = c.s.category_id;
  if (current.empty() && !cats.empty()) current = cats.front()->id;
  rect grid = body;
  if (!cats.empty()) {
    if (!l.portrait) {
      const int rail_w = std::max(a.w / 5, l.target * 3);
      int y = body.y;
      for (const auto* k : cats) {
        if (y + l.target > body.y + body.h) break;
        c.chip({body.x + l.pad, y, rail_w - l.pad, l.target + l.gap}, {action_kind::category, k->id},
               k->name, k->id == current);
        y += l.target + l.gap * 2;
      }
      grid = {body.x + rail_w + l.gap, body.y, body.w - rail_w - l.gap, body.h};
    } else {
      // Portrait: categories as a row (two rows when they do not fit in one).
      const int n = static_cast<int>(cats.size());
      const int per_row = std::min(n, 4);
      const int rows = (n + per_row - 1) / per_row;
      const int cw = (body.w - 2 * l.pad - (per_row - 1) * l.gap) / per_row;
      for (int i = 0; i < n; ++i) {
        const int r = i / per_row, col = i % per_row;
        c.chip({body.x + l.pad + col * (cw + l.gap), body.y + r * (l.target + l.gap), cw, l.target},
               {action_kind::category, cats[static_cast<std::size_t>(i)]->id},
               cats[static_cast<std::size_t>(i)]->name, cats[static_cast<std::size_t>(i)]->id == current);
      }
      const int used = rows * (l.target + l.gap) + l.gap;
      grid = {body.x, body.y + used, body.w, body.h - used};
    }
  }
  std::vector<const protocol::product*> prods;
  for (const auto& p : cat->products)
    if (cats.empty() || p.category_id == current) prods.push_back(&p);
  // Grid: cards at least 4 targets wide, pages when they do not fit.
  const int inner_w = grid.w - 2 * l.pad;
  const int cols = std::max(2, std::min(5, inner_w / (l.target * 4)));
  const int card_w = (inner_w - (cols - 1) * l.gap) / cols;
  const int card_h0 = std::max(card_w * 3 / 4 + l.font_body * 4, l.target * 3);
  const int pager_h = l.target + l.gap;
  int card_h = card_h0;
  // A short grid (reach mode) gets shorter cards rather than cards under the pager.
  if (const int avail = grid.h - (static_cast<int>(prods.size()) > cols ? pager_h + l.gap : 0);
      card_h > avail)
    card_h = std::max(l.target * 2, avail);
  // Two rows rather than one tall one when the grid has room for two shorter cards.
  if ((grid.h - pager_h + l.gap) / (card_h + l.gap) < 2 && (grid.h - pager_h - l.gap) / 2 >= l.target * 3)
    card_h = (grid.h - pager_h - l.gap) / 2;
  int rows = std::max(1, (grid.h + l.gap) / (card_h + l.gap));
  int per_page = rows * cols;
  const int n = static_cast<int>(prods.size());
  if (n > per_page) {
    rows = std::max(1, (grid.h - pager_h + l.gap) / (card_h + l.gap));
    per_page = rows * cols;
  }
  const int pages = std::max(1, (n + per_page - 1) / per_page);
  c.out.last_page = pages - 1;
  const int page = std::min(c.s.page, pages - 1);
  for (int i = page * per_page; i < std::min(n, (page + 1) * per_page); ++i) {
    const auto& p = *prods[static_cast<std::size_t>(i)];
    const int k = i - page * per_page;
    const rect card{grid.x + l.pad + (k % cols) * (card_w + l.gap),
                    grid.y + (k / cols) * (card_h + l.gap), card_w, card_h};
    c.p.box(card, c.th.surface, c.th.border, 1);
    const int img_h = std::max(l.gap, card_h - l.font_body * 4);
    const rect img{card.x + 1, card.y + 1, card.w - 2, img_h};
    c.out.scene.images.push_back(ui::image_item{img, p.id, initials(p.name), tile_color(p.id), {255, 255, 255}});
    // Name on up to two lines in the card's one bold size, the price under it.
    const int line = c.p.measurer().line_height(l.font_body);
    const int text_h = card_h - img_h;
    const int name_h = std::min(2 * line, text_h - line);
    fixed_lines(c, {card.x + l.gap, card.y + img_h + l.gap / 4, card.w - 2 * l.gap, name_h}, p.name,
                l.font_body, true, 2, c.th.text, c.th.surface);
    fixed_lines(c, {card.x + l.gap, card.y + img_h + l.gap / 4 + name_h, card.w - 2 * l.gap,
                    std::min(line, card.y + card_h - (card.y + img_h + l.gap / 4 + name_h))},
                c.tr.money(p.price), l.font_body, false, 1, c.th.muted, c.th.surface);
    const action open{action_kind::open_product, p.id};
    const std::string id = action_id(open);
    c.out.actions[id] = open;
    const bool orderable = c.s.catalog->orderable(p);  // stock and availability window
    if (!orderable) {
      const int bw = std::min(card.w - 2 * l.gap, l.target * 3);
      const rect badge{card.x + l.gap, card.y + l.gap, bw, l.font_body * 2};
      // As an image item (a key with no picture: a plain tile), so it is drawn over the product's
      // picture; boxes are drawn under pictures.
      c.out.scene.images.push_back(ui::image_item{badge, "badge:sold-out", "", c.th.danger, c.th.on_danger});
      c.p.text(badge, c.t(p.available ? "menu.not_now" : "menu.sold_out"), l.font_body, c.th.on_danger, c.th.danger,
               align::center, true);
    }
    c.p.add_target(card, id, p.name, orderable);
  }
  if (pages > 1) {
    const int y = grid.y + grid.h - pager_h + l.gap;
    const int bw = l.target * 3;
    c.button({grid.x + l.pad, y, bw, l.target}, {action_kind::page_prev, ""}, "‹ " + c.t("nav.prev"), false, page > 0);
    c.p.text({grid.x + l.pad + bw, y, grid.w - 2 * l.pad - 2 * bw, l.target},
             c.tr.format("nav.page", {std::to_string(page + 1), std::to_string(pages)}),
             l.font_body, c.th.muted, c.th.background, align::center);
    c.button({grid.x + grid.w - l.pad - bw, y, bw, l.target}, {action_kind::page_next, ""},
             c.t("nav.next") + " ›", false, page + 1 < pages);
  }
}

void product(ctx& c, rect area) {
  const auto& l = c.l;
  rect a = top_bar(c, area);
  const auto* p = c.s.catalog ? c.s.catalog->find_id(c.s.draft.product_id) : nullptr;
  if (p == nullptr) return;
  const auto price = draft_unit_price(c.s);
  protocol::money line = price;
  line.amount *= c.s.draft.qty;
  if (c.s.editing == text_field::note) {
    // Typing: the keyboard and the field only (the keyboard's Done closes it).
    rect top = keyboard(c, a, false);
    const int th = l.font_title * 3 / 2;
    const int x0 = top.x + l.pad, w = top.w - 2 * l.pad;
    c.p.text({x0, top.y + l.gap, w, th}, p->name, l.font_title, c.th.text, c.th.background, align::left, true);
    field(c, {x0, top.y + l.gap + th, w, std::min(top.h - th - l.gap, l.target + l.font_small * 2)},
          {action_kind::edit_note, ""}, c.t("product.note"), c.s.draft.note, true);
    return;
  }
  rect body = bottom_row(c, a, action{action_kind::back, ""}, c.t("nav.back"),
                         action{action_kind::add_to_cart, ""},
                         c.tr.format("product.add", {c.tr.money(line)}), draft_complete(c.s));
  // Landscape: picture, name, price, description, quantity and note on the left; the option
  // groups on the right. Portrait: all of it stacked, options under the description.
  const bool has_options = !p->option_groups.empty();
  // Reach mode (lower half of a portrait screen) leaves the picture and description out.
  const bool stacked = l.portrait;
  rect left{body.x + l.pad, body.y + l.pad, body.w - 2 * l.pad, body.h - l.pad};
  rect right = left;
  if (!stacked) {
    const int lw = has_options ? body.w * 2 / 5 : body.w / 2;
    left.w = lw - l.pad;
    right = {body.x + lw + l.pad, body.y + l.pad, body.w - lw - 2 * l.pad, body.h - l.pad};
  }
  const int img_h = l.reach ? 0 : stacked ? std::min(body.h / 4, left.w * 9 / 16)
                                          : std::min(left.w * 9 / 16, left.h / 3);
  if (img_h > 0)
    c.out.scene.images.push_back(ui::image_item{{left.x, left.y, left.w, img_h}, p->id, initials(p->name),
                                                tile_color(p->id), {255, 255, 255}});
  int y = left.y + (img_h > 0 ? img_h + l.gap : 0);
  const int th = l.font_title * 3 / 2;
  if (l.reach) {
    // Compact header: name with the note button, price with the quantity stepper.
    const int nw = l.target * 3;
    c.p.text({left.x, y, left.w - nw - l.gap, l.target}, p->name, l.font_title, c.th.text, c.th.background, align::left, true);
    c.button({left.x + left.w - nw, y, nw, l.target}, {action_kind::edit_note, ""},
             c.s.draft.note.empty() ? "✎ " + c.t("product.note_short") : "✎ " + c.s.draft.note, false);
    y += l.target + l.gap;
    const int sx = left.x + left.w - l.target * 7 / 2;
    c.p.text({left.x, y, sx - left.x - l.gap, l.target}, c.tr.money(price), l.font_title, c.th.text, c.th.background);
    c.button({sx, y, l.target, l.target}, {action_kind::qty_minus, ""}, "−", false, c.s.draft.qty > 1);
    c.p.text({sx + l.target, y, l.target * 3 / 2, l.target}, std::to_string(c.s.draft.qty),
             l.font_title, c.th.text, c.th.background, align::center, true);
    c.button({sx + l.target * 5 / 2, y, l.target, l.target}, {action_kind::qty_plus, ""}, "+", false,
             c.s.draft.qty < protocol::limits::max_qty);
    y += l.target + l.gap;
  } else {
    c.p.text({left.x, y, left.w, th}, p->name, l.font_title, c.th.text, c.th.background, align::left, true);
    y += th;
    c.p.text({left.x, y, left.w, l.font_body * 2}, c.tr.money(price), l.font_title, c.th.text, c.th.background);
    y += l.font_body * 2 + l.gap / 2;
  }
  if (!p->description.empty() && !l.reach)
    y += c.p.paragraph({left.x, y, left.w, c.p.measurer().line_height(l.font_body) * 2}, p->description,
                       l.font_body, c.th.muted, c.th.background) + l.gap;
  // Quantity stepper, then the note field under it (its label above it).
  auto qty_and_note = [&](int qy) {
    c.button({left.x, qy, l.target, l.target}, {action_kind::qty_minus, ""}, "−", false, c.s.draft.qty > 1);
    c.p.text({left.x + l.target, qy, l.target * 3 / 2, l.target}, std::to_string(c.s.draft.qty),
             l.font_title, c.th.text, c.th.background, align::center, true);
    c.button({left.x + l.target * 5 / 2, qy, l.target, l.target}, {action_kind::qty_plus, ""}, "+", false,
             c.s.draft.qty < protocol::limits::max_qty);
    const int nx = left.x + l.target * 7 / 2 + l.gap * 2;
    field(c, {nx, qy - l.font_small * 2, left.x + left.w - nx, l.target + l.font_small * 2},
          {action_kind::edit_note, ""}, c.t("product.note"), c.s.draft.note, false);
    return qy + l.target + l.gap;
  };
  if (!stacked) {
    y = qty_and_note(y + l.font_small * 2);
    if (!c.s.notice.empty()) notice_line(c, {left.x, y, left.w, l.font_body * 2});
    y = right.y;
  }
  const rect opt_area = stacked ? rect{left.x, y, left.w, body.y + body.h - y} : right;
  for (const auto& g : p->option_groups) {
    std::string title = g.name;
    if (g.required()) title += " · " + c.t("product.required");
    else if (g.max_choices > 1) title += " · " + c.tr.format("product.up_to", {std::to_string(g.max_choices)});
    c.p.text({opt_area.x, y, opt_area.w, l.font_body * 2}, title, l.font_body, c.th.text,
             c.th.background, align::left, true);
    y += l.font_body * 2;
    // Choices in a grid of equal columns (labels fit their chip or shrink), so a group's height
    // is known: ceil(choices / columns) rows.
    // Reach mode has half the height: four narrower columns (labels shrink to fit).
    const int cols = l.reach ? 4 : std::max(1, std::min(4, (opt_area.w + l.gap) / (l.target * 3 + l.gap)));
    const int cw = (opt_area.w - (cols - 1) * l.gap) / cols;
    int k = 0;
    for (const auto& ch : g.options) {
      std::string label = ch.name;
      if (ch.price_delta.amount != 0) label += " +" + c.tr.money(ch.price_delta);
      if (k > 0 && k % cols == 0) y += l.target + l.gap;
      const int x = opt_area.x + (k % cols) * (cw + l.gap);
      ++k;
      const protocol::line_option key{g.id, ch.id};
      const bool on = std::find(c.s.draft.options.begin(), c.s.draft.options.end(), key) !=
                      c.s.draft.options.end();
      if (ch.available) {
        c.chip({x, y, cw, l.target}, {action_kind::option, g.id + "/" + ch.id}, label, on);
      } else {
        c.p.box({x, y, cw, l.target}, c.th.secondary, c.th.border, 1);
        c.p.text({x + l.gap, y, cw - 2 * l.gap, l.target}, label, l.font_small, c.th.muted, c.th.secondary, align::center);
      }
    }
    y += l.target + (l.reach ? l.gap : l.gap * 2);
  }
  if (stacked && !l.reach) {
    y = qty_and_note(y + l.font_small * 2);
    if (!c.s.notice.empty()) notice_line(c, {left.x, y, left.w, l.font_body * 2});
  }
}

// The quote for the cart as it is now (hub or estimate), or null.
const protocol::order_quoted* current_quote(const state& s) {
  if (s.quote.from == cart_quote::source::none || s.quote.rev != s.cart_rev) return nullptr;
  return &s.quote.q;
}

std::string problem_text(ctx& c, const protocol::issue& i) {
  const std::string key = std::string("problem.") + protocol::to_string(i.code);
  return c.tr.has(key) ? c.t(key) : c.t("problem.other");
}

// The total the customer pays: the hub's when it priced this cart, else the estimate.
protocol::money shown_total(const state& s) {
  if (const auto* q = current_quote(s)) return q->total;
  return s.cart.estimated_total();
}

void cart_screen(ctx& c, rect area) {
  const auto& l = c.l;
  rect a = top_bar(c, area);
  const auto* quote = current_quote(c.s);
  rect body = bottom_row(c, a, action{action_kind::back, ""}, c.t("cart.add_more"),
                         action{action_kind::checkout, ""}, c.t("cart.checkout"),
                         !c.s.cart.empty() && !cart_has_problems(c.s));
  const int th = l.font_title * 2;
  c.p.text({body.x + l.pad, body.y + l.gap, body.w - 2 * l.pad, th}, c.t("cart.title"),
           l.font_title, c.th.text, c.th.background, align::left, true);
  int y = body.y + l.gap + th;
  // Totals block: breakdown line, total, where the prices come from; a problem line above it.
  const bool order_problem = quote != nullptr && !quote->problems.empty();
  const bool notice = !c.s.notice.empty();
  const int small_h = l.font_small * 2;
  const int total_h = small_h + l.font_title * 2 + small_h + l.gap +
                      (order_problem || notice ? l.font_body * 2 + l.gap : 0);
  const int row_h = l.target + l.gap * 3;
  const int n = static_cast<int>(c.s.cart.lines().size());
  // Room for the pager only when the lines do not all fit without it.
  const int room = body.y + body.h - y - total_h - l.gap;
  const int per_page = std::max(1, n * row_h <= room ? n : (room - l.target) / row_h);
  const int pages = std::max(1, (n + per_page - 1) / per_page);
  c.out.last_page = pages - 1;
  const int page = std::min(c.s.page, pages - 1);
  const int x0 = body.x + l.pad, w = body.w - 2 * l.pad;
  for (int i = page * per_page; i < std::min(n, (page + 1) * per_page); ++i) {
    const auto& ln = c.s.cart.lines()[static_cast<std::size_t>(i)];
    const protocol::quoted_line* ql =
        quote != nullptr && static_cast<std::size_t>(i) < quote->lines.size() ? &quote->lines[static_cast<std::size_t>(i)] : nullptr;
    const bool problem = ql != nullptr && !ql->problems.empty();
    const std::string idx = std::to_string(i);
    const rect row{x0, y, w, row_h - l.gap};
    c.p.box(row, c.th.surface, problem ? c.th.danger : c.th.border, problem ? 3 : 1);
    const int ry = row.y + (row.h - l.target) / 2;
    const int price_w = l.target * 3;
    int rx = row.x + row.w - l.gap - l.target;
    c.button({rx, ry, l.target, l.target}, {action_kind::line_remove, idx}, "×", false);
    rx -= l.gap * 2 + price_w;
    protocol::money lt = ln.unit_price;
    lt.amount *= ln.qty;
    if (ql != nullptr) lt = ql->line_total;
    // The stepper right beside the price: the name gets the rest of the row. A line with a problem
    // has no price (it is left out of the totals), so its stepper takes the price's place and the
    // reason gets that room too ("Pas disponible à cette heure" was cut on a portrait screen).
    if (!problem)
      c.p.text({rx, row.y, price_w, row.h}, c.tr.money(lt), l.font_body, c.th.text, c.th.surface, align::right, true);
    const int sx = problem ? rx + price_w - l.target * 3 : rx - l.gap * 2 - l.target * 3;
    c.button({sx, ry, l.target, l.target}, {action_kind::line_minus, idx}, "−", false);
    c.p.text({sx + l.target, ry, l.target, l.target}, std::to_string(ln.qty), l.font_body,
             c.th.text, c.th.surface, align::center, true);
    c.button({sx + l.target * 2, ry, l.target, l.target}, {action_kind::line_plus, idx}, "+", false,
             ln.qty < protocol::limits::max_qty && !problem);
    const int name_w = sx - row.x - 2 * l.gap;
    std::string detail;
    if (const auto* prod = c.s.catalog ? c.s.catalog->find_id(ln.product_id) : nullptr) {
      for (const auto& o : ln.options)
        for (const auto& g : prod->option_groups)
          if (g.id == o.group_id)
            for (const auto& ch : g.options)
              if (ch.id == o.option_id) detail += (detail.empty() ? "" : ", ") + ch.name;
    }
    if (!ln.note.empty()) detail += (detail.empty() ? "" : " · ") + ln.note;
    if (problem) {
      // The hub's (or the catalog's) reason this line cannot be ordered, in place of the details.
      const std::string why = "⚠ " + problem_text(c, ql->problems.front());
      c.p.text({row.x + l.gap, row.y + l.gap / 2, name_w, row.h / 2}, ln.name, l.font_body, c.th.text, c.th.surface, align::left, true);
      // A red badge (on_danger on danger: the theme's checked contrast pair).
      const int tw = std::min(name_w, c.p.measurer().width(why, l.font_small, true) + 2 * l.gap);
      const rect tag{row.x + l.gap, row.y + row.h / 2, tw, row.h / 2 - l.gap / 2};
      c.p.box(tag, c.th.danger);
      c.p.text({tag.x + l.gap, tag.y, tag.w - 2 * l.gap, tag.h}, why, l.font_small, c.th.on_danger, c.th.danger, align::left, true);
    } else if (detail.empty()) {
      c.p.text({row.x + l.gap, row.y, name_w, row.h}, ln.name, l.font_body, c.th.text, c.th.surface, align::left, true);
    } else {
      c.p.text({row.x + l.gap, row.y + l.gap / 2, name_w, row.h / 2}, ln.name, l.font_body, c.th.text, c.th.surface, align::left, true);
      c.p.text({row.x + l.gap, row.y + row.h / 2, name_w, row.h / 2 - l.gap / 2}, detail, l.font_small, c.th.muted, c.th.surface);
    }
    y += row_h;
  }
  if (pages > 1) {
    const int bw = l.target * 3;
    c.button({x0, y, bw, l.target}, {action_kind::page_prev, ""}, "‹ " + c.t("nav.prev"), false, page > 0);
    c.button({x0 + w - bw, y, bw, l.target}, {action_kind::page_next, ""}, c.t("nav.next") + " ›", false, page + 1 < pages);
  }
  int ty = body.y + body.h - total_h;
  if (notice) {
    notice_line(c, {x0, ty, w, l.font_body * 2});
    ty += l.font_body * 2 + l.gap;
  } else if (order_problem) {
    const rect r{x0, ty, w, l.font_body * 2};
    c.p.box(r, c.th.danger);
    c.p.text({r.x + l.gap, r.y, r.w - 2 * l.gap, r.h}, "⚠ " + problem_text(c, quote->problems.front()),
             l.font_body, c.th.on_danger, c.th.danger, align::center, true);
    ty += l.font_body * 2 + l.gap;
  }
  if (quote != nullptr) {
    std::string parts = c.tr.format("cart.subtotal", {c.tr.money(quote->subtotal)});
    if (quote->discount.amount > 0) parts += "  ·  " + c.tr.format("cart.discount", {c.tr.money(quote->discount)});
    const bool inclusive = !c.s.catalog || !c.s.catalog->catalog().profile ||
                           c.s.catalog->catalog().profile->tax == protocol::tax_mode::inclusive;
    parts += "  ·  " + c.tr.format(inclusive ? "cart.tax_incl" : "cart.tax", {c.tr.money(quote->tax)});
    if (quote->delivery_fee.amount > 0) parts += "  ·  " + c.tr.format("cart.delivery", {c.tr.money(quote->delivery_fee)});
    c.p.text({x0, ty, w, small_h}, parts, l.font_small, c.th.muted, c.th.background, align::right);
  }
  ty += small_h;
  c.p.text({x0, ty, w, l.font_title * 2}, c.tr.format("cart.total", {c.tr.money(shown_total(c.s))}),
           l.font_title, c.th.text, c.th.background, align::right, true);
  // Which prices these are: the store's own answer, or the kiosk's estimate (checking / offline).
  const bool from_hub = quote != nullptr && c.s.quote.from == cart_quote::source::hub;
  const char* mark = from_hub ? "cart.price_hub" : c.s.online ? "cart.price_checking" : "cart.estimate_note";
  c.p.text({x0, ty + l.font_title * 2, w, small_h}, (from_hub ? "✓ " : "") + c.t(mark), l.font_small,
           from_hub ? c.th.text : c.th.muted, c.th.background, align::right, from_hub);
}

const char* type_key(protocol::order_type t) {
  switch (t) {
    case protocol::order_type::eat_in: return "type.eat_in";
    case protocol::order_type::takeaway: return "type.takeaway";
    case protocol::order_type::pickup: return "type.pickup";
    case protocol::order_type::delivery: return "type.delivery";
  }
  return "type.takeaway";
}

void order_type_screen(ctx& c, rect area) {
  const auto& l = c.l;
  rect a = top_bar(c, area);
  if (c.s.editing != text_field::none) {
    rect top = keyboard(c, a, c.s.editing == text_field::table);
    const bool table = c.s.editing == text_field::table;
    const int x0 = top.x + l.pad, w = top.w - 2 * l.pad;
    field(c, {x0, top.y + l.gap, table ? std::min(w, l.target * 6) : w,
              std::min(top.h - l.gap, l.target + l.font_small * 2)},
          {table ? action_kind::edit_table : action_kind::edit_address, ""},
          c.t(table ? "type.table" : "type.address"), table ? c.s.table : c.s.address, true);
    return;
  }
  rect body = bottom_row(c, a, action{action_kind::back, ""}, c.t("nav.back"),
                         action{action_kind::continue_, ""}, c.t("nav.continue"), true);
  const int x0 = body.x + l.pad, w = body.w - 2 * l.pad;
  int y = body.y + l.gap;
  c.p.text({x0, y, w, l.font_title * 2}, c.t("type.title"), l.font_title, c.th.text, c.th.background, align::left, true);
  y += l.font_title * 2;
  const int n = static_cast<int>(c.s.types_offered.size());
  const int cols = l.portrait ? 2 : std::max(1, n);
  const int cw = (w - (cols - 1) * l.gap) / cols;
  const int ch = l.target * 2;
  for (int i = 0; i < n; ++i) {
    const auto t = c.s.types_offered[static_cast<std::size_t>(i)];
    c.chip({x0 + (i % cols) * (cw + l.gap), y + (i / cols) * (ch + l.gap), cw, ch},
           {action_kind::order_type, protocol::to_string(t)}, c.t(type_key(t)), c.s.type == t);
  }
  y += ((n + cols - 1) / cols) * (ch + l.gap) + l.gap;
  const int fh = l.target + l.font_small * 2;
  if (c.s.type == protocol::order_type::eat_in) {
    field(c, {x0, y, std::min(w, l.target * 6), fh}, {action_kind::edit_table, ""}, c.t("type.table"),
          c.s.table, c.s.editing == text_field::table);
    y += fh + l.gap;
  } else if (c.s.type == protocol::order_type::delivery) {
    field(c, {x0, y, w, fh}, {action_kind::edit_address, ""}, c.t("type.address"), c.s.address,
          c.s.editing == text_field::address);
    y += fh + l.gap;
  } else if (c.s.type == protocol::order_type::pickup && c.s.editing == text_field::none) {
    c.p.text({x0, y, w, l.font_small * 2}, c.t("type.slot"), l.font_small, c.th.muted, c.th.background);
    y += l.font_small * 2;
    const int sw = std::max(l.target * 2, c.p.measurer().width("00:00", l.font_body, true) + 2 * l.gap);
    int x = x0;
    for (const auto& slot : c.s.pickup_slots) {
      if (x + sw > x0 + w) { x = x0; y += l.target + l.gap; }
      if (y + l.target > body.y + body.h - l.font_body * 2) break;
      c.chip({x, y, sw, l.target}, {action_kind::pickup_slot, slot}, slot, c.s.pickup_slot == slot);
      x += sw + l.gap;
    }
    y += l.target + l.gap;
  }
  if (!c.s.notice.empty() && y + l.font_body * 2 <= body.y + body.h)
    notice_line(c, {x0, y, w, l.font_body * 2});
}

void payment(ctx& c, rect area) {
  const auto& l = c.l;
  rect a = top_bar(c, area);
  rect body = bottom_row(c, a, action{action_kind::back, ""}, c.t("nav.back"), std::nullopt, "", false);
  const int x0 = body.x + l.pad, w = body.w - 2 * l.pad;
  int y = body.y + l.gap;
  c.p.text({x0, y, w, l.font_title * 2}, c.t("pay.title"), l.font_title, c.th.text, c.th.background, align::left, true);
  y += l.font_title * 2;
  c.p.text({x0, y, w, l.font_title * 2}, c.tr.format("cart.total", {c.tr.money(shown_total(c.s))}),
           l.font_title, c.th.text, c.th.background, align::left, true);
  y += l.font_title * 2 + l.gap * 2;
  const int bw = std::min(w, l.target * 10);
  for (auto m : c.s.payments_offered) {
    if (!c.s.online && m != protocol::payment_method::cash) continue;
    const std::string key = m == protocol::payment_method::cash ? "pay.counter"
                            : m == protocol::payment_method::card_present ? "pay.card" : "pay.wallet";
    c.button({x0 + (w - bw) / 2, y, bw, l.target * 2}, {action_kind::pay, protocol::to_string(m)},
             c.t(key), true, true, l.font_title);
    y += l.target * 2 + l.gap * 2;
  }
  if (!c.s.online)
    c.p.paragraph({x0, y, w, l.font_body * 4}, c.t("pay.offline_note"), l.font_body, c.th.muted, c.th.background);
}

void processing(ctx& c, rect area) {
  const auto& l = c.l;
  rect a = top_bar(c, area);
  const int x0 = a.x + l.pad, w = a.w - 2 * l.pad;
  if (!c.s.reject_code.empty()) {
    c.p.text({x0, a.y + a.h / 4, w, l.font_title * 2}, c.t("processing.refused"), l.font_title,
             c.th.text, c.th.background, align::center, true);
    const std::string key = "reject." + c.s.reject_code;
    c.p.paragraph({x0 + w / 8, a.y + a.h / 4 + l.font_title * 2 + l.gap, w * 3 / 4, l.font_body * 4},
                  c.tr.has(key) ? c.t(key) : c.t("reject.other"), l.font_body, c.th.muted, c.th.background);
    const int bw = std::min(w, l.target * 6);
    c.button({x0 + (w - bw) / 2, a.y + a.h / 2 + l.target, bw, l.target + l.gap},
             {action_kind::back, ""}, c.t("processing.back_to_cart"), true);
    return;
  }
  const int dots = static_cast<int>((c.now / 400) % 4);
  c.p.text({x0, a.y + a.h / 3, w, l.font_title * 2}, c.t("processing.sending") + std::string(static_cast<std::size_t>(dots), '.'),
           l.font_title, c.th.text, c.th.background, align::center, true);
  c.p.text({x0, a.y + a.h / 3 + l.font_title * 2, w, l.font_body * 2}, c.t("processing.wait"),
           l.font_body, c.th.muted, c.th.background, align::center);
}

void confirmation(ctx& c, rect area) {
  const auto& l = c.l;
  rect a = top_bar(c, area);
  rect body = bottom_row(c, a, std::nullopt, "", action{action_kind::new_order, ""}, c.t("confirm.done"), true);
  const bool qr = !c.s.tracking_url.empty();
  const int qr_side = qr ? std::min(body.h / 2, l.target * 5) : 0;
  const int x0 = body.x + l.pad;
  const int w = (!l.portrait && qr) ? body.w - qr_side - 3 * l.pad : body.w - 2 * l.pad;
  int y = body.y + l.gap;
  c.p.text({x0, y, w, l.font_title * 2}, c.t("confirm.thanks"), l.font_title, c.th.text, c.th.background, align::center, true);
  y += l.font_title * 2;
  c.p.text({x0, y, w, l.font_body * 2}, c.t("confirm.your_number"), l.font_body, c.th.muted, c.th.background, align::center);
  y += l.font_body * 2;
  const int nh = l.font_huge * 3 / 2;
  c.p.text({x0, y, w, nh}, c.s.number, l.font_huge, c.th.text, c.th.background, align::center, true);
  y += nh + l.gap;
  if (!c.s.eta.empty()) {
    c.p.text({x0, y, w, l.font_body * 2}, c.tr.format("confirm.eta", {c.s.eta}), l.font_body, c.th.text, c.th.background, align::center);
    y += l.font_body * 2;
  }
  if (c.s.ticket_failed) {
    const int h = l.font_body * 4;
    c.p.box({x0, y, w, h}, c.th.danger);
    c.p.paragraph({x0 + l.gap, y + l.gap / 2, w - 2 * l.gap, h - l.gap},
                  c.tr.format("confirm.ask_staff", {c.s.number}), l.font_body, c.th.on_danger, c.th.danger, true);
    y += h + l.gap;
  } else {
    c.p.text({x0, y, w, l.font_body * 2}, c.t("confirm.printing"), l.font_body, c.th.text, c.th.background, align::center);
    y += l.font_body * 2;
  }
  if (c.s.local_number) {
    c.p.paragraph({x0, y, w, l.font_small * 3}, c.t("confirm.offline"), l.font_small, c.th.muted, c.th.background);
  }
  if (qr) {
    rect q;
    if (!l.portrait) q = {body.x + body.w - l.pad - qr_side, body.y + l.pad, qr_side, qr_side};
    else {
      const int side = std::min(qr_side, body.y + body.h - y - l.gap - l.font_small * 2);
      if (side < l.target * 2) return;  // no room (reach mode): the receipt carries the QR too
      q = {body.x + (body.w - side) / 2, body.y + body.h - side - l.font_small * 2, side, side};
    }
    c.p.box(q, {255, 255, 255});
    c.out.scene.qrs.push_back(ui::qr_item{q, c.s.tracking_url});
    c.p.text({q.x - l.pad, q.y + q.h, q.w + 2 * l.pad, l.font_small * 2}, c.t("confirm.track"), l.font_small, c.th.muted, c.th.background, align::center);
  }
}

void rating(ctx& c, rect area) {
  const auto& l = c.l;
  rect a = top_bar(c, area);
  rect body = bottom_row(c, a, action{action_kind::skip_rating, ""}, c.t("rating.skip"), std::nullopt, "", false);
  const int x0 = body.x + l.pad, w = body.w - 2 * l.pad;
  c.p.text({x0, body.y + body.h / 4, w, l.font_title * 2}, c.t("rating.title"), l.font_title, c.th.text, c.th.background, align::center, true);
  const int bw = std::min(l.target * 2, (w - 4 * l.gap) / 5);
  const int total = 5 * bw + 4 * l.gap;
  for (int i = 1; i <= 5; ++i) {
    std::string stars;
    for (int k = 0; k < i; ++k) stars += "★";
    c.button({x0 + (w - total) / 2 + (i - 1) * (bw + l.gap), body.y + body.h / 2, bw, bw},
             {action_kind::rate, std::to_string(i)}, std::to_string(i) + " ★", false, true, l.font_title);
  }
  c.p.text({x0, body.y + body.h / 2 + bw + l.gap, w, l.font_body * 2}, c.t("rating.hint"), l.font_body, c.th.muted, c.th.background, align::center);
}

void still_there(ctx& c, rect area, const timings& t) {
  const auto& l = c.l;
  rect a = top_bar(c, area);
  const int x0 = a.x + l.pad, w = a.w - 2 * l.pad;
  c.p.text({x0, a.y + a.h / 4, w, l.font_huge}, c.t("idle.title"), l.font_title * 2, c.th.text, c.th.background, align::center, true);
  const std::int64_t left = std::max<std::int64_t>(0, (t.still_there_ms - (c.now - c.s.screen_since_ms) + 999) / 1000);
  c.p.text({x0, a.y + a.h / 4 + l.font_huge, w, l.font_body * 2},
           c.tr.format("idle.countdown", {std::to_string(left)}), l.font_body, c.th.muted, c.th.background, align::center);
  const int bw = std::min(w, l.target * 8);
  c.button({x0 + (w - bw) / 2, a.y + a.h / 2, bw, l.target * 2}, {action_kind::still_here, ""}, c.t("idle.here"), true, true, l.font_title);
}

void staff_pin(ctx& c, rect area) {
  const auto& l = c.l;
  rect a = top_bar(c, area);
  const int x0 = a.x + l.pad, w = a.w - 2 * l.pad;
  int y = a.y + l.gap;
  c.p.text({x0, y, w, l.font_title * 2}, c.t("staff.pin_title"), l.font_title, c.th.text, c.th.background, align::center, true);
  y += l.font_title * 2;
  std::string dots;
  for (std::size_t i = 0; i < c.s.pin.size(); ++i) dots += "● ";
  c.p.text({x0, y, w, l.font_title * 2}, dots.empty() ? std::string("–") : dots, l.font_title, c.th.text, c.th.background, align::center);
  y += l.font_title * 2;
  if (!c.s.notice.empty()) {
    notice_line(c, {x0 + w / 4, y, w / 2, l.font_body * 2});
    y += l.font_body * 2 + l.gap;
  }
  const int k = std::min(l.target * 2, (a.y + a.h - y - l.pad - 3 * l.gap) / 4);
  const int kx = x0 + (w - 3 * k - 2 * l.gap) / 2;
  const char* keys[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9"};
  for (int i = 0; i < 9; ++i)
    c.button({kx + (i % 3) * (k + l.gap), y + (i / 3) * (k + l.gap), k, k}, {action_kind::pin_digit, keys[i]}, keys[i], false, true, l.font_title);
  const int ly = y + 3 * (k + l.gap);
  c.button({kx, ly, k, k}, {action_kind::pin_cancel, ""}, "✕", false, true, l.font_title);
  c.button({kx + k + l.gap, ly, k, k}, {action_kind::pin_digit, "0"}, "0", false, true, l.font_title);
  c.button({kx + 2 * (k + l.gap), ly, k, k}, {action_kind::key_done, ""}, "OK", true, !c.s.pin.empty() && !c.s.pin_checking, l.font_title);
}

// The camera view: the newest preview frame, the codes read in it outlined, their text below.
void camera_panel(ctx& c, rect r) {
  const auto& l = c.l;
  const auto& cam = c.s.camera;
  c.p.text({r.x, r.y, r.w, l.font_body * 2}, c.t("staff.camera") + " · " + cam.status, l.font_body,
           c.th.text, c.th.background, align::left, true);
  r.y += l.font_body * 2;
  r.h -= l.font_body * 2;
  const int list_h = l.font_small * 2 * 2;
  rect pic{r.x, r.y, r.w, std::max(0, r.h - list_h - l.gap)};
  if (pic.h < l.target) return;
  if (cam.width > 0 && cam.height > 0) {
    // The picture's own aspect (the renderer crops to cover: no crop when the box matches).
    const int w = std::min(pic.w, pic.h * cam.width / cam.height);
    const int h = w * cam.height / cam.width;
    pic = {pic.x, pic.y, w, h};
  } else {
    pic.w = std::min(pic.w, pic.h * 4 / 3);
    pic.h = pic.w * 3 / 4;
  }
  c.out.scene.images.push_back(ui::image_item{pic, "camera:view", cam.width > 0 ? "" : "…", {40, 40, 40}, {255, 255, 255}});
  int y = pic.y + pic.h + l.gap;
  if (cam.width <= 0) return;
  const double sc = static_cast<double>(pic.w) / cam.width;
  std::string texts;
  for (const auto& code : cam.codes) {
    int x0 = cam.width, y0 = cam.height, x1 = 0, y1 = 0;
    for (const auto& [x, yy] : code.corners) {
      x0 = std::min(x0, x); y0 = std::min(y0, yy); x1 = std::max(x1, x); y1 = std::max(y1, yy);
    }
    const rect box{pic.x + static_cast<int>(x0 * sc) - 2, pic.y + static_cast<int>(y0 * sc) - 2,
                   std::max(6, static_cast<int>((x1 - x0) * sc) + 4), std::max(6, static_cast<int>((y1 - y0) * sc) + 4)};
    // Outlines go over the picture (overlays are drawn last).
    c.out.scene.overlays.push_back(ui::box_item{box, {0, 0, 0, 0}, {0, 200, 80}, 3});
    texts += (texts.empty() ? "" : "   ") + std::string("▣ ") + code.text;
  }
  c.p.paragraph({r.x, y, r.w, list_h}, texts.empty() ? c.t("staff.camera_none") : texts, l.font_small,
                texts.empty() ? c.th.muted : c.th.text, c.th.background);
}

void maintenance(ctx& c, rect area) {
  const auto& l = c.l;
  rect a = top_bar(c, area);
  const int x0 = a.x + l.pad, w = a.w - 2 * l.pad;
  int y = a.y + l.gap;
  c.p.text({x0, y, w, l.font_title * 2}, c.t("staff.title"), l.font_title, c.th.text, c.th.background, align::left, true);
  y += l.font_title * 2;
  const int top = y;
  // Landscape: the camera view beside the facts; portrait: under the buttons.
  const bool camera = c.s.camera.status != "none";
  const bool side = camera && !l.portrait;
  const int info_w = side ? w / 2 - l.gap : w;
  const int lh = l.font_body * 2;
  for (const auto& [k, v] : c.s.staff_info) {
    c.p.text({x0, y, info_w * 2 / 5, lh}, c.t(k), l.font_body, c.th.muted, c.th.background);
    c.p.text({x0 + info_w * 2 / 5, y, info_w - info_w * 2 / 5, lh}, v, l.font_body, c.th.text, c.th.background, align::left, true);
    y += lh;
  }
  y += l.gap * 2;
  const int cols = side || l.portrait ? 2 : 4;
  const int bw = (info_w - (cols - 1) * l.gap) / cols;
  const std::pair<action, std::string> buttons[] = {
      {{action_kind::test_print, ""}, c.t("staff.test_print")},
      {{action_kind::reprint_last, ""}, c.t("staff.reprint")},
      {{action_kind::exit_staff, ""}, c.t("staff.exit")},
      {{action_kind::quit_app, ""}, c.t("staff.quit")}};
  int i = 0;
  for (const auto& [act, label] : buttons) {
    c.button({x0 + (i % cols) * (bw + l.gap), y + (i / cols) * (l.target + l.gap * 2), bw, l.target + l.gap}, act, label,
             act.kind == action_kind::exit_staff,
             act.kind != action_kind::reprint_last || !c.s.last_printed_order.empty());
    ++i;
  }
  y += ((i + cols - 1) / cols) * (l.target + l.gap * 2) + l.gap;
  if (side) camera_panel(c, {x0 + w / 2 + l.gap, top, w / 2 - l.gap, a.y + a.h - top - l.pad});
  else if (camera) camera_panel(c, {x0, y, w, a.y + a.h - y - l.pad});
}

}  // namespace

bool animating(const state& s, std::int64_t now) {
  return now - s.pressed_ms < k_press_ms || (now - s.cart_changed_ms >= 0 && now - s.cart_changed_ms < k_bar_ms) ||
         s.current == screen::processing || s.current == screen::still_there;
}

view_result build_view(const state& s, const ui::layout& l, const ui::theme& th,
                       const ui::strings& tr, ui::text_measurer& m, std::int64_t now) {
  view_result out;
  out.scene.background = th.background;
  ctx c{s, l, th, tr, ui::painter(out.scene, m), out, now};
  rect area{0, 0, l.width, l.height};
  if (l.reach) {
    // Reach mode: every control in the lower half; the upper half only shows the store's name.
    const int half = l.height / 2;
    c.p.box({0, 0, l.width, half}, th.surface);
    const std::string& name = s.business_name.empty() ? tr.get("shop.title") : s.business_name;
    c.p.text({l.pad, half / 3, l.width - 2 * l.pad, l.font_huge * 3 / 2}, name, l.font_huge, th.text, th.surface, align::center, true);
    area = {0, half, l.width, l.height - half};
  }
  timings t;
  switch (s.current) {
    case screen::attract: attract(c, area); break;
    case screen::menu: menu(c, area); break;
    case screen::product: product(c, area); break;
    case screen::cart: cart_screen(c, area); break;
    case screen::order_type: order_type_screen(c, area); break;
    case screen::payment: payment(c, area); break;
    case screen::processing: processing(c, area); break;
    case screen::confirmation: confirmation(c, area); break;
    case screen::rating: rating(c, area); break;
    case screen::still_there: still_there(c, area, t); break;
    case screen::staff_pin: staff_pin(c, area); break;
    case screen::maintenance: maintenance(c, area); break;
  }
  if (now - s.pressed_ms < k_press_ms)
    if (const auto* tg = out.scene.find(s.pressed_id))
      out.scene.overlays.push_back(ui::box_item{tg->r, th.pressed});
  return out;
}

}  // namespace kh::kiosk::shop
