// QR repair pass (see qr_repair.hpp).
#include "qr_repair.hpp"

#include "edge_reader.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

namespace kh::hardware::detail {
namespace {

struct point {
  float x = 0;
  float y = 0;
};
point operator+(point a, point b) { return {a.x + b.x, a.y + b.y}; }
point operator-(point a, point b) { return {a.x - b.x, a.y - b.y}; }
point operator*(point a, float k) { return {a.x * k, a.y * k}; }
float length(point a) { return std::hypot(a.x, a.y); }
point turned_90(point a) { return {-a.y, a.x}; }

// A finder pattern across one line: dark 1, light 1, dark 3, light 1, dark 1 modules, checked by
// similar-edge distances (2, 4, 4, 2 modules), which blur leaves alone.
struct line_finder {
  float centre = 0;  // middle of the 3-module bar, in samples
  float module = 0;
};

std::optional<line_finder> finder_at(const std::vector<line_edge>& e, std::size_t k) {
  if (!e[k].to_dark || k + 5 >= e.size()) return std::nullopt;
  std::array<float, 5> w{};
  for (std::size_t j = 0; j < 5; ++j) w[j] = e[k + j + 1].pos - e[k + j].pos;
  const float module = (w[0] + w[1] + w[2] + w[3] + w[4]) / 7.0F;
  if (module < 1.0F) return std::nullopt;
  constexpr std::array<float, 4> k_expected{2, 4, 4, 2};
  for (std::size_t j = 0; j < 4; ++j)
    if (std::abs((w[j] + w[j + 1]) / module - k_expected[j]) > 0.75F) return std::nullopt;
  if (w[2] / module < 2.0F || w[2] / module > 4.2F) return std::nullopt;
  return line_finder{(e[k + 2].pos + e[k + 3].pos) / 2.0F, module};
}

}  // namespace

std::vector<finder_pattern> find_finder_patterns(const luminance_view& frame, int max_count) {
  const int w = frame.width(), h = frame.height();
  std::vector<finder_pattern> found;
  if (w < 21 || h < 21) return found;
  const float min_step = std::max(3.0F, 4.0F * std::sqrt(2.0F / 3.0F) * frame_noise(frame));
  std::vector<float> row(static_cast<std::size_t>(w)), column;
  std::vector<line_edge> edges, vertical;
  for (int y = 1; y + 1 < h; y += 2) {
    const std::uint8_t* r0 = frame.row(y - 1);
    const std::uint8_t* r1 = frame.row(y);
    const std::uint8_t* r2 = frame.row(y + 1);
    for (int x = 0; x < w; ++x) row[static_cast<std::size_t>(x)] = static_cast<float>(r0[x] + r1[x] + r2[x]) / 3.0F;
    find_edges(row.data(), w, min_step, edges);
    for (std::size_t k = 0; k + 5 < edges.size(); ++k) {
      const auto across = finder_at(edges, k);
      if (!across) continue;
      // Cross-check down the column through the centre: the same pattern, centred near this row.
      const int cx = std::clamp(static_cast<int>(std::lround(across->centre)), 1, w - 2);
      const int y0 = std::max(0, y - static_cast<int>(6 * across->module));
      const int y1 = std::min(h - 1, y + static_cast<int>(6 * across->module));
      column.resize(static_cast<std::size_t>(y1 - y0 + 1));
      for (int yy = y0; yy <= y1; ++yy) {
        const std::uint8_t* r = frame.row(yy);
        column[static_cast<std::size_t>(yy - y0)] = static_cast<float>(r[cx - 1] + r[cx] + r[cx + 1]) / 3.0F;
      }
      find_edges(column.data(), static_cast<int>(column.size()), min_step, vertical);
      for (std::size_t j = 0; j + 5 < vertical.size(); ++j) {
        const auto down = finder_at(vertical, j);
        if (!down) continue;
        const float cy = static_cast<float>(y0) + down->centre;
        if (std::abs(cy - static_cast<float>(y)) > 1.5F * across->module) continue;
        if (down->module < 0.6F * across->module || down->module > 1.6F * across->module) continue;
        const float module = (across->module + down->module) / 2.0F;
        auto it = std::find_if(found.begin(), found.end(), [&](const finder_pattern& f) {
          return std::hypot(f.x - across->centre, f.y - cy) < 2.0F * std::max(f.module, module);
        });
        if (it == found.end()) {
          found.push_back({across->centre, cy, module, 1});
        } else {
          // Running mean of the lines that crossed it.
          const auto n = static_cast<float>(it->hits);
          it->x = (it->x * n + across->centre) / (n + 1);
          it->y = (it->y * n + cy) / (n + 1);
          it->module = (it->module * n + module) / (n + 1);
          ++it->hits;
        }
        break;
      }
    }
  }
  // A finder is 7 modules tall: a real one is crossed by several of the rows scanned (every 2 px).
  std::erase_if(found, [](const finder_pattern& f) { return f.hits < 2; });
  std::sort(found.begin(), found.end(), [](const finder_pattern& a, const finder_pattern& b) { return a.hits > b.hits; });
  if (static_cast<int>(found.size()) > max_count) found.resize(static_cast<std::size_t>(max_count));
  return found;
}

namespace {

// A code's geometry: the centre of its top-left finder and the vectors of one module along its
// rows (u) and columns (v), for a code of n × n modules.
struct grid {
  point top_left;
  point u, v;
  int n = 0;
  // Frame position of module coordinates (c, r); module (0, 0) spans [0, 1) × [0, 1).
  [[nodiscard]] point at(float c, float r) const { return top_left + u * (c - 3.5F) + v * (r - 3.5F); }
};

// The grid for finders at top-left, top-right and bottom-left (any assignment of the latter two).
std::optional<grid> make_grid(point tl, point tr, point bl, float module) {
  const float a = length(tr - tl), b = length(bl - tl);
  if (a < 14 * module || b < 14 * module) return std::nullopt;  // version 1 is 21 modules: 14 apart
  if (a > 1.25F * b || b > 1.25F * a) return std::nullopt;
  const point da = tr - tl, db = bl - tl;
  if (std::abs(da.x * db.x + da.y * db.y) > 0.26F * a * b) return std::nullopt;  // about 75°–105°
  // Finder centres are n − 7 modules apart; sizes are 17 + 4 × version.
  int n = static_cast<int>(std::lround((a + b) / 2.0F / module)) + 7;
  n = 4 * static_cast<int>(std::lround((n - 1) / 4.0)) + 1;
  if (n < 21 || n > 177) return std::nullopt;
  return grid{tl, da * (1.0F / static_cast<float>(n - 7)), db * (1.0F / static_cast<float>(n - 7)), n};
}

}  // namespace

std::vector<repaired_region> repair_qr_candidates(const luminance_view& frame, int max_candidates) {
  std::vector<repaired_region> out;
  const auto finders = find_finder_patterns(frame);
  if (finders.size() < 2) return out;

  // Dark and light levels to paint with: the frame's own, at the finders' centres (dark) and on
  // their light rings (two modules to the side).
  float dark = 0, light = 0;
  for (const auto& f : finders) {
    const int x = std::clamp(static_cast<int>(std::lround(f.x)), 0, frame.width() - 1);
    const int y = std::clamp(static_cast<int>(std::lround(f.y)), 0, frame.height() - 1);
    const int xl = std::clamp(static_cast<int>(std::lround(f.x + 2 * f.module)), 0, frame.width() - 1);
    dark += frame.at(x, y);
    light += frame.at(xl, y);
  }
  dark /= static_cast<float>(finders.size());
  light /= static_cast<float>(finders.size());
  if (light - dark < 20) return out;

  struct hypothesis {
    grid g;
    int corner = 0;  // the finder to paint: 0 top-left, 1 top-right, 2 bottom-left
  };
  std::vector<hypothesis> hypotheses;
  // Three finders of one code, one of them partly covered (seen, but not well enough for ZXing):
  // repaint each in turn.
  for (std::size_t i = 0; i < finders.size(); ++i)
    for (std::size_t j = i + 1; j < finders.size(); ++j)
      for (std::size_t k = j + 1; k < finders.size(); ++k) {
        const std::array<const finder_pattern*, 3> f{&finders[i], &finders[j], &finders[k]};
        const float lo = std::min({f[0]->module, f[1]->module, f[2]->module});
        const float hi = std::max({f[0]->module, f[1]->module, f[2]->module});
        if (hi > 1.4F * lo) continue;
        for (int corner = 0; corner < 3; ++corner) {
          const auto* tl = f[static_cast<std::size_t>(corner)];
          const auto* p = f[static_cast<std::size_t>((corner + 1) % 3)];
          const auto* q = f[static_cast<std::size_t>((corner + 2) % 3)];
          if (auto g = make_grid({tl->x, tl->y}, {p->x, p->y}, {q->x, q->y}, (lo + hi) / 2))
            for (int paint = 0; paint < 3; ++paint) hypotheses.push_back({*g, paint});
        }
      }
  // Two finders: the third was covered. They are either a side of the code (the third is a quarter
  // turn away from one of them) or its diagonal (the third is off the middle); try each place.
  for (std::size_t i = 0; i < finders.size(); ++i)
    for (std::size_t j = i + 1; j < finders.size(); ++j) {
      const auto& a = finders[i];
      const auto& b = finders[j];
      if (std::max(a.module, b.module) > 1.4F * std::min(a.module, b.module)) continue;
      const float module = (a.module + b.module) / 2;
      const point pa{a.x, a.y}, pb{b.x, b.y};
      for (float sign : {1.0F, -1.0F}) {
        // Side: a (or b) is the top-left corner, the other a neighbour, the third beside it.
        if (auto g = make_grid(pa, pb, pa + turned_90(pb - pa) * sign, module)) hypotheses.push_back({*g, 2});
        if (auto g = make_grid(pb, pa, pb + turned_90(pa - pb) * sign, module)) hypotheses.push_back({*g, 2});
        // Diagonal: the top-left corner is missing.
        const point middle = (pa + pb) * 0.5F;
        const point corner = middle + turned_90(pb - pa) * (0.5F * sign);
        if (auto g = make_grid(corner, pa, pb, module)) hypotheses.push_back({*g, 0});
      }
    }

  for (const auto& h : hypotheses) {
    if (static_cast<int>(out.size()) >= max_candidates) break;
    const grid& g = h.g;
    const float n = static_cast<float>(g.n);
    // The code with a 4-module quiet zone must lie in the frame.
    float min_x = 1e9F, min_y = 1e9F, max_x = -1e9F, max_y = -1e9F;
    for (const auto& [c, r] : std::array<std::pair<float, float>, 4>{{{-4, -4}, {n + 4, -4}, {n + 4, n + 4}, {-4, n + 4}}}) {
      const point p = g.at(c, r);
      min_x = std::min(min_x, p.x);
      min_y = std::min(min_y, p.y);
      max_x = std::max(max_x, p.x);
      max_y = std::max(max_y, p.y);
    }
    const int left = static_cast<int>(std::floor(min_x)), top = static_cast<int>(std::floor(min_y));
    const int right = static_cast<int>(std::ceil(max_x)), bottom = static_cast<int>(std::ceil(max_y));
    if (left < -2 || top < -2 || right > frame.width() + 2 || bottom > frame.height() + 2) continue;
    repaired_region region;
    region.left = std::max(0, left);
    region.top = std::max(0, top);
    region.width = std::min(frame.width(), right) - region.left;
    region.height = std::min(frame.height(), bottom) - region.top;
    if (region.width < 21 || region.height < 21) continue;
    region.pixels.resize(static_cast<std::size_t>(region.width) * static_cast<std::size_t>(region.height));
    // Inverse of the grid's affine map: frame point → module coordinates.
    const float det = g.u.x * g.v.y - g.u.y * g.v.x;
    if (std::abs(det) < 1e-6F) continue;
    const auto dark_px = static_cast<std::uint8_t>(std::lround(dark));
    const auto light_px = static_cast<std::uint8_t>(std::lround(light));
    const int last = g.n - 1;
    // The finder to paint (7 × 7: dark ring, light ring, dark 3 × 3) with its light separator.
    const int centre_c = h.corner == 1 ? last - 3 : 3, centre_r = h.corner == 2 ? last - 3 : 3;
    for (int y = 0; y < region.height; ++y) {
      const std::uint8_t* src = frame.row(region.top + y) + region.left;
      std::uint8_t* dst = region.pixels.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(region.width);
      for (int x = 0; x < region.width; ++x) {
        const point d = point{static_cast<float>(region.left + x), static_cast<float>(region.top + y)} - g.top_left;
        const float c = (d.x * g.v.y - d.y * g.v.x) / det + 3.5F;
        const float r = (g.u.x * d.y - g.u.y * d.x) / det + 3.5F;
        const int mc = static_cast<int>(std::floor(c)), mr = static_cast<int>(std::floor(r));
        const int ring = std::max(std::abs(mc - centre_c), std::abs(mr - centre_r));
        dst[x] = ring > 4 ? src[x] : (ring <= 1 || ring == 3) ? dark_px : light_px;
      }
    }
    out.push_back(std::move(region));
  }
  return out;
}

}  // namespace kh::hardware::detail
