// Renderer: what the paper shows. Round trips decode the rendered PNG pixels with ZXing.
#include <gtest/gtest.h>

#include <ZXing/ReadBarcode.h>

#include <fstream>

#include "kh/hardware/printer/encoder.hpp"
#include "kh/hardware/printer/layout.hpp"
#include "kh/hardware/printer/render.hpp"

using namespace kh::hardware::printer;
using namespace kh::hardware::printer::escpos;

namespace {

std::vector<ZXing::Result> decode(const mono_bitmap& img, ZXing::BarcodeFormats formats) {
  constexpr int k_border = 24;
  const auto grey = img.to_grey(k_border);
  const ZXing::ImageView view(grey.data(), img.width + 2 * k_border, img.height + 2 * k_border, ZXing::ImageFormat::Lum);
  ZXing::DecodeHints hints;
  hints.setFormats(formats).setTryHarder(true);
  std::vector<ZXing::Result> out;
  for (auto& r : ZXing::ReadBarcodes(view, hints))
    if (r.isValid()) out.push_back(r);
  return out;
}

bool decodes_to(const mono_bitmap& img, ZXing::BarcodeFormat f, const std::string& text) {
  for (const auto& r : decode(img, f))
    if (r.text() == text) return true;
  return false;
}

int black_in(const mono_bitmap& m, int x0, int y0, int x1, int y1) {
  int n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) n += m.get(x, y);
  return n;
}

// Bounding box of black pixels.
struct box {
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
};
box bbox(const mono_bitmap& m) {
  box b;
  for (int y = 0; y < m.height; ++y)
    for (int x = 0; x < m.width; ++x)
      if (m.get(x, y)) b.x0 = std::min(b.x0, x), b.y0 = std::min(b.y0, y), b.x1 = std::max(b.x1, x), b.y1 = std::max(b.y1, y);
  return b;
}

render_result render(const encoder& e, const printer_profile& p = printer_profile::mm80()) {
  return render_escpos(e.bytes(), p);
}

}  // namespace

TEST(receipt_render, pickup_ticket_qr_gives_back_the_order_id_native_and_raster) {
  const std::string order_id = "7f9c2b1e-4d3a-4c8b-9e21-5a6f0d1c2b3a";
  for (const auto& p : {printer_profile::mm58(), printer_profile::mm80(), printer_profile::mm58().without_native_qr(),
                        printer_profile::mm80().without_native_qr()}) {
    const auto bytes = layout_pickup_ticket(sample_pickup_ticket(order_id), p);
    const auto r = render_escpos(bytes, p);
    EXPECT_EQ(r.image.width, p.dot_width);
    EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
    EXPECT_TRUE(decodes_to(r.image, ZXing::BarcodeFormat::QRCode, order_id)) << p.name << " native=" << p.native_qr;
  }
}

TEST(receipt_render, receipt_qr_gives_back_the_url_native_and_raster) {
  const auto doc = sample_receipt();
  for (const auto& p : {printer_profile::mm58(), printer_profile::mm80(), printer_profile::mm58().without_native_qr(),
                        printer_profile::mm80().without_native_qr()}) {
    const auto r = render_escpos(layout_receipt(doc, p), p);
    EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
    EXPECT_EQ(r.cuts, 1);
    EXPECT_TRUE(decodes_to(r.image, ZXing::BarcodeFormat::QRCode, doc.qr_url)) << p.name << " native=" << p.native_qr;
  }
}

TEST(receipt_render, native_and_raster_qr_have_the_same_size_on_paper) {
  encoder a, b;
  ASSERT_FALSE(a.qr("hello", {5, qr_ecc::M}));
  ASSERT_FALSE(b.qr_raster("hello", {5, qr_ecc::M}));
  const auto ra = render(a), rb = render(b);
  const auto ba = bbox(ra.image), bb = bbox(rb.image);
  EXPECT_EQ(ba.x1 - ba.x0, bb.x1 - bb.x0);
  EXPECT_EQ(ba.y1 - ba.y0, bb.y1 - bb.y0);
  EXPECT_EQ((ba.x1 - ba.x0 + 1) % 5, 0);  // whole modules of 5 dots
}

TEST(receipt_render, code128_and_ean13_decode_back) {
  for (const auto& p : {printer_profile::mm58(), printer_profile::mm80()}) {
    encoder e;
    e.initialize().align(alignment::center);
    ASSERT_FALSE(e.code128("A-042/xyz{1}", {80, 2, hri_position::below}));
    e.feed(2);
    ASSERT_FALSE(e.ean13("4006381333931", {80, 3, hri_position::below}));
    e.feed(2);
    const auto r = render(e, p);
    EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
    EXPECT_TRUE(decodes_to(r.image, ZXing::BarcodeFormat::Code128, "A-042/xyz{1}")) << p.name;
    EXPECT_TRUE(decodes_to(r.image, ZXing::BarcodeFormat::EAN13, "4006381333931")) << p.name;
  }
}

TEST(receipt_render, barcode_height_and_module_width_are_honoured) {
  encoder thin, wide;
  ASSERT_FALSE(thin.code128("12345", {50, 2, hri_position::none}));
  ASSERT_FALSE(wide.code128("12345", {120, 4, hri_position::none}));
  const auto bt = bbox(render(thin).image), bw = bbox(render(wide).image);
  EXPECT_EQ(bt.y1 - bt.y0 + 1, 50);
  EXPECT_EQ(bw.y1 - bw.y0 + 1, 120);
  EXPECT_EQ((bw.x1 - bw.x0 + 1), 2 * (bt.x1 - bt.x0 + 1));
}

TEST(receipt_render, barcode_wider_than_paper_is_not_printed_and_warned) {
  encoder e;
  ASSERT_FALSE(e.code128(std::string(60, 'W'), {80, 6, hri_position::none}));
  const auto r = render(e, printer_profile::mm58());
  EXPECT_EQ(black_in(r.image, 0, 0, r.image.width, r.image.height), 0);
  ASSERT_EQ(r.warnings.size(), 1u);
}

TEST(receipt_render, text_alignment_places_ink_left_center_right) {
  for (auto a : {alignment::left, alignment::center, alignment::right}) {
    encoder e;
    e.align(a).line("ABCD");
    const auto r = render(e);
    const auto b = bbox(r.image);
    ASSERT_GE(b.x1, 0);
    const int mid = (b.x0 + b.x1) / 2;
    if (a == alignment::left) {
      EXPECT_LT(b.x0, 4);
    } else if (a == alignment::center) {
      EXPECT_NEAR(mid, 288, 8);
    } else {
      EXPECT_GT(b.x1, 570);
    }
  }
}

TEST(receipt_render, double_size_doubles_the_ink_box_and_bold_adds_ink) {
  encoder n, d, bo;
  n.line("Hello");
  d.size(2, 2).line("Hello");
  bo.bold(true).line("Hello");
  const auto rn = render(n), rd = render(d), rb = render(bo);
  const auto bn = bbox(rn.image), bd = bbox(rd.image);
  EXPECT_NEAR(bd.x1 - bd.x0, 2 * (bn.x1 - bn.x0), 3);
  EXPECT_NEAR(bd.y1 - bd.y0, 2 * (bn.y1 - bn.y0), 3);
  EXPECT_GT(black_in(rb.image, 0, 0, 576, rb.image.height), black_in(rn.image, 0, 0, 576, rn.image.height) * 5 / 4);
  EXPECT_EQ(rn.image.height, 30);  // one line at the default 30-dot spacing
  EXPECT_EQ(rd.image.height, 48);  // double-height line
}

TEST(receipt_render, underline_draws_a_line_under_the_whole_text) {
  encoder e;
  e.set_underline(underline::thick).line("ab cd");
  const auto r = render(e);
  // Bottom row of the 24-dot cell is solid across 5 characters (60 dots).
  EXPECT_EQ(black_in(r.image, 0, 23, 60, 24), 60);
  EXPECT_EQ(black_in(r.image, 0, 22, 60, 23), 60);
}

TEST(receipt_render, long_text_wraps_at_the_paper_edge) {
  encoder e;
  e.line(std::string(40, 'X'));  // 40 > 32 columns on 58 mm
  const auto r = render(e, printer_profile::mm58());
  EXPECT_EQ(r.image.height, 60);
  EXPECT_GT(black_in(r.image, 0, 30, 12 * 8, 60), 0);  // second line holds the last 8
  EXPECT_EQ(black_in(r.image, 12 * 8 + 2, 30, 384, 60), 0);
}

TEST(receipt_render, raster_image_is_drawn_at_its_size_and_centered) {
  mono_bitmap img(64, 20);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 64; ++x) img.set(x, y);
  encoder e;
  e.align(alignment::center);
  ASSERT_FALSE(e.raster(img));
  const auto r = render(e);
  const auto b = bbox(r.image);
  EXPECT_EQ(b.x0, (576 - 64) / 2);
  EXPECT_EQ(b.x1 - b.x0 + 1, 64);
  EXPECT_EQ(b.y1 - b.y0 + 1, 20);
  EXPECT_EQ(black_in(r.image, 0, 0, 576, r.image.height), 64 * 20);
}

TEST(receipt_render, cuts_and_drawer_pulses_are_counted) {
  encoder e;
  e.line("x").drawer_pulse().cut(cut_mode::full).line("y").cut(cut_mode::partial, 30);
  const auto r = render(e);
  EXPECT_EQ(r.cuts, 2);
  EXPECT_EQ(r.drawer_pulses, 1);
  EXPECT_TRUE(r.warnings.empty());
}

TEST(receipt_render, code_page_changes_the_glyphs) {
  // 0xD5 is € in CP858 and ╒ in CP437: different ink.
  const std::vector<std::uint8_t> a = {0x1B, 't', 19, 0xD5, 0x0A}, b = {0x1B, 't', 0, 0xD5, 0x0A};
  const auto ra = render_escpos(a, printer_profile::mm80()), rb = render_escpos(b, printer_profile::mm80());
  EXPECT_NE(ra.image.pixels, rb.image.pixels);
  EXPECT_GT(black_in(ra.image, 0, 0, 12, 24), 10);
}

TEST(receipt_render, unknown_commands_are_skipped_with_a_warning) {
  const std::vector<std::uint8_t> in = {'A', 0x1B, 0x99, 'B', 0x1D, 0x98, 0x0A};
  const auto r = render_escpos(in, printer_profile::mm80());
  EXPECT_EQ(r.warnings.size(), 2u);
  EXPECT_FALSE(r.truncated);
  EXPECT_GT(black_in(r.image, 0, 0, 12, 24), 0);   // 'A'
  EXPECT_GT(black_in(r.image, 12, 0, 24, 24), 0);  // 'B' right after it
}

TEST(receipt_render, every_truncation_of_a_receipt_renders_cleanly) {
  // Both profiles: native QR and raster QR paths.
  for (const auto& p : {printer_profile::mm58(), printer_profile::mm80().without_native_qr()}) {
    const auto bytes = layout_receipt(sample_receipt(), p);
    int truncated = 0;
    for (std::size_t n = 0; n <= bytes.size(); n += (p.native_qr ? 1 : 7)) {
      const auto r = render_escpos(std::span(bytes).first(n), p);
      ASSERT_EQ(r.image.width, p.dot_width);
      ASSERT_GE(r.image.height, 1);
      truncated += r.truncated;
    }
    EXPECT_GT(truncated, 0);
  }
}

TEST(receipt_render, hostile_sizes_stay_bounded) {
  // A raster header claiming 65535 x 65535 with no data, and a feed storm.
  std::vector<std::uint8_t> in = {0x1D, 'v', '0', 0, 0xFF, 0xFF, 0xFF, 0xFF};
  auto r = render_escpos(in, printer_profile::mm80());
  EXPECT_TRUE(r.truncated);
  std::vector<std::uint8_t> feeds;
  for (int i = 0; i < 1000; ++i) feeds.insert(feeds.end(), {0x1B, 'd', 255});
  r = render_escpos(feeds, printer_profile::mm80(), {5000, 10});
  EXPECT_LE(r.image.height, 5000);
  EXPECT_FALSE(r.warnings.empty());
}

TEST(receipt_render, png_is_written_at_the_dot_width) {
  const auto r = render_escpos(layout_receipt(sample_receipt(), printer_profile::mm58()), printer_profile::mm58());
  const auto png = encode_png(r.image);
  ASSERT_GT(png.size(), 33u);
  EXPECT_EQ(std::string(png.begin() + 1, png.begin() + 4), "PNG");
  // IHDR width/height big-endian at offset 16.
  const auto be32 = [&](std::size_t o) { return (png[o] << 24) | (png[o + 1] << 16) | (png[o + 2] << 8) | png[o + 3]; };
  EXPECT_EQ(be32(16), 384);
  EXPECT_EQ(be32(20), r.image.height);
  EXPECT_EQ(png[24], 1);  // bit depth
  EXPECT_EQ(write_png(mono_bitmap{}, "/tmp/never.png"), errc::invalid_argument);
  EXPECT_EQ(write_png(r.image, "/nonexistent-dir/x.png"), std::errc::no_such_file_or_directory);
}

TEST(receipt_render, native_qr_uses_the_requested_error_correction_level) {
  const std::pair<qr_ecc, const char*> levels[] = {{qr_ecc::L, "L"}, {qr_ecc::M, "M"}, {qr_ecc::Q, "Q"}, {qr_ecc::H, "H"}};
  for (const auto& [ecc, name] : levels) {
    encoder e;
    ASSERT_FALSE(e.qr("order 42", {4, ecc}));
    const auto found = decode(render(e).image, ZXing::BarcodeFormat::QRCode);
    ASSERT_EQ(found.size(), 1u) << name;
    EXPECT_EQ(found[0].ecLevel(), name);
    EXPECT_EQ(found[0].text(), "order 42");
  }
}

TEST(receipt_render, long_qr_urls_shrink_to_fit_58mm_and_still_decode) {
  auto doc = sample_receipt();
  doc.qr_url = "https://shop.kioskhub.example/feedback?order=7f9c2b1e-4d3a-4c8b-9e21-5a6f0d1c2b3a&store=paris-gare-de-l-est"
               "&lang=fr&utm_source=receipt&utm_medium=print&utm_campaign=autumn-2026&sig=0123456789abcdef0123456789abcdef";
  for (const auto& p : {printer_profile::mm58(), printer_profile::mm58().without_native_qr()}) {
    const auto r = render_escpos(layout_receipt(doc, p), p);
    EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
    EXPECT_TRUE(decodes_to(r.image, ZXing::BarcodeFormat::QRCode, doc.qr_url)) << p.native_qr;
  }
}
