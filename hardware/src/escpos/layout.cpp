// Receipt / ticket / slip layouts on top of the encoder.
#include "kh/hardware/printer/layout.hpp"

#include <algorithm>

#include "kh/hardware/printer/encoder.hpp"
#include "symbols.hpp"

namespace kh::hardware::printer {
namespace {

using escpos::alignment;

// Splits UTF-8 into code points kept as their byte sequences (so wrapping never cuts one in two).
std::vector<std::string_view> code_points(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    next_utf8(s, i);
    out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::string pad_between(std::string_view left, std::string_view right, int columns) {
  const int gap = std::max(1, columns - static_cast<int>(utf8_columns(left) + utf8_columns(right)));
  std::string s(left);
  s.append(static_cast<std::size_t>(gap), ' ');
  s.append(right);
  return s;
}

void emit_lines(escpos::encoder& e, const std::vector<std::string>& lines) {
  for (const auto& l : lines) e.line(l);
}

void emit_qr(escpos::encoder& e, std::string_view data, int module, const printer_profile& p) {
  // Keep the symbol and its 4-module quiet zone on the paper: long URLs make bigger symbols, so
  // the module size shrinks to fit (our encoder's version choice stands in for the printer's).
  escpos::qr_options o{std::clamp(module, 1, 16), escpos::qr_ecc::M};
  if (const auto m = detail::qr_modules(data, o.ecc)) o.module_size = std::clamp(std::min(o.module_size, p.dot_width / (m->width + 8)), 1, 16);
  const auto ec = p.native_qr ? e.qr(data, o) : e.qr_raster(data, o);
  if (ec) e.line("[QR code too long]");
  else e.newline();
}

int big_size_for(std::string_view text, const printer_profile& p, int max_mult) {
  const int n = std::max<int>(1, static_cast<int>(utf8_columns(text)));
  int m = max_mult;
  while (m > 1 && n * 12 * m > p.dot_width) --m;
  return m;
}

void finish(escpos::encoder& e, const layout_options& o) {
  e.cut(o.partial_cut ? escpos::cut_mode::partial : escpos::cut_mode::full, 48);
}

}  // namespace

std::vector<std::string> wrap_text(std::string_view utf8, int columns) {
  columns = std::max(columns, 1);
  std::vector<std::string> lines;
  std::string cur;
  int cur_len = 0;
  const auto cps = code_points(utf8);
  std::size_t i = 0;
  while (i < cps.size()) {
    if (cps[i] == " ") {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < cps.size() && cps[j] != " ") ++j;
    int word_len = static_cast<int>(j - i);
    const int needed = cur_len == 0 ? word_len : cur_len + 1 + word_len;
    if (needed <= columns) {
      if (cur_len) {
        cur.push_back(' ');
        ++cur_len;
      }
      for (std::size_t k = i; k < j; ++k) cur.append(cps[k]);
      cur_len += word_len;
      i = j;
      continue;
    }
    if (cur_len) {
      lines.push_back(std::move(cur));
      cur.clear();
      cur_len = 0;
      continue;
    }
    // A single word longer than the line: hard split.
    for (int k = 0; k < columns; ++k) cur.append(cps[i + k]);
    lines.push_back(std::move(cur));
    cur.clear();
    i += columns;
  }
  if (!cur.empty() || lines.empty()) lines.push_back(std::move(cur));
  return lines;
}

std::vector<std::string> two_column(std::string_view left, std::string_view right, int columns) {
  columns = std::max(columns, 1);
  const int rc = static_cast<int>(utf8_columns(right));
  const int lc = static_cast<int>(utf8_columns(left));
  if (lc + 1 + rc <= columns) return {pad_between(left, right, columns)};
  const int room = columns - rc - 1;
  if (room >= columns / 2) {
    auto lines = wrap_text(left, room);
    lines.back() = pad_between(lines.back(), right, columns);
    return lines;
  }
  auto lines = wrap_text(left, columns);
  lines.push_back(pad_between("", right, columns));
  return lines;
}

std::vector<std::uint8_t> layout_receipt(const receipt_doc& d, const printer_profile& p, const layout_options& o) {
  escpos::encoder e(o.cp);
  e.initialize();
  const int cols = p.columns;
  const std::string rule(static_cast<std::size_t>(cols), '-');
  if (o.open_drawer) e.drawer_pulse();

  e.align(alignment::center);
  if (!d.header.empty()) {
    e.bold(true).size(2, 2);
    emit_lines(e, wrap_text(d.header.front(), cols / 2));
    e.size(1, 1).bold(false);
    for (std::size_t i = 1; i < d.header.size(); ++i) emit_lines(e, wrap_text(d.header[i], cols));
  }
  if (!d.order_number.empty()) {
    e.newline().line("ORDER");
    const int m = big_size_for(d.order_number, p, 4);
    e.bold(true).size(m, m);
    emit_lines(e, wrap_text(d.order_number, cols / m));
    e.size(1, 1).bold(false);
  }
  if (!d.order_type.empty()) emit_lines(e, wrap_text(d.order_type, cols));
  if (!d.date_time.empty()) emit_lines(e, wrap_text(d.date_time, cols));

  e.align(alignment::left).line(rule);
  for (const auto& l : d.lines) {
    const std::string prefix = std::to_string(l.quantity) + " x ";
    const int pl = static_cast<int>(prefix.size());
    const int rc = static_cast<int>(utf8_columns(l.amount));
    const int room = std::max(cols / 2, cols - pl - rc - 1);
    const auto name = wrap_text(l.name, room);
    for (std::size_t i = 0; i < name.size(); ++i) {
      const std::string left = (i == 0 ? prefix : std::string(static_cast<std::size_t>(pl), ' ')) + name[i];
      if (i == 0 && pl + static_cast<int>(utf8_columns(name[i])) + 1 + rc <= cols)
        e.line(pad_between(left, l.amount, cols));
      else
        e.line(left);
    }
    if (pl + static_cast<int>(utf8_columns(name.front())) + 1 + rc > cols) e.line(pad_between("", l.amount, cols));
    for (const auto& n : l.notes)
      for (const auto& nl : wrap_text("+ " + n, cols - pl)) e.line(std::string(static_cast<std::size_t>(pl), ' ') + nl);
  }
  e.line(rule);
  if (!d.subtotal.empty()) emit_lines(e, two_column("Subtotal", d.subtotal, cols));
  if (!d.discount.empty()) emit_lines(e, two_column("Discount", d.discount, cols));
  if (!d.tax.empty()) emit_lines(e, two_column(d.tax_label, d.tax, cols));
  if (!d.total.empty()) {
    // Double width and height: the total is the one figure everyone looks for.
    e.bold(true).size(2, 2);
    emit_lines(e, two_column("TOTAL", d.total, cols / 2));
    e.size(1, 1).bold(false);
  }
  if (!d.payment_method.empty()) emit_lines(e, two_column("Paid by", d.payment_method, cols));
  if (!d.eta.empty()) {
    e.newline().align(alignment::center).bold(true);
    emit_lines(e, wrap_text(d.eta, cols));
    e.bold(false);
  }
  if (!d.qr_url.empty()) {
    e.newline().align(alignment::center);
    emit_qr(e, d.qr_url, p.qr_module_dots, p);
    emit_lines(e, wrap_text(d.qr_caption, cols));
  }
  if (!d.footer.empty()) {
    e.newline().align(alignment::center);
    for (const auto& f : d.footer) emit_lines(e, wrap_text(f, cols));
  }
  e.align(alignment::left);
  finish(e, o);
  return e.take();
}

std::vector<std::uint8_t> layout_pickup_ticket(const pickup_ticket_doc& d, const printer_profile& p, const layout_options& o) {
  escpos::encoder e(o.cp);
  e.initialize().align(alignment::center);
  if (!d.business_name.empty()) {
    e.bold(true);
    emit_lines(e, wrap_text(d.business_name, p.columns));
    e.bold(false);
  }
  e.newline().line("YOUR NUMBER");
  const int m = big_size_for(d.order_number, p, 6);
  e.bold(true).size(m, m);
  emit_lines(e, wrap_text(d.order_number, p.columns / m));
  e.size(1, 1).bold(false);
  if (!d.order_type.empty()) {
    e.size(2, 2);
    emit_lines(e, wrap_text(d.order_type, p.columns / 2));
    e.size(1, 1);
  }
  if (!d.qr_payload.empty()) {
    e.newline();
    emit_qr(e, d.qr_payload, p.qr_module_dots, p);
  }
  if (!d.note.empty()) emit_lines(e, wrap_text(d.note, p.columns));
  e.align(alignment::left);
  finish(e, o);
  return e.take();
}

std::vector<std::uint8_t> layout_kitchen_slip(const kitchen_slip_doc& d, const printer_profile& p, const layout_options& o) {
  escpos::encoder e(o.cp);
  e.initialize().align(alignment::center).bold(true).size(3, 3);
  emit_lines(e, wrap_text(d.order_number, p.columns / 3));
  e.size(1, 1);
  if (!d.order_type.empty()) {
    e.size(2, 1);
    emit_lines(e, wrap_text(d.order_type, p.columns / 2));
    e.size(1, 1);
  }
  e.bold(false);
  if (!d.date_time.empty()) e.line(d.date_time);
  e.align(alignment::left).line(std::string(static_cast<std::size_t>(p.columns), '='));
  for (const auto& l : d.lines) {
    const std::string prefix = std::to_string(l.quantity) + " x ";
    const auto pl = prefix.size();
    e.bold(true).size(1, 2);
    const auto name = wrap_text(l.name, p.columns - static_cast<int>(pl));
    for (std::size_t i = 0; i < name.size(); ++i) e.line((i == 0 ? prefix : std::string(pl, ' ')) + name[i]);
    e.size(1, 1).bold(false);
    for (const auto& n : l.notes)
      for (const auto& nl : wrap_text("+ " + n, p.columns - static_cast<int>(pl))) e.line(std::string(pl, ' ') + nl);
  }
  e.line(std::string(static_cast<std::size_t>(p.columns), '='));
  if (!d.note.empty()) {
    e.bold(true).set_underline(escpos::underline::thin).line("NOTE").set_underline(escpos::underline::none).bold(false);
    emit_lines(e, wrap_text(d.note, p.columns));
  }
  finish(e, o);
  return e.take();
}

receipt_doc customer_receipt(const order_receipt_text& o) {
  receipt_doc r;
  r.header = {o.business};
  r.order_number = o.order_number;
  r.order_type = o.order_type;
  r.date_time = o.date_time;
  r.lines = o.lines;
  r.total = o.total;
  r.subtotal = o.total;
  r.payment_method = o.payment_method;
  r.eta = o.eta;
  r.qr_url = o.tracking_url;
  r.footer = {o.thanks, o.order_id};
  return r;
}

receipt_doc sample_receipt() {
  receipt_doc d;
  d.header = {"Café Kioskhub", "12 Rue de la Gare, 75010 Paris", "VAT FR40123456789"};
  d.order_number = "A-042";
  d.order_type = "Take away";
  d.date_time = "2026-11-22 12:31";
  d.lines = {
      {2, "Cappuccino", {"oat milk", "extra shot"}, "€ 7.80"},
      {1, "Croissant au beurre", {}, "€ 2.20"},
      {1, "Smoked salmon & cream cheese bagel with capers and red onion", {"no onion"}, "€ 9.50"},
      {3, "Crème brûlée", {}, "€ 13.50"},
  };
  d.subtotal = "€ 33.00";
  d.discount = "-€ 3.30";
  d.tax_label = "incl. VAT 10%";
  d.tax = "€ 2.70";
  d.total = "€ 29.70";
  d.payment_method = "Card";
  d.eta = "Ready around 12:45";
  d.qr_url = "https://shop.kioskhub.example/o/7f9c2b1e-4d3a-4c8b-9e21-5a6f0d1c2b3a";
  d.footer = {"Thank you! Merci !"};
  return d;
}

pickup_ticket_doc sample_pickup_ticket(std::string order_id) {
  return {"Café Kioskhub", "A-042", "Take away", std::move(order_id), "Show this at the counter"};
}

}  // namespace kh::hardware::printer
