// Golden-byte tests: every encoder command against the bytes the Epson reference specifies.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "kh/hardware/printer/encoder.hpp"

using namespace kh::hardware::printer;
using namespace kh::hardware::printer::escpos;
using bytes = std::vector<std::uint8_t>;

namespace {
bytes b(std::initializer_list<int> v) {
  bytes out;
  for (int x : v) out.push_back(static_cast<std::uint8_t>(x));
  return out;
}
bytes str(std::string_view s) { return {s.begin(), s.end()}; }
bytes cat(bytes a, const bytes& c) {
  a.insert(a.end(), c.begin(), c.end());
  return a;
}
bytes read_file(const std::string& name) {
  std::ifstream f(std::string(KH_ESCPOS_DATA_DIR) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
}  // namespace

TEST(escpos_encoder, initialize_resets_and_selects_code_page) {
  EXPECT_EQ(encoder(code_page::cp858).initialize().bytes(), b({0x1B, 0x40, 0x1B, 0x74, 19}));
  EXPECT_EQ(encoder(code_page::cp437).initialize().bytes(), b({0x1B, 0x40, 0x1B, 0x74, 0}));
}

TEST(escpos_encoder, text_styles_emit_epson_commands) {
  encoder e;
  e.bold(true).bold(false).set_underline(underline::thin).set_underline(underline::thick).set_underline(underline::none);
  EXPECT_EQ(e.bytes(), b({0x1B, 'E', 1, 0x1B, 'E', 0, 0x1B, '-', 1, 0x1B, '-', 2, 0x1B, '-', 0}));
}

TEST(escpos_encoder, size_packs_width_and_height_into_gs_bang) {
  encoder e;
  e.size(1, 1).size(2, 2).size(2, 1).size(1, 2).size(8, 8).size(0, 99);
  EXPECT_EQ(e.bytes(), b({0x1D, '!', 0x00, 0x1D, '!', 0x11, 0x1D, '!', 0x10, 0x1D, '!', 0x01, 0x1D, '!', 0x77, 0x1D, '!', 0x07}));
}

TEST(escpos_encoder, alignment_line_feed_and_feed) {
  encoder e;
  e.align(alignment::left).align(alignment::center).align(alignment::right).line("Hi").feed(3);
  EXPECT_EQ(e.bytes(), b({0x1B, 'a', 0, 0x1B, 'a', 1, 0x1B, 'a', 2, 'H', 'i', 0x0A, 0x1B, 'd', 3}));
}

TEST(escpos_encoder, cuts_full_partial_and_with_feed) {
  encoder e;
  e.cut(cut_mode::full).cut(cut_mode::partial).cut(cut_mode::full, 48).cut(cut_mode::partial, 300);
  EXPECT_EQ(e.bytes(), b({0x1D, 'V', 0, 0x1D, 'V', 1, 0x1D, 'V', 65, 48, 0x1D, 'V', 66, 255}));
}

TEST(escpos_encoder, drawer_pulse_uses_two_ms_units) {
  encoder e;
  e.drawer_pulse().drawer_pulse(5, 50, 500);
  EXPECT_EQ(e.bytes(), b({0x1B, 'p', 0, 50, 50, 0x1B, 'p', 1, 25, 250}));
}

TEST(escpos_encoder, native_qr_is_model2_size_ecc_store_print) {
  encoder e;
  ASSERT_FALSE(e.qr("AB", {4, qr_ecc::Q}));
  const bytes expected = cat(b({0x1D, '(', 'k', 4, 0, 49, 65, 50, 0,    // model 2
                                0x1D, '(', 'k', 3, 0, 49, 67, 4,        // module size 4
                                0x1D, '(', 'k', 3, 0, 49, 69, 50,       // ECC Q
                                0x1D, '(', 'k', 5, 0, 49, 80, 48, 'A', 'B'}),  // store
                             b({0x1D, '(', 'k', 3, 0, 49, 81, 48}));    // print
  EXPECT_EQ(e.bytes(), expected);
  EXPECT_EQ(e.bytes(), read_file("qr_ab_size4_q.bin"));
}

TEST(escpos_encoder, native_qr_length_uses_two_bytes) {
  encoder e;
  const std::string data(300, 'x');
  ASSERT_FALSE(e.qr(data));
  const auto& out = e.bytes();
  // store header is after the three 8/8/8-byte setup commands
  const std::size_t at = 9 + 8 + 8;
  EXPECT_EQ(out[at + 3], (300 + 3) & 0xFF);
  EXPECT_EQ(out[at + 4], (300 + 3) >> 8);
}

TEST(escpos_encoder, qr_rejects_bad_input_and_appends_nothing) {
  encoder e;
  EXPECT_EQ(e.qr(""), errc::invalid_argument);
  EXPECT_EQ(e.qr("x", {0, qr_ecc::L}), errc::invalid_argument);
  EXPECT_EQ(e.qr("x", {17, qr_ecc::L}), errc::invalid_argument);
  EXPECT_EQ(e.qr(std::string(k_qr_max_bytes + 1, '1')), errc::too_large);
  EXPECT_EQ(e.qr_raster(""), errc::invalid_argument);
  EXPECT_TRUE(e.bytes().empty());
}

TEST(escpos_encoder, code128_selects_code_set_b_and_escapes_brace) {
  encoder e;
  ASSERT_FALSE(e.code128("A{1", {100, 3, hri_position::below}));
  EXPECT_EQ(e.bytes(), cat(b({0x1D, 'H', 2, 0x1D, 'f', 0, 0x1D, 'h', 100, 0x1D, 'w', 3, 0x1D, 'k', 73, 6}), str("{BA{{1")));
  EXPECT_EQ(e.bytes(), read_file("code128_a_brace_1.bin"));
}

TEST(escpos_encoder, code128_rejects_non_ascii_and_overlong) {
  encoder e;
  EXPECT_EQ(e.code128("caf\xC3\xA9"), errc::invalid_argument);
  EXPECT_EQ(e.code128(""), errc::invalid_argument);
  EXPECT_EQ(e.code128(std::string(254, 'A')), errc::too_large);
  EXPECT_TRUE(e.bytes().empty());
}

TEST(escpos_encoder, ean13_validates_check_digit) {
  EXPECT_EQ(ean13_check_digit("400638133393"), 1);
  EXPECT_EQ(ean13_check_digit("590123412345"), 7);
  EXPECT_EQ(ean13_check_digit("40063813339"), -1);
  EXPECT_EQ(ean13_check_digit("40063813339x"), -1);
  encoder e;
  EXPECT_EQ(e.ean13("4006381333932"), errc::invalid_argument);
  EXPECT_EQ(e.ean13("12345"), errc::invalid_argument);
  EXPECT_TRUE(e.bytes().empty());
  ASSERT_FALSE(e.ean13("4006381333931", {60, 2, hri_position::both}));
  EXPECT_EQ(e.bytes(), cat(b({0x1D, 'H', 3, 0x1D, 'f', 0, 0x1D, 'h', 60, 0x1D, 'w', 2, 0x1D, 'k', 67, 12}), str("400638133393")));
}

TEST(escpos_encoder, raster_packs_msb_first_rows) {
  mono_bitmap img(10, 2);
  img.set(0, 0);
  img.set(9, 0);
  img.set(1, 1);
  encoder e;
  ASSERT_FALSE(e.raster(img));
  EXPECT_EQ(e.bytes(), b({0x1D, 'v', '0', 0, 2, 0, 2, 0, 0x80, 0x40, 0x40, 0x00}));
  EXPECT_EQ(e.raster(mono_bitmap{}), errc::invalid_argument);
}

TEST(escpos_encoder, tall_raster_is_sent_in_bands) {
  mono_bitmap img(8, 2500);
  encoder e;
  ASSERT_FALSE(e.raster(img));
  // 1024 + 1024 + 452 rows, 8-byte header each, 1 byte per row.
  EXPECT_EQ(e.bytes().size(), 3 * 8 + 2500u);
  EXPECT_EQ(e.bytes()[6], 0);
  EXPECT_EQ(e.bytes()[7], 4);
}

TEST(escpos_encoder, greyscale_image_is_dithered) {
  std::vector<std::uint8_t> grey(16 * 4);
  for (int i = 0; i < 16 * 4; ++i) grey[i] = static_cast<std::uint8_t>((i % 16) * 16);  // ramp
  const grey_view v{grey.data(), 16, 4, 16};
  for (auto mode : {dither_mode::threshold, dither_mode::floyd_steinberg, dither_mode::ordered}) {
    const auto m = dither(v, mode);
    ASSERT_EQ(m.width, 16);
    int black_left = 0, black_right = 0;
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 4; ++x) black_left += m.get(x, y), black_right += m.get(15 - x, y);
    EXPECT_GT(black_left, black_right) << static_cast<int>(mode);  // dark end prints more dots
  }
  // Mid-grey should come out near 50 % dots with error diffusion, not all black or white.
  std::vector<std::uint8_t> mid(32 * 32, 128);
  const auto fs = dither({mid.data(), 32, 32, 32}, dither_mode::floyd_steinberg);
  const int dots = static_cast<int>(std::count(fs.pixels.begin(), fs.pixels.end(), 1));
  EXPECT_NEAR(dots, 512, 64);
  encoder e;
  EXPECT_EQ(e.image({nullptr, 1, 1, 1}), errc::invalid_argument);
  ASSERT_FALSE(e.image(v));
  EXPECT_EQ(e.bytes().size(), 8u + 2 * 4);
}

TEST(escpos_encoder, take_empties_and_keeps_code_page) {
  encoder e(code_page::cp437);
  e.text("x");
  EXPECT_EQ(e.take(), b({'x'}));
  EXPECT_TRUE(e.bytes().empty());
  EXPECT_EQ(e.current_code_page(), code_page::cp437);
}

// ---- transcoding ---------------------------------------------------------------------------

TEST(escpos_transcoding, cp858_has_euro_and_accents) {
  EXPECT_EQ(transcode_utf8("€ 7,50 café", code_page::cp858), "\xD5 7,50 caf\x82");
  EXPECT_EQ(transcode_utf8("Crème brûlée", code_page::cp858), "Cr\x8Ame br\x96l\x82" "e");
  EXPECT_EQ(transcode_utf8("ÀÉÕØß", code_page::cp858), "\xB7\x90\xE5\x9D\xE1");
}

TEST(escpos_transcoding, cp437_lacks_euro_and_uses_question_mark) {
  EXPECT_EQ(transcode_utf8("€5", code_page::cp437), "?5");
  EXPECT_EQ(transcode_utf8("£ ¥ ñ", code_page::cp437), "\x9C \x9D \xA4");
  EXPECT_EQ(transcode_utf8("a\xE2\x94\x80z", code_page::cp437), "a\xC4z");  // box drawing ─
}

TEST(escpos_transcoding, unmappable_control_and_malformed_become_question_marks) {
  EXPECT_EQ(transcode_utf8("日本", code_page::cp858), "??");
  EXPECT_EQ(transcode_utf8("😀", code_page::cp858), "?");
  EXPECT_EQ(transcode_utf8("a\nb\x1B", code_page::cp858), "a?b?");
  EXPECT_EQ(transcode_utf8("\xC3", code_page::cp858), "?");          // truncated sequence
  EXPECT_EQ(transcode_utf8("\xC0\xAF", code_page::cp858), "??");     // overlong '/'
  EXPECT_EQ(transcode_utf8("\xED\xA0\x80", code_page::cp858), "???");  // surrogate
}

TEST(escpos_transcoding, every_upper_half_byte_round_trips) {
  for (auto cp : {code_page::cp437, code_page::cp858})
    for (int b = 0x80; b <= 0xFF; ++b) {
      const char32_t u = code_page_to_unicode(static_cast<std::uint8_t>(b), cp);
      std::string utf8;
      if (u < 0x800) {
        utf8 += static_cast<char>(0xC0 | (u >> 6));
        utf8 += static_cast<char>(0x80 | (u & 0x3F));
      } else {
        utf8 += static_cast<char>(0xE0 | (u >> 12));
        utf8 += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
        utf8 += static_cast<char>(0x80 | (u & 0x3F));
      }
      EXPECT_EQ(transcode_utf8(utf8, cp), std::string(1, static_cast<char>(b))) << b;
    }
}
