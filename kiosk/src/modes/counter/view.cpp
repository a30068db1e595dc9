#include "kh/kiosk/modes/counter/view.hpp"

#include <algorithm>

namespace kh::kiosk::counter {

namespace {
using ui::align;
using ui::color;
using ui::rect;
using st = protocol::order_state;

constexpr color k_amber{255, 196, 40}, k_on_amber{33, 28, 24};
constexpr color k_ok{22, 101, 82}, k_on_ok{255, 255, 255};

const char* lane_key(lane l) {
  switch (l) {
    case lane::to_pay: return "counter.lane.to_pay";
    case lane::paid: return "counter.lane.paid";
    case lane::preparing: return "counter.lane.preparing";
    case lane::ready: return "counter.lane.ready";
  }
  return "counter.lane.paid";
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
const char* step_key(st to) {
  switch (to) {
    case st::preparing: return "counter.step.preparing";
    case st::ready: return "counter.step.ready";
    case st::collected: return "counter.step.collected";
    case st::out_for_delivery: return "counter.step.out";
    case st::delivered: return "counter.step.delivered";
    default: return "counter.step.preparing";
  }
}

struct ctx {
  const state& s;
  const ui::layout& l;
  const ui::theme& th;
  const ui::strings& tr;
  ui::painter p;
  view_result& out;
  std::int64_t now;
  bool modal;  // a dialog is open: the screen below takes no taps

  void button(rect r, const std::string& id, const action& a, std::string_view label, bool primary,
              bool enabled = true, int size = 0) {
    if (modal && a.what != action::kind::close && !in_dialog) return draw_only(r, label, primary, size);
    out.actions[id] = a;
    const color fill = !enabled ? th.secondary : primary ? th.primary : th.secondary;
    const color fg = !enabled ? th.muted : primary ? th.on_primary : th.on_secondary;
    p.button(r, id, label, size > 0 ? size : l.font_body, fill, fg, enabled, true,
             th.high_contrast || !primary ? th.border : color{0, 0, 0, 0});
  }
  void draw_only(rect r, std::string_view label, bool primary, int size) {
    const color fill = primary ? th.primary : th.secondary;
    p.box(r, fill);
    const int inset = std::max(4, r.h / 8);
    p.text({r.x + inset, r.y + 2, r.w - 2 * inset, r.h - 4}, label, size > 0 ? size : l.font_body,
           primary ? th.on_primary : th.on_secondary, fill, align::center, true);
  }
  bool in_dialog = false;
};

// Greedy word wrap to `w` pixels (a word longer than a line stays whole: the painter shrinks it).
std::vector<std::string> wrap_words(ui::text_measurer& m, const std::string& text, int size, int w) {
  std::vector<std::string> out;
  std::string line, word;
  auto flush_word = [&] {
    if (word.empty()) return;
    const std::string tryl = line.empty() ? word : line + " " + word;
    if (!line.empty() && m.width(tryl, size, false) > w) {
      out.push_back(line);
      line = word;
    } else {
      line = tryl;
    }
    word.clear();
  };
  for (char ch : text) {
    if (ch == ' ') flush_word();
    else word += ch;
  }
  flush_word();
  if (!line.empty()) out.push_back(line);
  return out;
}

std::string money(const ui::strings& tr, std::int64_t amount, const std::string& cur) {
  return tr.money({amount, cur});
}

std::string age_text(const ui::strings& tr, std::int64_t ms, age_level age) {
  const auto min = std::max<std::int64_t>(0, ms / 60'000);
  // Amber and red differ without colour too: a sign in the chip (⚠ late, ‼ very late).
  const char* key = age == age_level::red ? "counter.age_red" : age == age_level::amber ? "counter.age_amber" : "counter.age_min";
  return tr.format(key, {std::to_string(min)});
}

// One card; returns its height (0 when it does not fit in `max_h`).
int card(ctx& c, const feed_order& o, lane ln, rect r, int max_h, bool measure_only) {
  const auto& l = c.l;
  auto& m = c.p.measurer();
  const int g = l.gap;
  const int head_px = l.font_body;
  const int line_px = l.font_small;
  const int head_h = m.line_height(head_px) + g / 2;
  const int line_h = m.line_height(line_px);
  const auto lines = routed_lines(c.s.cfg, o);
  // Lines with their options/note as a second, muted line.
  struct row {
    std::string text;
    bool muted;
  };
  std::vector<row> rows;
  const int iw0 = r.w - 2 * g;
  auto wrapped = [&](const std::string& text, bool muted, const std::string& indent) {
    for (auto& piece : wrap_words(m, text, line_px, iw0 - m.width(indent, line_px, false)))
      rows.push_back({indent + piece, muted});
  };
  wrapped(c.tr.get(type_key(o.type)) + (o.customer.empty() ? "" : " · " + o.customer), true, "");
  for (const auto* ln2 : lines) {
    wrapped(std::to_string(ln2->qty) + " × " + ln2->name, false, "");
    std::string extra;
    for (const auto& opt : ln2->options) extra += (extra.empty() ? "" : ", ") + opt;
    if (!ln2->note.empty()) extra += (extra.empty() ? "“" : " · “") + ln2->note + "”";
    if (!extra.empty()) wrapped(extra, true, "   ");
  }
  const int btn_h = l.target;
  const int fixed = g + head_h + g / 2 + g / 2 + btn_h + g;
  int n_rows = static_cast<int>(rows.size());
  const int max_rows = c.s.large_text ? 4 : 6;
  int cut = std::min(n_rows, max_rows);
  if (fixed + cut * line_h > max_h) cut = std::max(0, (max_h - fixed) / line_h);
  // The card's body is a touch target too (it opens the details): at least one target high.
  const int min_h = btn_h + g + l.target;
  const int h = std::max(min_h, fixed + cut * line_h);
  if (h > max_h || (cut == 0 && n_rows > 0)) return 0;
  if (measure_only) return h;

  const auto age = age_of(c.s, o, c.now);
  const color fill = c.th.surface;
  const color edge = age == age_level::red ? c.th.danger : age == age_level::amber ? k_amber : c.th.border;
  const int band = age == age_level::fresh ? 1 : std::max(3, g / 2);
  c.p.box({r.x, r.y, r.w, h}, fill, edge, band);
  if (age == age_level::red && band + 4 <= g) {
    // Red has a second, inner band (a double border): told from amber's single band in grey too.
    const int in = band + 2;
    c.p.box({r.x + in, r.y + in, r.w - 2 * in, h - 2 * in}, {0, 0, 0, 0}, edge, 2);
  }
  c.out.cards.push_back({r.x, r.y, r.w, h});
  c.out.ages.push_back({{r.x, r.y, r.w, h}, age, band, age == age_level::red && band + 4 <= g});
  const int ix = r.x + g, iw = r.w - 2 * g;
  int y = r.y + g;
  // Header: number (bold), type, age chip at right.
  const std::string age_s = o.placed_ms > 0 ? age_text(c.tr, c.now - o.placed_ms, age) : "";
  const int chip_w = age_s.empty() ? 0 : m.width(age_s, line_px, true) + g;
  const int num_w = iw - chip_w - g;
  c.p.text({ix, y, num_w, head_h}, o.number, head_px, c.th.text, fill, align::left, true);
  if (!age_s.empty()) {
    // High contrast has no red: its "danger" is white, next to amber's yellow. There the red chip
    // is inverted (black, white text, white outline), so it differs from amber in lightness.
    const bool hc_red = age == age_level::red && c.th.high_contrast;
    const color cf = hc_red ? c.th.background : age == age_level::red ? c.th.danger : age == age_level::amber ? k_amber : c.th.secondary;
    const color cfg = hc_red ? c.th.text : age == age_level::red ? c.th.on_danger : age == age_level::amber ? k_on_amber : c.th.on_secondary;
    const rect chip{ix + iw - chip_w, y + (head_h - line_h) / 2, chip_w, line_h};
    c.p.box(chip, cf, hc_red ? c.th.text : color{0, 0, 0, 0}, hc_red ? 2 : 0);
    c.out.chips.push_back({chip, age, cf, cfg});
    c.p.text(chip, age_s, line_px, cfg, cf, align::center, true);
  }
  y += head_h + g / 2;
  for (int i = 0; i < cut; ++i) {
    std::string t = rows[static_cast<std::size_t>(i)].text;
    if (i == cut - 1 && cut < n_rows) t = c.tr.format("counter.more_lines", {std::to_string(n_rows - i)});
    c.p.text({ix, y, iw, line_h}, t, line_px, rows[static_cast<std::size_t>(i)].muted ? c.th.muted : c.th.text, fill);
    y += line_h;
  }
  // The card body opens the order's detail; the button does the next step.
  const rect body{r.x, r.y, r.w, h - btn_h - g};
  if (!c.modal) {
    const std::string id = "card:" + o.order_id;
    c.out.actions[id] = action{action::kind::open_detail, o.order_id};
    c.p.add_target(body, id, o.number);
  }
  const rect btn{ix, r.y + h - btn_h - g, iw, btn_h};
  const bool waiting = c.s.pending.count(o.order_id) != 0;
  if (ln == lane::to_pay) {
    c.button(btn, "cash:" + o.order_id, action{action::kind::take_cash, o.order_id},
             c.tr.format("counter.take_cash", {money(c.tr, o.total.amount, o.total.currency)}), true, !waiting);
  } else {
    st to;
    if (next_step(o, to))
      c.button(btn, "step:" + o.order_id, action{action::kind::advance, o.order_id, to},
               waiting ? c.tr.get("counter.waiting") : c.tr.get(step_key(to)), true, !waiting);
  }
  return h;
}

void lane_column(ctx& c, lane ln, rect r) {
  const auto& l = c.l;
  auto& m = c.p.measurer();
  const auto orders = lane_orders(c.s, ln);
  c.p.box(r, c.th.background, c.th.border, 1);
  const int head_h = m.line_height(l.font_body) + l.gap;
  c.p.text({r.x + l.gap, r.y + l.gap / 2, r.w - 2 * l.gap, head_h},
           c.tr.format("counter.lane_count", {c.tr.get(lane_key(ln)), std::to_string(orders.size())}),
           l.font_body, c.th.text, c.th.background, align::left, true);
  int y = r.y + head_h + l.gap;
  const int bottom = r.y + r.h - l.gap;
  const int more_h = m.line_height(l.font_small);
  int shown = 0;
  for (std::size_t i = 0; i < orders.size(); ++i) {
    const bool last = i + 1 == orders.size();
    const int room = bottom - y - (last ? 0 : more_h + l.gap);
    const rect cr{r.x + l.gap, y, r.w - 2 * l.gap, room};
    const int h = card(c, *orders[i], ln, cr, room, true);
    if (h == 0) break;
    card(c, *orders[i], ln, cr, room, false);
    y += h + l.gap;
    ++shown;
  }
  const int hidden = static_cast<int>(orders.size()) - shown;
  c.out.shown[ln] = shown;
  c.out.hidden[ln] = hidden;
  if (hidden > 0) {
    const std::string more = hidden == 1 ? c.tr.format("counter.more_orders_one", {})
                                         : c.tr.format("counter.more_orders", {std::to_string(hidden)});
    c.p.text({r.x + l.gap, std::min(y, bottom - more_h), r.w - 2 * l.gap, more_h}, more, l.font_small, c.th.muted,
             c.th.background, align::center, true);
  }
}

rect dialog_panel(ctx& c, int want_w, int want_h) {
  const auto& l = c.l;
  c.out.scene.overlays.push_back({{0, 0, l.width, l.height}, {0, 0, 0, 140}});
  const int w = std::min(want_w, l.width - 2 * l.pad), h = std::min(want_h, l.height - 2 * l.pad);
  return {(l.width - w) / 2, (l.height - h) / 2, w, h};
}

// Dialogs are drawn after the screen, as their own scene layer: boxes and texts go on top because
// they are appended last, and the screen below took no targets (modal).
void draw_dialog(ctx& c) {
  const auto& s = c.s;
  const auto& l = c.l;
  auto& m = c.p.measurer();
  const auto* o = s.feed.find(s.focus);
  if (o == nullptr && s.open != dialog::cash_done) return;
  c.in_dialog = true;
  const int g = l.gap;
  const int bw = std::max(l.target * 2, l.width / 8);
  ui::scene& sc = c.out.scene;
  const std::size_t box0 = sc.boxes.size(), text0 = sc.texts.size();
  const int want_w = l.portrait ? l.width - 2 * l.pad : std::min(l.width * 3 / 5, std::max(l.mm(120), 6 * l.target + 7 * g));
  rect p{};
  const std::string number = o ? o->number : std::string();
  auto title = [&](rect pr, const std::string& t) {
    c.p.text({pr.x + g, pr.y + g, pr.w - 2 * g, m.line_height(l.font_title)}, t, l.font_title, c.th.text,
             c.th.surface, align::left, true);
    return pr.y + g + m.line_height(l.font_title) + g;
  };
  auto keypad = [&](rect area) {
    // 3×4 digits: 1-9, ⌫ 0 OK.
    const int kw = (area.w - 2 * g) / 3, kh = std::max(l.target, (area.h - 3 * g) / 4);
    const char* keys[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "<", "0", "ok"};
    for (int i = 0; i < 12; ++i) {
      const rect k{area.x + (i % 3) * (kw + g), area.y + (i / 3) * (kh + g), kw, kh};
      const std::string key = keys[i];
      if (key == "<") c.button(k, "key:back", {action::kind::backspace}, "⌫", false);
      else if (key == "ok") c.button(k, "key:ok", {action::kind::confirm}, c.tr.get("counter.ok"), true);
      else c.button(k, "key:" + key, {action::kind::digit, {}, st::paid, key}, key, false, true, l.font_title);
    }
    return 4 * kh + 3 * g;
  };
  const int kh = std::max(l.target, l.height / 11);
  switch (s.open) {
    case dialog::detail: {
      const auto lines = routed_lines(s.cfg, *o);
      const int lh = m.line_height(l.font_body);
      const int rows = std::min<int>(static_cast<int>(lines.size()) * 2 + 3, 15);
      p = dialog_panel(c, want_w, 3 * g + m.line_height(l.font_title) + rows * lh + l.target + 3 * g);
      c.p.box(p, c.th.surface, c.th.border, 2);
      int y = title(p, number + " · " + c.tr.get(type_key(o->type)));
      if (!o->customer.empty()) {
        c.p.text({p.x + g, y, p.w - 2 * g, lh}, o->customer, l.font_body, c.th.muted, c.th.surface, align::left, true);
        y += lh;
      }
      const int bottom = p.y + p.h - l.target - 2 * g;
      for (const auto* ln : lines) {
        if (y + lh > bottom) break;
        c.p.text({p.x + g, y, p.w - 2 * g, lh}, std::to_string(ln->qty) + " × " + ln->name, l.font_body,
                 c.th.text, c.th.surface);
        y += lh;
        std::string extra;
        for (const auto& opt : ln->options) extra += (extra.empty() ? "" : ", ") + opt;
        if (!ln->note.empty()) extra += (extra.empty() ? "“" : " · “") + ln->note + "”";
        if (!extra.empty() && y + lh <= bottom) {
          c.p.text({p.x + 3 * g, y, p.w - 4 * g, lh}, extra, l.font_small, c.th.muted, c.th.surface);
          y += lh;
        }
      }
      const int by = p.y + p.h - l.target - g;
      const int w3 = (p.w - 4 * g) / 3;
      c.button({p.x + g, by, w3, l.target}, "reprint", {action::kind::reprint, o->order_id}, c.tr.get("counter.reprint"), false);
      c.button({p.x + 2 * g + w3, by, w3, l.target}, "cancel", {action::kind::cancel_order, o->order_id}, c.tr.get("counter.cancel"), false);
      c.button({p.x + 3 * g + 2 * w3, by, w3, l.target}, "close", {action::kind::close}, c.tr.get("counter.close"), true);
      break;
    }
    case dialog::cash: {
      const auto quick = quick_amounts(o->total.amount);
      p = dialog_panel(c, want_w, 2 * g + m.line_height(l.font_title) + 2 * (m.line_height(l.font_title) + g) +
                                      l.target + 2 * g + 4 * kh + 3 * g + l.target + 3 * g);
      c.p.box(p, c.th.surface, c.th.border, 2);
      int y = title(p, c.tr.format("counter.cash_title", {number, money(c.tr, o->total.amount, o->total.currency)}));
      const std::int64_t tendered = s.entry.empty() ? 0 : std::stoll(s.entry);
      const int th_ = m.line_height(l.font_title);
      c.p.text({p.x + g, y, p.w - 2 * g, th_}, c.tr.format("counter.tendered", {money(c.tr, tendered, o->total.currency)}),
               l.font_title, c.th.text, c.th.surface, align::left, true);
      y += th_ + g;
      if (tendered >= o->total.amount)
        c.p.text({p.x + g, y, p.w - 2 * g, th_},
                 c.tr.format("counter.change_estimate", {money(c.tr, tendered - o->total.amount, o->total.currency)}),
                 l.font_body, c.th.muted, c.th.surface);
      y += th_ + g;
      const int n = static_cast<int>(quick.size());
      const int qw = (p.w - (n + 1) * g) / n;
      for (int i = 0; i < n; ++i)
        c.button({p.x + g + i * (qw + g), y, qw, l.target}, "quick:" + std::to_string(quick[static_cast<std::size_t>(i)]),
                 {action::kind::quick_cash, {}, st::paid, {}, quick[static_cast<std::size_t>(i)]},
                 i == 0 ? c.tr.get("counter.exact") : money(c.tr, quick[static_cast<std::size_t>(i)], o->total.currency), false);
      y += l.target + 2 * g;
      keypad({p.x + g, y, p.w - 2 * g, 4 * kh + 3 * g});
      c.button({p.x + g, p.y + p.h - l.target - g, p.w - 2 * g, l.target}, "close", {action::kind::close},
               c.tr.get("counter.back"), false);
      break;
    }
    case dialog::cash_done: {
      const int big = l.font_huge * 2 / 3;
      p = dialog_panel(c, want_w, 4 * g + m.line_height(l.font_title) + m.line_height(l.font_title) + m.line_height(big) + l.target + 3 * g);
      c.p.box(p, c.th.surface, c.th.border, 2);
      int y = title(p, c.tr.format("counter.cash_taken", {number.empty() ? std::string() : number}));
      c.p.text({p.x + g, y, p.w - 2 * g, m.line_height(l.font_title)},
               c.tr.format("counter.tendered", {c.tr.money(s.tendered)}), l.font_title, c.th.text, c.th.surface);
      y += m.line_height(l.font_title) + g;
      c.p.box({p.x + g, y, p.w - 2 * g, m.line_height(big)}, k_ok);
      c.p.text({p.x + g, y, p.w - 2 * g, m.line_height(big)}, c.tr.format("counter.change", {c.tr.money(s.change)}), big,
               k_on_ok, k_ok, align::center, true);
      c.button({p.x + g, p.y + p.h - l.target - g, p.w - 2 * g, l.target}, "close", {action::kind::close},
               c.tr.get("counter.done"), true);
      break;
    }
    case dialog::cancel_pin: {
      p = dialog_panel(c, std::min(want_w, 3 * bw + 4 * g), 3 * g + m.line_height(l.font_title) + m.line_height(l.font_title) + g + 4 * kh + 3 * g + l.target + 2 * g);
      c.p.box(p, c.th.surface, c.th.border, 2);
      int y = title(p, c.tr.format("counter.cancel_title", {number}));
      c.p.text({p.x + g, y, p.w - 2 * g, m.line_height(l.font_title)},
               s.entry.empty() ? c.tr.get("counter.enter_pin") : std::string(s.entry.size() * 2, '*').substr(0, s.entry.size() * 2),
               l.font_title, c.th.text, c.th.surface, align::center);
      y += m.line_height(l.font_title) + g;
      keypad({p.x + g, y, p.w - 2 * g, 4 * kh + 3 * g});
      c.button({p.x + g, p.y + p.h - l.target - g, p.w - 2 * g, l.target}, "close", {action::kind::close},
               c.tr.get("counter.back"), false);
      break;
    }
    case dialog::cancel_reason: {
      const int n = static_cast<int>(std::size(k_cancel_reasons));
      p = dialog_panel(c, want_w, 3 * g + m.line_height(l.font_title) + n * (l.target + g) + l.target + 2 * g);
      c.p.box(p, c.th.surface, c.th.border, 2);
      int y = title(p, c.tr.format("counter.reason_title", {number}));
      for (const char* r : k_cancel_reasons) {
        c.button({p.x + g, y, p.w - 2 * g, l.target}, std::string("reason:") + r,
                 {action::kind::reason, s.focus, st::cancelled, r}, c.tr.get(std::string("counter.reason.") + r), false);
        y += l.target + g;
      }
      c.button({p.x + g, p.y + p.h - l.target - g, p.w - 2 * g, l.target}, "close", {action::kind::close},
               c.tr.get("counter.back"), true);
      break;
    }
    case dialog::none: break;
  }
  // Dialog boxes and texts must be drawn over the overlay: move them into the overlay layer order.
  // The renderer draws boxes, images, qrs, texts, then overlays; so the dim overlay is a box here
  // (inserted before the dialog's boxes) and the overlay list keeps only press feedback.
  if (!sc.overlays.empty()) {
    const auto dim = sc.overlays.back();
    sc.overlays.pop_back();
    sc.boxes.insert(sc.boxes.begin() + static_cast<std::ptrdiff_t>(box0), dim);
    // Texts of the screen below stay; the dim box is drawn before the texts though, so the texts
    // below would show through undimmed: drop them (the screen behind is only context).
    sc.texts.erase(sc.texts.begin(), sc.texts.begin() + static_cast<std::ptrdiff_t>(text0));
  }
  c.in_dialog = false;
}
}  // namespace

view_result build_view(const state& s, const ui::layout& l, const ui::theme& th, const ui::strings& tr,
                       ui::text_measurer& m, std::int64_t now_ms) {
  view_result out;
  out.scene.background = th.background;
  ctx c{s, l, th, tr, ui::painter(out.scene, m), out, now_ms, s.open != dialog::none};
  auto& p = c.p;
  const int g = l.gap;

  // Top bar: title + connection at left, large text toggle at right.
  const int bar_h = l.target + g;
  p.box({0, 0, l.width, bar_h}, th.surface);
  p.box({0, bar_h - 2, l.width, 2}, th.border);
  const int tw = std::max(l.target, m.width("A+", l.font_body, true) + 2 * g);
  c.button({l.width - l.pad - tw, g / 2, tw, l.target}, "large_text", {action::kind::toggle_large_text},
           s.large_text ? "A−" : "A+", s.large_text);
  const std::string title = tr.format("counter.title", {s.cfg.device_id});
  const std::string conn = !s.online ? tr.get("counter.offline_mark") : s.resyncing ? tr.get("counter.syncing") : "";
  const int conn_w = conn.empty() ? 0 : std::min(l.width / 4, m.width(conn, l.font_small, true) + 2 * g);
  p.text({l.pad, g / 2, l.width - 2 * l.pad - tw - conn_w - 2 * g, l.target}, title, l.font_body, th.text, th.surface,
         align::left, true);
  if (!conn.empty()) {
    const rect cr{l.width - l.pad - tw - g - conn_w, g / 2 + (l.target - m.line_height(l.font_small)) / 2, conn_w,
                  m.line_height(l.font_small)};
    p.box(cr, th.banner);
    p.text(cr, conn, l.font_small, th.on_banner, th.banner, align::center, true);
  }
  int y = bar_h + g / 2;

  // "All day" strip: product counts across paid and preparing orders.
  const auto counts = all_day(s);
  const int strip_h = m.line_height(l.font_small) + g;
  {
    const std::string label = tr.get("counter.all_day");
    const int lw = m.width(label, l.font_small, true) + g;
    p.text({l.pad, y, lw, strip_h}, label, l.font_small, th.muted, th.background, align::left, true);
    int x = l.pad + lw + g;
    const int right = l.width - l.pad;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      const std::string chip = std::to_string(counts[i].second) + " × " + counts[i].first;
      const int w = m.width(chip, l.font_small, false) + g;
      const std::string rest = "+" + std::to_string(counts.size() - i);
      const int rest_w = m.width(rest, l.font_small, true) + g;
      if (x + w + (i + 1 < counts.size() ? rest_w + g : 0) > right) {
        p.text({x, y, std::min(rest_w, right - x), strip_h}, rest, l.font_small, th.muted, th.background, align::left, true);
        break;
      }
      p.box({x, y + 2, w, strip_h - 4}, th.secondary);
      p.text({x, y + 2, w, strip_h - 4}, chip, l.font_small, th.on_secondary, th.secondary, align::center);
      x += w + g;
    }
    if (counts.empty())
      p.text({x, y, right - x, strip_h}, tr.get("counter.all_day_none"), l.font_small, th.muted, th.background);
  }
  y += strip_h + g / 2;

  // Notice (scan result, errors): a wide band, green or red, above the lanes.
  const bool has_note = !s.note.key.empty();
  const int note_px = l.font_title;
  const int note_h = m.line_height(note_px) + g;
  if (has_note) {
    const color fill = s.note.how == notice::kind::ok ? k_ok : s.note.how == notice::kind::error ? th.danger : th.selected;
    const color fg = s.note.how == notice::kind::ok ? k_on_ok : s.note.how == notice::kind::error ? th.on_danger : th.on_selected;
    const rect nr{l.pad, y, l.width - 2 * l.pad, note_h};
    p.box(nr, fill);
    const std::string text = tr.format(s.note.key, s.note.args);
    int px = note_px;
    for (int cand : {note_px, l.font_body, l.font_small})
      if ((px = cand), m.width(text, cand, true) <= nr.w - 2 * g) break;
    p.text({nr.x + g, nr.y, nr.w - 2 * g, nr.h}, text, px, fg, fill, align::center, true);
  } else {
    p.text({l.pad, y, l.width - 2 * l.pad, note_h}, tr.get("counter.scan_hint"), l.font_body, th.muted, th.background,
           align::center);
  }
  y += note_h + g / 2;  // reserved even when empty, so the lanes do not jump

  // Lanes.
  const rect body{l.pad, y, l.width - 2 * l.pad, l.height - y - l.pad};
  if (l.portrait) {
    const int w = (body.w - g) / 2, h = (body.h - g) / 2;
    lane_column(c, lane::to_pay, {body.x, body.y, w, h});
    lane_column(c, lane::paid, {body.x + w + g, body.y, body.w - w - g, h});
    lane_column(c, lane::preparing, {body.x, body.y + h + g, w, body.h - h - g});
    lane_column(c, lane::ready, {body.x + w + g, body.y + h + g, body.w - w - g, body.h - h - g});
  } else {
    const int w = (body.w - 3 * g) / 4;
    int x = body.x;
    for (lane ln : k_lanes) {
      const int cw = ln == lane::ready ? body.x + body.w - x : w;
      lane_column(c, ln, {x, body.y, cw, body.h});
      x += w + g;
    }
  }
  if (s.open != dialog::none) draw_dialog(c);
  return out;
}

}  // namespace kh::kiosk::counter
