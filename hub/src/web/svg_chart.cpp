// Server-drawn charts: inline SVG with presentation attributes (fill, stroke, font-size) only,
// which the pages' CSP allows (it forbids style attributes and inline script). Every bar and cell
// carries a <title> (a tooltip, and text for screen readers); the table beside each chart holds
// the same figures.
#include <algorithm>
#include <cstdio>

#include "web/dashboard.hpp"

namespace kh::hub::web {

namespace {

constexpr const char* k_bar = "#0d6efd";
constexpr const char* k_axis = "#adb5bd";
constexpr const char* k_text = "#495057";

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string shorten(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  std::size_t cut = n - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return s.substr(0, cut) + "…";
}

// "2026-11-03" → "11-03" under the axis (the table and the tooltip keep the full date).
std::string axis_label(const std::string& s) {
  if (s.size() == 10 && s[4] == '-' && s[7] == '-') return s.substr(5);
  return shorten(s, 8);
}

std::string open_svg(const std::string& aria, int w, int h) {
  return render(R"(<svg class="chart" viewBox="0 0 {{w}} {{h}}" role="img" aria-label="{{a|attr}}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif">)",
                {{"w", std::to_string(w)}, {"h", std::to_string(h)}, {"a", aria}})
      .html;
}

}  // namespace

safe_html svg_columns(const std::string& aria, const std::vector<chart_bar>& bars) {
  const int w = 480, h = 220, left = 16, right = 16, top = 22, bottom = 30;
  std::string out = open_svg(aria, w, h);
  const double plot_w = w - left - right, plot_h = h - top - bottom;
  const auto top_it = std::max_element(bars.begin(), bars.end(), [](const chart_bar& a, const chart_bar& b) { return a.value < b.value; });
  const chart_bar* top_bar = top_it == bars.end() ? nullptr : &*top_it;
  const std::int64_t max = top_bar ? top_bar->value : 0;
  const double base = top + plot_h;
  out += render(R"(<line x1="{{x1}}" y1="{{y}}" x2="{{x2}}" y2="{{y}}" stroke="{{c}}" stroke-width="1"/>)",
                {{"x1", num(left)}, {"x2", num(w - right)}, {"y", num(base)}, {"c", k_axis}}).html;
  if (max > 0 && top_bar) {
    out += render(R"(<line x1="{{x1}}" y1="{{y}}" x2="{{x2}}" y2="{{y}}" stroke="{{c}}" stroke-width="0.5" stroke-dasharray="4 3"/><text x="{{x1}}" y="{{ty}}" font-size="12" fill="{{t}}">max {{v}}</text>)",
                  {{"x1", num(left)}, {"x2", num(w - right)}, {"y", num(top)}, {"ty", num(top - 6)}, {"c", k_axis}, {"t", k_text}, {"v", top_bar->shown}}).html;
  }
  const std::size_t n = bars.size();
  if (n == 0) {
    out += render(R"(<text x="240" y="110" text-anchor="middle" font-size="13" fill="{{t}}">No data in this period</text></svg>)", {{"t", k_text}}).html;
    return safe_html{out};
  }
  if (max <= 0)
    out += render(R"(<text x="240" y="{{y}}" text-anchor="middle" font-size="13" fill="{{t}}">None in this period</text>)", {{"y", num(top + plot_h / 2)}, {"t", k_text}}).html;
  const double slot = plot_w / static_cast<double>(n);
  const double bw = std::max(1.0, slot * 0.78);
  const std::size_t every = std::max<std::size_t>(1, (n + 4) / 5);
  std::string xl;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& b = bars[i];
    const double bh = max > 0 ? plot_h * static_cast<double>(std::max<std::int64_t>(b.value, 0)) / static_cast<double>(max) : 0;
    const double x = left + slot * static_cast<double>(i) + (slot - bw) / 2;
    out += render(R"(<rect class="bar" x="{{x}}" y="{{y}}" width="{{bw}}" height="{{bh}}" fill="{{c}}" rx="1"><title>{{l}}: {{v}}</title></rect>)",
                  {{"x", num(x)}, {"y", num(base - bh)}, {"bw", num(bw)}, {"bh", num(bh)}, {"c", k_bar}, {"l", b.label}, {"v", b.shown}}).html;
    if (i % every == 0)
      xl += render(R"(<text x="{{x}}" y="{{y}}" font-size="12" text-anchor="middle" fill="{{t}}">{{l}}</text>)",
                   {{"x", num(left + slot * (static_cast<double>(i) + 0.5))}, {"y", num(base + 18)}, {"t", k_text}, {"l", axis_label(b.label)}}).html;
  }
  // The axis labels in a group of their own, so a narrow screen can thin them out (app.css).
  out += "<g class=\"xl\">" + xl + "</g></svg>";
  return safe_html{out};
}

safe_html svg_bars(const std::string& aria, const std::vector<chart_bar>& bars) {
  const int w = 480, row_h = 26, label_w = 150, value_w = 100;
  const int h = std::max<int>(40, static_cast<int>(bars.size()) * row_h + 8);
  std::string out = open_svg(aria, w, h);
  if (bars.empty()) {
    out += render(R"(<text x="240" y="24" text-anchor="middle" font-size="13" fill="{{t}}">No data in this period</text></svg>)", {{"t", k_text}}).html;
    return safe_html{out};
  }
  std::int64_t max = 0;
  for (const auto& b : bars) max = std::max(max, b.value);
  const double plot_w = w - label_w - value_w;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double y = 4 + static_cast<double>(i) * row_h;
    const double bw = max > 0 ? std::max(1.0, plot_w * static_cast<double>(std::max<std::int64_t>(b.value, 0)) / static_cast<double>(max)) : 1;
    out += render(R"(<text x="{{lx}}" y="{{ty}}" font-size="12" text-anchor="end" fill="{{t}}">{{l}}</text><rect class="bar" x="{{x}}" y="{{y}}" width="{{bw}}" height="{{bh}}" fill="{{c}}" rx="2"><title>{{full}}: {{v}}</title></rect><text x="{{vx}}" y="{{ty}}" font-size="12" fill="{{t}}">{{v}}</text>)",
                  {{"lx", num(label_w - 8)}, {"ty", num(y + row_h / 2.0 + 3)}, {"t", k_text}, {"l", shorten(b.label, 18)}, {"full", b.label},
                   {"x", num(label_w)}, {"y", num(y + 3)}, {"bw", num(bw)}, {"bh", num(row_h - 8)}, {"c", k_bar}, {"v", b.shown},
                   {"vx", num(label_w + bw + 6)}}).html;
  }
  out += "</svg>";
  return safe_html{out};
}

safe_html svg_heatmap(const std::string& aria, const std::vector<std::string>& rows, const std::vector<std::string>& cols,
                      const std::vector<std::vector<std::int64_t>>& values) {
  const int w = 480, label_w = 44, head = 20, cell_h = 22;
  const int h = head + static_cast<int>(rows.size()) * cell_h + 4;
  std::string out = open_svg(aria, w, h);
  std::int64_t max = 0;
  for (const auto& r : values)
    for (auto v : r) max = std::max(max, v);
  const double cw = cols.empty() ? 0 : static_cast<double>(w - label_w) / static_cast<double>(cols.size());
  for (std::size_t c = 0; c < cols.size(); c += 3)
    out += render(R"(<text x="{{x}}" y="14" font-size="12" fill="{{t}}">{{l}}</text>)",
                  {{"x", num(label_w + cw * static_cast<double>(c) + 1)}, {"t", k_text}, {"l", cols[c]}}).html;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const double y = head + static_cast<double>(r) * cell_h;
    out += render(R"(<text x="0" y="{{y}}" font-size="12" fill="{{t}}">{{l}}</text>)",
                  {{"y", num(y + cell_h / 2.0 + 4)}, {"t", k_text}, {"l", rows[r].substr(0, 3)}}).html;
    for (std::size_t c = 0; c < cols.size(); ++c) {
      const std::int64_t v = r < values.size() && c < values[r].size() ? values[r][c] : 0;
      const double op = max > 0 && v > 0 ? 0.12 + 0.88 * static_cast<double>(v) / static_cast<double>(max) : 1.0;
      out += render(R"(<rect class="cell" x="{{x}}" y="{{y}}" width="{{cw}}" height="{{ch}}" fill="{{c}}" fill-opacity="{{o}}" stroke="#fff" stroke-width="1"><title>{{rl}} {{cl}}:00 — {{v}}</title></rect>)",
                    {{"x", num(label_w + cw * static_cast<double>(c))}, {"y", num(y)}, {"cw", num(cw)}, {"ch", num(cell_h)},
                     {"c", v > 0 ? k_bar : "#eef0f3"}, {"o", num(op).substr(0, 4)}, {"rl", rows[r]}, {"cl", cols[c]},
                     {"v", std::to_string(v)}}).html;
    }
  }
  out += "</svg>";
  return safe_html{out};
}

}  // namespace kh::hub::web
