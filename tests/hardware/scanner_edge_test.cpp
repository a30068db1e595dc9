// The edge-based EAN-13 / UPC-A and Code 128 reader (hardware/src/scanner/edge_reader.hpp): edge
// finding on synthetic lines, symbol decoding on lines drawn from the standards' tables or by
// ZXing's writer, and whole frames from the corpus, where it must read the small and blurred codes
// ZXing's binarizer loses and never misread.
#include "corpus.hpp"
#include "scanner/edge_reader.hpp"

#include <kh/hardware/scanner/scanner.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace kh::hardware::detail {
namespace {

using kh::scan_corpus::condition;

// EAN-13 element widths (in modules) for 13 digits, built from the standard's code tables.
std::vector<int> ean13_modules(const std::string& digits) {
  static const char* l_code[10] = {"3211", "2221", "2122", "1411", "1132", "1231", "1114", "1312", "1213", "3112"};
  static const int parity[10] = {0b000000, 0b001011, 0b001101, 0b001110, 0b010011,
                                 0b011001, 0b011100, 0b010101, 0b010110, 0b011010};
  std::vector<int> w{1, 1, 1};
  const int p = parity[digits[0] - '0'];
  for (int i = 0; i < 6; ++i) {
    std::string c = l_code[digits[static_cast<std::size_t>(1 + i)] - '0'];
    if ((p >> (5 - i)) & 1) c = std::string(c.rbegin(), c.rend());  // G code: L reversed
    for (char ch : c) w.push_back(ch - '0');
  }
  for (int i = 0; i < 5; ++i) w.push_back(1);
  for (int i = 0; i < 6; ++i)
    for (char ch : std::string(l_code[digits[static_cast<std::size_t>(7 + i)] - '0'])) w.push_back(ch - '0');
  for (int i = 0; i < 3; ++i) w.push_back(1);
  return w;
}

// A line of samples: `quiet` light modules (plus `shift` of a module), the symbol, `quiet` light
// modules, each module `px` samples wide (fractional: area-sampled), dark 40 and light 210.
std::vector<float> ean13_line(const std::string& digits, float px, int quiet = 12, float shift = 0) {
  std::vector<int> w = ean13_modules(digits);
  std::vector<std::pair<float, float>> dark_spans;  // [from, to) in module units
  float at = static_cast<float>(quiet) + shift;
  bool dark = true;
  for (int m : w) {
    if (dark) dark_spans.push_back({at, at + static_cast<float>(m)});
    at += static_cast<float>(m);
    dark = !dark;
  }
  const int n = static_cast<int>(std::ceil((at + static_cast<float>(quiet)) * px));
  std::vector<float> s(static_cast<std::size_t>(n), 210.0F);
  for (int i = 0; i < n; ++i) {
    const float a = static_cast<float>(i) / px, b = static_cast<float>(i + 1) / px;
    float cover = 0;
    for (const auto& [f, t] : dark_spans) cover += std::max(0.0F, std::min(b, t) - std::max(a, f));
    s[static_cast<std::size_t>(i)] = 210.0F - 170.0F * cover / (b - a);
  }
  return s;
}

std::vector<float> blurred(const std::vector<float>& s, float sigma) {
  const int r = static_cast<int>(std::ceil(3 * sigma));
  std::vector<float> k(static_cast<std::size_t>(2 * r + 1));
  float sum = 0;
  for (int i = -r; i <= r; ++i) sum += k[static_cast<std::size_t>(i + r)] = std::exp(-0.5F * static_cast<float>(i * i) / (sigma * sigma));
  std::vector<float> out(s.size());
  const int n = static_cast<int>(s.size());
  for (int i = 0; i < n; ++i) {
    float v = 0;
    for (int j = -r; j <= r; ++j) v += k[static_cast<std::size_t>(j + r)] * s[static_cast<std::size_t>(std::clamp(i + j, 0, n - 1))];
    out[static_cast<std::size_t>(i)] = v / sum;
  }
  return out;
}

std::vector<line_read> read_line(const std::vector<float>& s) {
  std::vector<line_edge> edges;
  find_edges(s.data(), static_cast<int>(s.size()), 8.0F, edges);
  std::vector<line_read> reads;
  read_ean_on_line(edges, static_cast<float>(s.size()), reads);
  return reads;
}

TEST(edge_reader, finds_alternating_edges_at_sub_pixel_positions) {
  // Light → dark at 10.5 (a sharp step between samples 10 and 11), dark → light at 20.5.
  std::vector<float> s(32, 200.0F);
  for (int i = 11; i <= 20; ++i) s[static_cast<std::size_t>(i)] = 50.0F;
  s[10] = 150;  // a soft edge: the step is spread over two samples, centred at 10.33
  std::vector<line_edge> edges;
  find_edges(s.data(), static_cast<int>(s.size()), 8.0F, edges);
  ASSERT_EQ(edges.size(), 2u);
  EXPECT_TRUE(edges[0].to_dark);
  EXPECT_NEAR(edges[0].pos, 10.33F, 0.2F);
  EXPECT_FALSE(edges[1].to_dark);
  EXPECT_NEAR(edges[1].pos, 20.5F, 0.05F);
}

TEST(edge_reader, ignores_steps_below_the_threshold) {
  std::vector<float> s(40, 120.0F);
  for (int i = 0; i < 40; ++i) s[static_cast<std::size_t>(i)] += (i % 2 == 0) ? 2.0F : -2.0F;  // ripple of 4
  std::vector<line_edge> edges;
  find_edges(s.data(), static_cast<int>(s.size()), 8.0F, edges);
  EXPECT_TRUE(edges.empty());
}

TEST(edge_reader, reads_a_sharp_code_in_both_directions) {
  const std::string digits = "4006381333931";
  auto s = ean13_line(digits, 3.0F);
  auto reads = read_line(s);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].text, digits);
  EXPECT_NEAR(reads[0].start, 12 * 3.0F, 1.0F);
  EXPECT_NEAR(reads[0].end, (12 + 95) * 3.0F, 1.0F);
  std::vector<float> backwards(s.rbegin(), s.rend());
  reads = read_line(backwards);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].text, digits);
}

TEST(edge_reader, tells_1_from_7_and_2_from_8_in_every_code_set) {
  // 1/7 and 2/8 share their similar-edge distances; only their bar widths differ. First digit 5
  // puts digits in both L and G code on the left (LGGLLG); the right half is R code.
  for (const std::string body : {"17281728172", "71827182718", "12121787878"}) {
    std::string d = "5" + body;
    int sum = 0;
    for (int i = 0; i < 12; ++i) sum += (d[static_cast<std::size_t>(i)] - '0') * (i % 2 == 0 ? 1 : 3);
    d += static_cast<char>('0' + (10 - sum % 10) % 10);
    const auto reads = read_line(blurred(ean13_line(d, 2.5F), 0.8F));
    ASSERT_EQ(reads.size(), 1u) << d;
    EXPECT_EQ(reads[0].text, d);
  }
}

TEST(edge_reader, reads_modules_of_one_and_a_half_pixels_and_blur_of_half_a_module) {
  // Where a single-module space between wide bars no longer reaches the light level, its edges are
  // still there. Every sampling phase must read: a camera does not choose where a module falls.
  const std::string digits = "9780201379624";
  struct setting {
    float px, sigma;
  };
  for (const setting& c : {setting{1.5F, 0.45F}, setting{2.0F, 0.8F}, setting{3.0F, 1.5F}}) {
    for (int phase = 0; phase < 10; ++phase) {
      // The code shifted by a tenth of a module at a time, then blurred.
      const auto s = ean13_line(digits, c.px, 12, static_cast<float>(phase) / 10.0F);
      const auto reads = read_line(blurred(s, c.sigma));
      ASSERT_EQ(reads.size(), 1u) << c.px << " px a module, blur " << c.sigma << ", phase " << phase;
      EXPECT_EQ(reads[0].text, digits);
    }
  }
}

TEST(edge_reader, rejects_a_wrong_check_digit_and_a_missing_quiet_zone) {
  EXPECT_TRUE(read_line(ean13_line("4006381333932", 3.0F)).empty());  // check digit 1, not 2
  auto s = ean13_line("4006381333931", 3.0F, 2);                     // 2 modules of quiet zone
  EXPECT_TRUE(read_line(s).empty());
}

// The middle row of a code drawn by ZXing's writer (through the corpus), `px` samples a module.
std::vector<float> writer_line(code_format f, const std::string& text, int px) {
  const auto img = kh::scan_corpus::render_code(f, text, px, 30, 220);
  std::vector<float> s(static_cast<std::size_t>(img.width()));
  for (int x = 0; x < img.width(); ++x) s[static_cast<std::size_t>(x)] = img.at(x, img.height() / 2);
  return s;
}

std::vector<line_read> read_code128_line(const std::vector<float>& s, bool inverted = false) {
  std::vector<line_edge> edges;
  find_edges(s.data(), static_cast<int>(s.size()), 8.0F, edges);
  std::vector<line_read> reads;
  read_code128_on_line(edges, static_cast<float>(s.size()), reads, inverted);
  return reads;
}

TEST(edge_reader, code128_table_is_well_formed) {
  // Every character: 11 modules, an even number of bar modules, and a distinct pattern.
  std::set<std::array<int, 6>> seen;
  for (int v = 0; v < 106; ++v) {
    const auto w = code128_pattern(v);
    EXPECT_EQ(w[0] + w[1] + w[2] + w[3] + w[4] + w[5], 11) << v;
    EXPECT_EQ((w[0] + w[2] + w[4]) % 2, 0) << v;
    EXPECT_TRUE(seen.insert(w).second) << v;
  }
  EXPECT_EQ(code128_pattern(104), (std::array<int, 6>{2, 1, 1, 2, 1, 4}));  // Start B
}

TEST(edge_reader, reads_back_every_code128_character_that_zxings_writer_draws) {
  // All of code set B (printable ASCII), all 100 pairs of code set C, and code set A's control
  // characters: a wrong entry in the table would lose the characters that use it.
  std::vector<std::string> texts;
  std::string printable;
  for (char c = ' '; c <= '~'; ++c) printable += c;
  for (std::size_t i = 0; i < printable.size(); i += 12) texts.push_back(printable.substr(i, 12));
  std::string pairs;
  for (int v = 0; v < 100; ++v) pairs += std::to_string(v / 10) + std::to_string(v % 10);
  for (std::size_t i = 0; i < pairs.size(); i += 20) texts.push_back(pairs.substr(i, 20));
  texts.push_back("TAB\tEND");
  texts.push_back("A-042");
  for (const auto& text : texts) {
    const auto reads = read_code128_line(writer_line(code_format::code128, text, 3));
    ASSERT_EQ(reads.size(), 1u) << text;
    EXPECT_EQ(reads[0].format, code_format::code128);
    EXPECT_EQ(reads[0].text, text);
  }
}

TEST(edge_reader, reads_code128_backwards_inverted_small_and_blurred_but_not_a_bad_check_character) {
  const auto line = writer_line(code_format::code128, "A-513", 3);
  std::vector<float> backwards(line.rbegin(), line.rend());
  ASSERT_EQ(read_code128_line(backwards).size(), 1u);
  EXPECT_EQ(read_code128_line(backwards)[0].text, "A-513");
  std::vector<float> negative(line.size());
  for (std::size_t i = 0; i < line.size(); ++i) negative[i] = 250.0F - line[i];
  EXPECT_TRUE(read_code128_line(negative).empty());
  ASSERT_EQ(read_code128_line(negative, true).size(), 1u);
  // 1.5 samples a module (area-sampled from 6 px modules), blurred by a third of a module.
  const auto fine = writer_line(code_format::code128, "A-513", 6);
  std::vector<float> small(fine.size() / 4);
  for (std::size_t i = 0; i < small.size(); ++i) small[i] = (fine[4 * i] + fine[4 * i + 1] + fine[4 * i + 2] + fine[4 * i + 3]) / 4;
  const auto reads = read_code128_line(blurred(small, 0.5F));
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].text, "A-513");
  // The same bars with one character's bars swapped for another's: the check character fails.
  auto tampered = writer_line(code_format::code128, "A-513", 3);
  const auto other = writer_line(code_format::code128, "A-613", 3);
  ASSERT_EQ(tampered.size(), other.size());
  // Characters: quiet zone (10 modules = 30 px), start (33 px), 'A', '-', then '5' at 30 + 3 × 33.
  const auto first_difference = std::mismatch(tampered.begin(), tampered.end(), other.begin()).first - tampered.begin();
  ASSERT_GE(first_difference, 30 + 3 * 33);
  ASSERT_LT(first_difference, 30 + 4 * 33);
  for (std::size_t i = 30 + 3 * 33; i < 30 + 4 * 33; ++i) tampered[i] = other[i];
  EXPECT_TRUE(read_code128_line(tampered).empty());
}

TEST(edge_reader, reads_upca_as_upca_and_honours_the_format_set) {
  // A whole frame: the code drawn upright, 3 px a module, 60 px high.
  const std::string digits = "0036000291452";
  const auto line = ean13_line(digits, 3.0F);
  const int w = static_cast<int>(line.size()) + 20, h = 100;
  luminance_image img(w, h, 210);
  for (int y = 20; y < 80; ++y)
    for (int x = 0; x < static_cast<int>(line.size()); ++x) img.at(x + 10, y) = static_cast<std::uint8_t>(std::lround(line[static_cast<std::size_t>(x)]));
  edge_reader_options opts;
  auto codes = read_linear_by_edges(*img.view(), opts);
  ASSERT_EQ(codes.size(), 1u);
  EXPECT_EQ(codes[0].format, code_format::upca);
  EXPECT_EQ(codes[0].text, "036000291452");
  EXPECT_NEAR(codes[0].corners[0].x, 10 + 36, 3);  // the start guard, 12 modules in
  opts.formats.upca = false;
  codes = read_linear_by_edges(*img.view(), opts);
  ASSERT_EQ(codes.size(), 1u);
  EXPECT_EQ(codes[0].format, code_format::ean13);
  EXPECT_EQ(codes[0].text, digits);
  opts.formats.ean13 = false;
  opts.formats.upca = false;
  EXPECT_TRUE(read_linear_by_edges(*img.view(), opts).empty());
}

TEST(edge_reader, reads_a_frame_at_every_angle_and_light_on_dark) {
  // Lines at 0°, 45°, 90° and 135°: every angle is within 22.5° of one of them.
  const auto code = kh::scan_corpus::render_code(code_format::ean13, "5901234123457", 3, 20, 235);
  for (int degrees = 0; degrees < 360; degrees += 15) {
    for (bool inverted : {false, true}) {
      luminance_image frame(640, 480, inverted ? 40 : 170);
      auto src = code;
      if (inverted)
        for (int y = 0; y < src.height(); ++y)
          for (int x = 0; x < src.width(); ++x) src.at(x, y) = static_cast<std::uint8_t>(255 - src.at(x, y));
      kh::scan_corpus::draw_turned(src, 320, 240, degrees, frame);
      const auto codes = read_linear_by_edges(*frame.view(), {});
      ASSERT_EQ(codes.size(), 1u) << degrees << "°" << (inverted ? " inverted" : "");
      EXPECT_EQ(codes[0].text, "5901234123457");
      edge_reader_options no_inversion;
      no_inversion.inverted = false;
      EXPECT_EQ(read_linear_by_edges(*frame.view(), no_inversion).empty(), inverted) << degrees << "°";
    }
  }
}

// The corpus: the edge reader alone, on the linear codes.
struct tally {
  int found = 0, codes = 0, misreads = 0;
};

std::map<condition, tally> measure(int w, int h, int per_condition) {
  std::map<condition, tally> out;
  edge_reader_options opts;
  for (const auto& s : kh::scan_corpus::make_corpus(w, h, per_condition)) {
    std::vector<kh::scan_corpus::read_result> reads;
    for (const auto& c : read_linear_by_edges(*s.image.view(), opts)) reads.push_back({c.format, c.text});
    auto& t = out[s.cond];
    for (const auto& want : s.codes) {
      if (want.format == code_format::qr) continue;
      ++t.codes;
      kh::scan_corpus::sample one{s.cond, s.index, {}, {want}};
      t.found += kh::scan_corpus::count_found(one, reads) > 0;
    }
    t.misreads += kh::scan_corpus::count_unexpected(s, reads);
    for (const auto& r : reads)
      if (kh::scan_corpus::count_unexpected(s, {r}) > 0)
        std::printf("[ misread  ] %s: %s\n", s.name().c_str(), r.text.c_str());
  }
  for (const auto& [c, t] : out)
    std::printf("[ edges    ] %dx%d %-12s %3d/%-3d  misreads %d\n", w, h, std::string(to_string(c)).c_str(), t.found, t.codes,
                t.misreads);
  return out;
}

TEST(edge_reader, reads_the_corpus_without_a_single_misread) {
  const auto rates = measure(640, 480, 24);
  for (const auto& [c, t] : rates) EXPECT_EQ(t.misreads, 0) << to_string(c);
}

}  // namespace
}  // namespace kh::hardware::detail
