// Edge-based EAN-13 / UPC-A and Code 128 reader (see edge_reader.hpp).
#include "edge_reader.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>

namespace kh::hardware::detail {
namespace {

// ---- EAN-13 symbol ----
// A symbol is 95 modules: start guard (bar space bar), six left digits (space bar space bar, 7
// modules each, in L or G code), middle guard (space bar space bar space), six right digits (bar
// space bar space, R code) and the end guard: 59 elements between 60 edges.
constexpr int k_elements = 59;
constexpr int k_modules = 95;
constexpr int k_left = 3;     // first element of the left digits
constexpr int k_middle = 27;  // first element of the middle guard
constexpr int k_right = 32;   // first element of the right digits
constexpr int k_end = 56;     // first element of the end guard
// Quiet zone demanded on each side, in modules. The standard asks for 11 (left) and 7 (right);
// codes on cluttered tickets and packaging get less, and the check digit plus the line vote guard
// against a code read out of a longer pattern.
constexpr float k_quiet_modules = 5.0F;

// "Similar edge" distances of a digit's four elements a b c d, in modules: e1 = a + b, e2 = b + c.
// L code (a: space): 0 3211 1 2221 2 2122 3 1411 4 1132 5 1231 6 1114 7 1312 8 1213 9 3112.
// G code is L reversed; R code is L with bars and spaces swapped (same widths).
// Indexed [e1 - 2][e2 - 2]; -1: no digit. 1/7 and 2/8 share their distances in every code and are
// told apart by the width of their bars (below), so the table holds 1 and 2 for both.
constexpr std::array<std::array<int, 4>, 4> k_l_digit{{
    {6, -1, 4, -1},  // e1 2: (2,2) 6, (2,4) 4
    {-1, 2, -1, 5},  // e1 3: (3,3) 2|8, (3,5) 5
    {9, -1, 1, -1},  // e1 4: (4,2) 9, (4,4) 1|7
    {-1, 0, -1, 3},  // e1 5: (5,3) 0, (5,5) 3
}};
constexpr std::array<std::array<int, 4>, 4> k_g_digit{{
    {-1, 0, -1, 3},  // e1 2: (2,3) 0, (2,5) 3
    {9, -1, 1, -1},  // e1 3: (3,2) 9, (3,4) 1|7
    {-1, 2, -1, 5},  // e1 4: (4,3) 2|8, (4,5) 5
    {6, -1, 4, -1},  // e1 5: (5,2) 6, (5,4) 4
}};
// First digit from the parity of the six left digits (bit 5 = first left digit, 1 = G code).
constexpr std::array<int, 10> k_parity{0b000000, 0b001011, 0b001101, 0b001110, 0b010011,
                                       0b011001, 0b011100, 0b010101, 0b010110, 0b011010};

// How far a similar-edge distance may be from a whole number of modules.
constexpr float k_max_rounding = 0.42F;

struct digit_read {
  int digit = -1;
  bool g_code = false;
};

// One digit from its four element widths. `bars_first`: the right half (R code), where a and c are
// bars; in the left half b and d are.
std::optional<digit_read> read_digit(const float* w, bool bars_first, float half_module) {
  const float total = w[0] + w[1] + w[2] + w[3];
  const float module = total / 7.0F;
  // A digit far wider or narrower than its half's modules is not a digit of this symbol.
  if (module < 0.6F * half_module || module > 1.6F * half_module) return std::nullopt;
  const float e1 = (w[0] + w[1]) / module, e2 = (w[1] + w[2]) / module;
  const float r1 = std::round(e1), r2 = std::round(e2);
  if (std::abs(e1 - r1) > k_max_rounding || std::abs(e2 - r2) > k_max_rounding) return std::nullopt;
  const int i1 = static_cast<int>(r1) - 2, i2 = static_cast<int>(r2) - 2;
  if (i1 < 0 || i1 > 3 || i2 < 0 || i2 > 3) return std::nullopt;
  const float bars = (bars_first ? w[0] + w[2] : w[1] + w[3]) / module;
  digit_read out;
  if (int d = k_l_digit[static_cast<std::size_t>(i1)][static_cast<std::size_t>(i2)]; d >= 0) {
    // L and R: 1 and 2 have 3 modules of bar (L) / 4 (R); 7 and 8 have 5 (L) / 2 (R).
    if (d == 1 || d == 2) {
      const bool seven_or_eight = bars_first ? bars < 3.0F : bars > 4.0F;
      if (seven_or_eight) d += 6;
    }
    out.digit = d;
    return out;
  }
  if (bars_first) return std::nullopt;  // the right half has no G code
  if (int d = k_g_digit[static_cast<std::size_t>(i1)][static_cast<std::size_t>(i2)]; d >= 0) {
    // G: 1 and 2 have 4 modules of bar, 7 and 8 have 2.
    if ((d == 1 || d == 2) && bars < 3.0F) d += 6;
    out.digit = d;
    out.g_code = true;
    return out;
  }
  return std::nullopt;
}

bool near_modules(float width, float module, float modules, float tolerance) {
  return std::abs(width / module - modules) <= tolerance;
}

// Tries the symbol whose first bar starts at edges[k]; edges are in reading order.
std::optional<line_read> read_ean_at(const std::vector<line_edge>& edges, std::size_t k, float line_length) {
  // Cheap tests first, since most edges of a line start no symbol: a light run before the start
  // guard of at least half the quiet zone judged by the guard's width.
  {
    const float start = edges[k].pos, guard = (edges[k + 3].pos - start) / 3.0F;
    const float before = k > 0 ? start - edges[k - 1].pos : start;
    if (before < 0.5F * k_quiet_modules * guard) return std::nullopt;
  }
  std::array<float, k_elements> w{};
  for (int j = 0; j < k_elements; ++j)
    w[static_cast<std::size_t>(j)] = edges[k + static_cast<std::size_t>(j) + 1].pos - edges[k + static_cast<std::size_t>(j)].pos;
  const float start = edges[k].pos, end = edges[k + k_elements].pos;
  const float module = (end - start) / k_modules;
  if (module < 0.7F) return std::nullopt;  // under 0.7 samples a module: not resolvable
  // Guards by their similar-edge distances (2 modules each), which blur leaves alone.
  auto guard_ok = [&](int first, int count, float m) {
    for (int j = first; j + 1 < first + count; ++j)
      if (!near_modules(w[static_cast<std::size_t>(j)] + w[static_cast<std::size_t>(j + 1)], m, 2.0F, 0.7F)) return false;
    return true;
  };
  if (!guard_ok(0, 3, module)) return std::nullopt;
  // Each half's own module: a code seen in perspective is wider on its near side.
  const float left_module = (edges[k + k_middle].pos - start) / 45.0F;
  const float right_module = (end - edges[k + k_right].pos) / 45.0F;
  const float middle_module = (edges[k + k_right].pos - edges[k + k_middle].pos) / 5.0F;
  if (left_module < 0.6F * right_module || right_module < 0.6F * left_module) return std::nullopt;
  if (std::abs(middle_module - (left_module + right_module) / 2) > 0.35F * module) return std::nullopt;
  if (!guard_ok(k_middle, 5, middle_module) || !guard_ok(k_end, 3, right_module)) return std::nullopt;
  // Quiet zones: light space on both sides (or the line's end).
  const float before = k > 0 ? start - edges[k - 1].pos : start;
  const float after = k + k_elements + 1 < edges.size() ? edges[k + k_elements + 1].pos - end : line_length - end;
  if (before < k_quiet_modules * left_module || after < k_quiet_modules * right_module) return std::nullopt;

  std::string digits(13, '0');
  int parity = 0;
  for (int i = 0; i < 6; ++i) {
    const auto d = read_digit(&w[static_cast<std::size_t>(k_left + 4 * i)], false, left_module);
    if (!d) return std::nullopt;
    digits[static_cast<std::size_t>(1 + i)] = static_cast<char>('0' + d->digit);
    parity = (parity << 1) | (d->g_code ? 1 : 0);
  }
  for (int i = 0; i < 6; ++i) {
    const auto d = read_digit(&w[static_cast<std::size_t>(k_right + 4 * i)], true, right_module);
    if (!d) return std::nullopt;
    digits[static_cast<std::size_t>(7 + i)] = static_cast<char>('0' + d->digit);
  }
  const auto first = std::find(k_parity.begin(), k_parity.end(), parity);
  if (first == k_parity.end()) return std::nullopt;
  digits[0] = static_cast<char>('0' + (first - k_parity.begin()));
  int sum = 0;
  for (int i = 0; i < 12; ++i) sum += (digits[static_cast<std::size_t>(i)] - '0') * (i % 2 == 0 ? 1 : 3);
  if ((10 - sum % 10) % 10 != digits[12] - '0') return std::nullopt;
  return line_read{code_format::ean13, std::move(digits), start, end};
}

// ---- Code 128 ----
// A character is 6 elements (bar first), 11 modules; the stop is 7 elements, 13 modules. Values
// 0–102 are data and code switches, 103–105 Start A/B/C.
constexpr std::array<const char*, 106> k_code128{
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213", "221312",
    "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132", "221231", "213212",
    "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211", "212123", "212321", "232121",
    "111323", "131123", "131321", "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331",
    "132131", "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131", "311123",
    "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111", "111224", "111422", "121124",
    "121421", "141122", "141221", "112214", "112412", "122114", "122411", "142112", "142211", "241211", "221114",
    "413111", "241112", "134111", "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112",
    "421211", "212141", "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232"};
constexpr int k_start_a = 103, k_start_b = 104, k_start_c = 105;
constexpr int k_stop_marker = 106;  // the stop's first six elements, 233111

// Value by similar-edge distances: e1..e4 (each 2–7 modules) packed as a 4-digit base-6 number.
// They are unique over the whole table (and the stop), so no bar-width tie-break is needed.
std::array<std::int16_t, 6 * 6 * 6 * 6> make_code128_lookup() {
  std::array<std::int16_t, 6 * 6 * 6 * 6> lookup{};
  lookup.fill(-1);
  auto add = [&](const char* p, int value) {
    int key = 0;
    for (int j = 0; j < 4; ++j) key = key * 6 + (p[j] - '0') + (p[j + 1] - '0') - 2;
    lookup[static_cast<std::size_t>(key)] = static_cast<std::int16_t>(value);
  };
  for (int v = 0; v < 106; ++v) add(k_code128[static_cast<std::size_t>(v)], v);
  add("233111", k_stop_marker);
  return lookup;
}
const std::array<std::int16_t, 6 * 6 * 6 * 6> k_code128_lookup = make_code128_lookup();

// The character whose six elements start at edges[i], or -1; `module` is set to its own module.
int code128_value(const std::vector<line_edge>& edges, std::size_t i, float& module) {
  std::array<float, 6> w{};
  for (std::size_t j = 0; j < 6; ++j) w[j] = edges[i + j + 1].pos - edges[i + j].pos;
  module = (w[0] + w[1] + w[2] + w[3] + w[4] + w[5]) / 11.0F;
  if (module <= 0) return -1;
  int key = 0;
  for (std::size_t j = 0; j < 4; ++j) {
    const float e = (w[j] + w[j + 1]) / module;
    const float r = std::round(e);
    if (std::abs(e - r) > k_max_rounding || r < 2 || r > 7) return -1;
    key = key * 6 + static_cast<int>(r) - 2;
  }
  return k_code128_lookup[static_cast<std::size_t>(key)];
}

// Tries the code whose start character's first bar starts at edges[k].
std::optional<line_read> read_code128_at(const std::vector<line_edge>& edges, std::size_t k, float line_length) {
  constexpr float k_quiet = 5.0F;  // modules (the standard asks for 10)
  float module = 0;
  const int start_value = code128_value(edges, k, module);
  if (start_value < k_start_a || start_value > k_start_c) return std::nullopt;
  const float start = edges[k].pos;
  const float before = k > 0 ? start - edges[k - 1].pos : start;
  if (before < k_quiet * module) return std::nullopt;
  std::vector<int> values{start_value};
  std::size_t i = k + 6;
  float prev_module = module;
  for (;;) {
    if (i + 7 >= edges.size() || values.size() > 80) return std::nullopt;
    const int v = code128_value(edges, i, module);
    // Characters of one code share their module size (perspective changes it slowly).
    if (v < 0 || module < 0.75F * prev_module || module > 1.33F * prev_module) return std::nullopt;
    prev_module = module;
    if (v == k_stop_marker) break;
    if (v >= k_start_a) return std::nullopt;  // a start character inside a code
    values.push_back(v);
    i += 6;
  }
  // The stop's last element: a 2-module bar, then the quiet zone.
  const float last_bar = edges[i + 7].pos - edges[i + 6].pos;
  if (std::abs(last_bar / module - 2.0F) > 0.8F) return std::nullopt;
  const float end = edges[i + 7].pos;
  const float after = i + 8 < edges.size() ? edges[i + 8].pos - end : line_length - end;
  if (after < k_quiet * module) return std::nullopt;
  // Start, at least one data character, check character.
  if (values.size() < 3) return std::nullopt;
  int sum = values[0];
  for (std::size_t j = 1; j + 1 < values.size(); ++j) sum += static_cast<int>(j) * values[j];
  if (sum % 103 != values.back()) return std::nullopt;

  std::string text;
  int set = values[0] - k_start_a;  // 0 A, 1 B, 2 C
  bool shift = false;
  for (std::size_t j = 1; j + 1 < values.size(); ++j) {
    const int v = values[j];
    const int current = shift ? 1 - set : set;  // SHIFT swaps A and B for one character
    shift = false;
    if (current == 2) {
      if (v < 100) {
        text += static_cast<char>('0' + v / 10);
        text += static_cast<char>('0' + v % 10);
      } else if (v == 100) {
        set = 1;
      } else if (v == 101) {
        set = 0;
      } else {
        return std::nullopt;  // FNC1: GS1 data, left to ZXing
      }
      continue;
    }
    if (v < 64 || (current == 1 && v < 96)) {
      text += static_cast<char>(v + 32);
    } else if (current == 0 && v < 96) {
      text += static_cast<char>(v - 64);  // code set A: control characters
    } else if (v == 98) {
      shift = true;
    } else if (v == 99) {
      set = 2;
    } else if ((current == 0 && v == 100) || (current == 1 && v == 101)) {
      set = current == 0 ? 1 : 0;
    } else {
      return std::nullopt;  // FNC1–4
    }
  }
  if (text.empty()) return std::nullopt;
  return line_read{code_format::code128, std::move(text), start, end};
}

using symbol_reader = std::optional<line_read> (*)(const std::vector<line_edge>&, std::size_t, float);

// Tries `read` at every bar start of the line, in its direction and backwards, in the given
// polarity. Positions are reported in the line's own direction.
void read_line(const std::vector<line_edge>& edges, float line_length, std::vector<line_read>& out, bool inverted,
               std::size_t min_edges, symbol_reader read) {
  if (edges.size() < min_edges) return;
  std::vector<line_edge> e = edges;
  if (inverted)
    for (auto& x : e) x.to_dark = !x.to_dark;  // light bars on a dark ground: swap what "dark" means
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) {
      // Backwards: positions mirrored, directions swapped.
      std::reverse(e.begin(), e.end());
      for (auto& x : e) {
        x.pos = line_length - x.pos;
        x.to_dark = !x.to_dark;
      }
    }
    for (std::size_t k = 0; k + min_edges <= e.size(); ++k) {
      if (!e[k].to_dark) continue;
      if (auto r = read(e, k, line_length)) {
        const float end = r->end;
        if (pass == 1) {
          const float s = line_length - r->end, t = line_length - r->start;
          r->start = s;
          r->end = t;
        }
        out.push_back(std::move(*r));
        while (k + 1 < e.size() && e[k + 1].pos <= end) ++k;  // go on after the code
      }
    }
  }
}

}  // namespace

void find_edges(const float* s, int n, float min_step, std::vector<line_edge>& out) {
  out.clear();
  if (n < 4) return;
  // d[i] = s[i+1] - s[i] sits at i + 0.5. An edge is a local extremum of d; its position is refined
  // by a parabola through the extremum and its neighbours.
  auto d = [&](int i) { return s[i + 1] - s[i]; };
  for (int i = 1; i + 2 < n; ++i) {
    const float prev = d(i - 1), cur = d(i), next = d(i + 1);
    const bool rising = cur >= min_step && cur >= prev && cur > next;
    const bool falling = -cur >= min_step && cur <= prev && cur < next;
    if (!rising && !falling) continue;
    const float denom = prev - 2 * cur + next;
    float offset = denom != 0 ? 0.5F * (prev - next) / denom : 0.0F;
    offset = std::clamp(offset, -0.5F, 0.5F);
    line_edge e{static_cast<float>(i) + 0.5F + offset, falling, std::abs(cur)};
    if (!out.empty() && out.back().to_dark == e.to_dark) {
      // Two extrema in the same direction belong to one edge (or one is noise): keep the stronger.
      if (e.strength > out.back().strength) out.back() = e;
      continue;
    }
    out.push_back(e);
  }
}

void read_ean_on_line(const std::vector<line_edge>& edges, float line_length, std::vector<line_read>& out,
                      bool inverted) {
  read_line(edges, line_length, out, inverted, k_elements + 1, &read_ean_at);
}

void read_code128_on_line(const std::vector<line_edge>& edges, float line_length, std::vector<line_read>& out,
                          bool inverted) {
  // Start, one data character, check character and stop: 3 × 6 + 7 elements.
  read_line(edges, line_length, out, inverted, 26, &read_code128_at);
}

std::array<int, 6> code128_pattern(int value) {
  std::array<int, 6> w{};
  if (value < 0 || value > 105) return w;
  for (std::size_t j = 0; j < 6; ++j) w[j] = k_code128[static_cast<std::size_t>(value)][j] - '0';
  return w;
}

// The frame's noise floor, from the median absolute second difference along every fourth row:
// flat stretches and the smooth ramps of blurred edges leave it near zero, sensor noise does not.
// Returns the noise sigma of one pixel, in grey levels.
float frame_noise(const luminance_view& frame) {
  std::array<std::uint32_t, 1021> histogram{};  // |second difference| is at most 2 × 255 × 2
  std::uint32_t count = 0;
  for (int y = 0; y < frame.height(); y += 4) {
    const std::uint8_t* r = frame.row(y);
    for (int x = 1; x + 1 < frame.width(); ++x) {
      ++histogram[static_cast<std::size_t>(std::abs(r[x + 1] - 2 * r[x] + r[x - 1]))];
      ++count;
    }
  }
  std::uint32_t seen = 0;
  std::size_t median = 0;
  while (median < histogram.size() && (seen += histogram[median]) * 2 < count) ++median;
  // For gaussian noise of sigma n, second differences have sigma n·√6; 1.4826 × median is sigma.
  return 1.4826F * static_cast<float>(median) / std::sqrt(6.0F);
}

namespace {

struct candidate {
  code_format format;
  std::string text;
  int lines = 0;
  pixel_point first_start, first_end, last_start, last_end;
  int min_x = 0, min_y = 0, max_x = 0, max_y = 0;
};

pixel_point to_pixel(float x, float y) {
  return {static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y))};
}

}  // namespace

std::vector<decoded_code> read_linear_by_edges(const luminance_view& frame, const edge_reader_options& options) {
  std::vector<decoded_code> found;
  const bool ean = options.formats.ean13 || options.formats.upca, code128 = options.formats.code128;
  if (!ean && !code128) return found;
  const int w = frame.width(), h = frame.height();
  // Codes in bigger frames are bigger too: a line every 3 px up to 480 lines, every 6 at 720
  // (a 720p EAN is still crossed by ten or more lines; the pass then costs about 1.7 ms, not 2.3).
  const int short_side = std::min(w, h);
  const int spacing = options.line_spacing > 0 ? options.line_spacing : short_side <= 480 ? 3 : std::max(3, short_side / 120);
  std::vector<float> samples;
  // Each sample averages three pixels across the line (below), which divides the noise by √3; an
  // edge (a first difference, noise sigma × √2) must stand four sigmas above it.
  const float min_step = std::max(3.0F, 4.0F * std::sqrt(2.0F / 3.0F) * frame_noise(frame));
  std::vector<line_edge> edges;
  std::vector<line_read> reads;
  std::vector<candidate> candidates;

  // Scans one line whose sample t lies at (x0 + t·dx, y0 + t·dy); samples were filled by the caller.
  auto scan = [&](float x0, float y0, float dx, float dy) {
    const int n = static_cast<int>(samples.size());
    find_edges(samples.data(), n, min_step, edges);
    reads.clear();
    for (bool inverted : {false, true}) {
      if (inverted && !options.inverted) break;
      if (ean) read_ean_on_line(edges, static_cast<float>(n), reads, inverted);
      if (code128) read_code128_on_line(edges, static_cast<float>(n), reads, inverted);
    }
    for (const auto& r : reads) {
      const pixel_point a = to_pixel(x0 + r.start * dx, y0 + r.start * dy);
      const pixel_point b = to_pixel(x0 + r.end * dx, y0 + r.end * dy);
      auto it = std::find_if(candidates.begin(), candidates.end(),
                             [&](const candidate& c) { return c.format == r.format && c.text == r.text; });
      if (it == candidates.end()) {
        candidates.push_back({r.format, r.text, 0, a, b, a, b, std::min(a.x, b.x), std::min(a.y, b.y), std::max(a.x, b.x),
                              std::max(a.y, b.y)});
        it = candidates.end() - 1;
      }
      ++it->lines;
      it->last_start = a;
      it->last_end = b;
      it->min_x = std::min({it->min_x, a.x, b.x});
      it->min_y = std::min({it->min_y, a.y, b.y});
      it->max_x = std::max({it->max_x, a.x, b.x});
      it->max_y = std::max({it->max_y, a.y, b.y});
    }
  };

  // A code counts once enough lines agree. Where two different readings overlap, the weaker is a
  // misread of the stronger one's bars and is dropped.
  auto finish = [&] {
    std::sort(candidates.begin(), candidates.end(), [](const candidate& a, const candidate& b) { return a.lines > b.lines; });
    std::vector<const candidate*> kept;
    for (const auto& c : candidates) {
      if (c.lines < std::max(1, options.min_lines)) break;
      const bool overlaps = std::any_of(kept.begin(), kept.end(), [&](const candidate* k) {
        return c.min_x <= k->max_x && k->min_x <= c.max_x && c.min_y <= k->max_y && k->min_y <= c.max_y;
      });
      if (overlaps) continue;
      kept.push_back(&c);
      if (static_cast<int>(kept.size()) >= options.max_codes) break;
    }
    for (const candidate* c : kept) {
      decoded_code code;
      if (c->format == code_format::code128) {
        code.format = code_format::code128;
        code.text = c->text;
      } else if (c->text[0] == '0' && options.formats.upca) {
        code.format = code_format::upca;
        code.text = c->text.substr(1);
      } else if (options.formats.ean13) {
        code.format = code_format::ean13;
        code.text = c->text;
      } else {
        continue;  // an EAN-13 not starting with 0 while only UPC-A is wanted
      }
      code.corners = {c->first_start, c->first_end, c->last_end, c->last_start};
      found.push_back(std::move(code));
    }
    return std::move(found);  // called once, at the end
  };

  // Each sample averages three pixels across the line: noise drops by √3, resolution along the
  // line stays whole.
  // Rows (0°).
  for (int y = spacing / 2; y < h; y += spacing) {
    const std::uint8_t* r0 = frame.row(std::max(0, y - 1));
    const std::uint8_t* r1 = frame.row(y);
    const std::uint8_t* r2 = frame.row(std::min(h - 1, y + 1));
    samples.resize(static_cast<std::size_t>(w));
    for (int x = 0; x < w; ++x) samples[static_cast<std::size_t>(x)] = static_cast<float>(r0[x] + r1[x] + r2[x]) / 3.0F;
    scan(0.0F, static_cast<float>(y), 1.0F, 0.0F);
  }
  if (!options.turned) return finish();
  // Columns (90°).
  for (int x = spacing / 2; x < w; x += spacing) {
    const int xl = std::max(0, x - 1), xr = std::min(w - 1, x + 1);
    samples.resize(static_cast<std::size_t>(h));
    for (int y = 0; y < h; ++y) {
      const std::uint8_t* r = frame.row(y);
      samples[static_cast<std::size_t>(y)] = static_cast<float>(r[xl] + r[x] + r[xr]) / 3.0F;
    }
    scan(static_cast<float>(x), 0.0F, 0.0F, 1.0F);
  }
  if (w >= 3 && h >= 3) {
    // Diagonals, stepping one pixel in x and y (√2 px a sample); the three pixels of a sample lie
    // on the other diagonal. Lines stay inside the 1-pixel border, so every pixel has both
    // neighbours and the inner loop needs no bounds checks. Down-right lines (45°) are x = y + c,
    // down-left lines (135°) x = c - y.
    const std::ptrdiff_t stride = frame.stride();
    for (int step_x : {1, -1}) {
      const int c_first = step_x == 1 ? -(h - 3) : 2, c_last = step_x == 1 ? w - 3 : (w - 2) + (h - 2);
      for (int c = c_first + spacing / 2; c <= c_last; c += spacing) {
        const int y_first = step_x == 1 ? std::max(1, 1 - c) : std::max(1, c - (w - 2));
        const int y_last = step_x == 1 ? std::min(h - 2, w - 2 - c) : std::min(h - 2, c - 1);
        const int n = y_last - y_first + 1;
        if (n < k_elements + 1) continue;
        const int x_first = step_x == 1 ? y_first + c : c - y_first;
        const std::uint8_t* p = frame.row(y_first) + x_first;
        const std::ptrdiff_t along = stride + step_x, across_a = stride - step_x, across_b = -stride + step_x;
        samples.resize(static_cast<std::size_t>(n));
        for (int t = 0; t < n; ++t, p += along)
          samples[static_cast<std::size_t>(t)] = static_cast<float>(p[0] + p[across_a] + p[across_b]) / 3.0F;
        scan(static_cast<float>(x_first), static_cast<float>(y_first), static_cast<float>(step_x), 1.0F);
      }
    }
  }

  return finish();
}

}  // namespace kh::hardware::detail
