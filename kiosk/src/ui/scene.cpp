#include "kh/kiosk/ui/scene.hpp"

#include <algorithm>

namespace kh::kiosk::ui {

const target* scene::find(std::string_view id) const {
  for (const auto& t : targets)
    if (t.id == id) return &t;
  return nullptr;
}

const target* scene::hit(int x, int y) const {
  for (auto it = targets.rbegin(); it != targets.rend(); ++it)
    if (it->enabled && it->r.contains(x, y)) return &*it;
  return nullptr;
}

namespace {
// Byte length of the UTF-8 prefix with `n` code points.
std::size_t prefix_bytes(std::string_view s, std::size_t n) {
  std::size_t i = 0, cps = 0;
  while (i < s.size()) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (cps == n) return i;
      ++cps;
    }
    ++i;
  }
  return s.size();
}
std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}
// Longest prefix + "…" that fits `w`.
std::string ellipsize(text_measurer& m, std::string_view s, int size, bool bold, int w) {
  if (m.width(s, size, bold) <= w) return std::string(s);
  std::size_t lo = 0, hi = code_points(s);
  while (lo < hi) {  // binary search on the number of code points kept
    const std::size_t mid = (lo + hi + 1) / 2;
    std::string t(s.substr(0, prefix_bytes(s, mid)));
    t += "…";
    if (m.width(t, size, bold) <= w) lo = mid; else hi = mid - 1;
  }
  if (lo == 0) return {};
  std::string t(s.substr(0, prefix_bytes(s, lo)));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t + "…";
}
std::vector<std::string> wrap(text_measurer& m, std::string_view s, int size, bool bold, int w) {
  std::vector<std::string> lines;
  std::string cur;
  std::size_t i = 0;
  while (i <= s.size()) {
    const std::size_t sp = std::min(s.find(' ', i), s.size());
    const std::string_view word = s.substr(i, sp - i);
    std::string cand = cur.empty() ? std::string(word) : cur + " " + std::string(word);
    if (!cur.empty() && m.width(cand, size, bold) > w) {
      lines.push_back(cur);
      cur = std::string(word);
    } else {
      cur = std::move(cand);
    }
    i = sp + 1;
  }
  if (!cur.empty()) lines.push_back(cur);
  return lines;
}
}  // namespace

void painter::box(rect r, color fill, color outline, int outline_px) {
  s_.boxes.push_back(box_item{r, fill, outline, outline_px});
}

int painter::text(rect b, std::string_view utf8, int size, color fg, color bg, align a, bool bold) {
  if (utf8.empty() || b.w <= 0 || b.h <= 0) return size;
  int sz = size;
  const int floor_sz = std::max(8, size * 3 / 4);
  while (sz > floor_sz && (m_.width(utf8, sz, bold) > b.w || m_.line_height(sz) > b.h)) --sz;
  while (sz > 8 && m_.line_height(sz) > b.h) --sz;
  std::string shown = ellipsize(m_, utf8, sz, bold, b.w);
  if (shown.empty()) return sz;
  s_.texts.push_back(text_item{b, std::move(shown), sz, bold, fg, bg, a});
  return sz;
}

int painter::paragraph(rect b, std::string_view utf8, int size, color fg, color bg, bool bold) {
  if (utf8.empty()) return 0;
  const int lh = m_.line_height(size);
  const int max_lines = std::max(1, b.h / lh);
  auto lines = wrap(m_, utf8, size, bold, b.w);
  int used = 0;
  for (int i = 0; i < static_cast<int>(lines.size()) && i < max_lines; ++i) {
    std::string line = lines[static_cast<std::size_t>(i)];
    if (i == max_lines - 1 && static_cast<int>(lines.size()) > max_lines) line += " …";
    text({b.x, b.y + i * lh, b.w, lh}, line, size, fg, bg, align::left, bold);
    used += lh;
  }
  return used;
}

void painter::button(rect r, std::string id, std::string_view label, int size, color fill,
                     color fg, bool enabled, bool bold, color outline) {
  box(r, fill, outline, outline.a ? 2 : 0);
  const int inset = std::max(4, r.h / 8);
  text({r.x + inset, r.y + 2, r.w - 2 * inset, r.h - 4}, label, size, fg, fill, align::center,
       bold);
  add_target(r, std::move(id), std::string(label), enabled);
}

void painter::add_target(rect r, std::string id, std::string label, bool enabled) {
  s_.targets.push_back(target{std::move(id), std::move(label), r, enabled});
}

}  // namespace kh::kiosk::ui
