// Layout: word wrap (UTF-8 aware), right-aligned amounts, what each document prints.
#include <gtest/gtest.h>

#include <algorithm>

#include "kh/hardware/printer/codepage.hpp"
#include "kh/hardware/printer/layout.hpp"

using namespace kh::hardware::printer;

namespace {
std::string as_string(const std::vector<std::uint8_t>& v) { return {v.begin(), v.end()}; }
bool contains(const std::vector<std::uint8_t>& hay, std::string_view needle) {
  return as_string(hay).find(needle) != std::string::npos;
}
}  // namespace

TEST(receipt_layout, wraps_long_names_at_word_boundaries) {
  const auto lines = wrap_text("Smoked salmon and cream cheese bagel with capers", 20);
  ASSERT_EQ(lines, (std::vector<std::string>{"Smoked salmon and", "cream cheese bagel", "with capers"}));
}

TEST(receipt_layout, wraps_at_32_and_48_columns_without_exceeding_them) {
  const std::string text =
      "Grande caramel macchiato with oat milk, an extra shot, vanilla syrup and whipped cream on top "
      "(limited autumn edition)";
  for (int cols : {32, 48}) {
    const auto lines = wrap_text(text, cols);
    std::string joined;
    for (const auto& l : lines) {
      EXPECT_LE(utf8_columns(l), static_cast<std::size_t>(cols)) << l;
      EXPECT_FALSE(l.starts_with(' ') || l.ends_with(' ')) << l;
      joined += (joined.empty() ? "" : " ") + l;
    }
    EXPECT_EQ(joined, text);  // nothing lost, nothing added
  }
  EXPECT_EQ(wrap_text(text, 32).size(), 4u);
  EXPECT_EQ(wrap_text(text, 48).size(), 3u);
}

TEST(receipt_layout, wrapping_counts_characters_not_bytes) {
  // 10 two-byte characters fit 10 columns exactly.
  const auto lines = wrap_text("éééééééééé ààà", 10);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "éééééééééé");
  EXPECT_EQ(lines[1], "ààà");
}

TEST(receipt_layout, overlong_words_are_split_and_empty_input_is_one_empty_line) {
  EXPECT_EQ(wrap_text("abcdefghij", 4), (std::vector<std::string>{"abcd", "efgh", "ij"}));
  EXPECT_EQ(wrap_text("", 10), (std::vector<std::string>{""}));
  EXPECT_EQ(wrap_text("   ", 10), (std::vector<std::string>{""}));
  EXPECT_EQ(wrap_text("ab", 0), (std::vector<std::string>{"a", "b"}));
  // Never cuts a multi-byte character in two.
  for (const auto& l : wrap_text("ééééé", 2)) EXPECT_EQ(transcode_utf8(l, code_page::cp858).find('?'), std::string::npos);
}

TEST(receipt_layout, amounts_are_right_aligned_to_the_column_width) {
  for (int cols : {32, 48}) {
    const auto l = two_column("Subtotal", "€ 33.00", cols);
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(utf8_columns(l[0]), static_cast<std::size_t>(cols));
    EXPECT_TRUE(l[0].ends_with("€ 33.00"));
    EXPECT_TRUE(l[0].starts_with("Subtotal "));
  }
  const auto wrapped = two_column("A very long label that will not fit next to the amount", "€ 1,234.50", 32);
  ASSERT_GT(wrapped.size(), 1u);
  EXPECT_TRUE(wrapped.back().ends_with("€ 1,234.50"));
  EXPECT_EQ(utf8_columns(wrapped.back()), 32u);
  for (const auto& l : wrapped) EXPECT_LE(utf8_columns(l), 32u);
}

TEST(receipt_layout, receipt_prints_every_field_in_the_code_page) {
  const auto doc = sample_receipt();
  const auto out = layout_receipt(doc, printer_profile::mm80());
  ASSERT_GE(out.size(), 5u);
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.begin() + 5), (std::vector<std::uint8_t>{0x1B, '@', 0x1B, 't', 19}));
  EXPECT_TRUE(contains(out, transcode_utf8("Café Kioskhub", code_page::cp858)));
  EXPECT_TRUE(contains(out, "A-042"));
  EXPECT_TRUE(contains(out, "Take away"));
  EXPECT_TRUE(contains(out, transcode_utf8("€ 29.70", code_page::cp858)));
  EXPECT_TRUE(contains(out, "Paid by"));
  EXPECT_TRUE(contains(out, "Ready around 12:45"));
  EXPECT_TRUE(contains(out, "+ oat milk"));
  EXPECT_TRUE(contains(out, doc.qr_url));                          // native QR stores the URL
  EXPECT_TRUE(contains(out, std::string("\x1D" "V\x42", 3)));      // partial cut with feed
  EXPECT_FALSE(contains(out, std::string("\x1B" "p", 2)));         // no drawer pulse by default
  const auto with_drawer = layout_receipt(doc, printer_profile::mm80(), {code_page::cp858, false, true});
  EXPECT_TRUE(contains(with_drawer, std::string("\x1B" "p\x00", 3)));
  EXPECT_TRUE(contains(with_drawer, std::string("\x1D" "V\x41", 3)));
}

TEST(receipt_layout, raster_profile_sends_qr_as_image_not_gs_k) {
  const auto doc = sample_receipt();
  const auto out = layout_receipt(doc, printer_profile::mm58().without_native_qr());
  EXPECT_FALSE(contains(out, std::string("\x1D(k", 3)));
  EXPECT_TRUE(contains(out, std::string("\x1Dv0", 3)));
  EXPECT_FALSE(contains(out, doc.qr_url));
}

TEST(receipt_layout, item_lines_fit_32_columns_on_58mm) {
  receipt_doc d;
  d.lines = {{12, "Extraordinarily long product name that keeps going and going", {"a note that is also quite long indeed"}, "€ 123.45"}};
  const auto out = layout_receipt(d, printer_profile::mm58());
  // Split the byte stream on LF and check the text runs between commands.
  std::string s = as_string(out);
  std::size_t start = 0;
  int text_lines = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\n') continue;
    std::string line = s.substr(start, i - start);
    // strip leading commands (ESC x n / GS x n are 3 bytes in this layout)
    while (!line.empty() && (line[0] == 0x1B || line[0] == 0x1D)) line.erase(0, line.size() > 1 && line[1] == '@' ? 2 : 3);
    EXPECT_LE(line.size(), 32u) << line;
    if (line.find("Extraord") != std::string::npos || line.find("123.45") != std::string::npos) ++text_lines;
    start = i + 1;
  }
  EXPECT_GE(text_lines, 1);
  EXPECT_TRUE(s.find(transcode_utf8("€ 123.45", code_page::cp858)) != std::string::npos);
}

TEST(receipt_layout, kitchen_slip_has_no_prices) {
  kitchen_slip_doc d{"A-042", "Eat in", "12:31", {{2, "Cappuccino", {"oat milk"}, "€ 7.80"}}, "Allergy: nuts"};
  const auto out = layout_kitchen_slip(d, printer_profile::mm80());
  EXPECT_TRUE(contains(out, "2 x Cappuccino"));
  EXPECT_TRUE(contains(out, "+ oat milk"));
  EXPECT_TRUE(contains(out, "Allergy: nuts"));
  EXPECT_FALSE(contains(out, "7.80"));
}

// The kiosk prints and the hub previews this one composition: every field lands on the paper.
TEST(receipt_layout, an_orders_customer_receipt_prints_every_field_it_is_given) {
  const receipt_doc d = customer_receipt({.business = "Cafe Nord",
                                          .order_number = "B-017",
                                          .order_type = "Take away",
                                          .date_time = "2026-12-02 09:41",
                                          .lines = {{2, "Cappuccino", {"oat milk"}, "7.00 EUR"}},
                                          .total = "7.00 EUR",
                                          .payment_method = "Cash",
                                          .eta = "Ready around 09:50",
                                          .tracking_url = "http://shop.test/o/abc",
                                          .thanks = "Thank you!",
                                          .order_id = "0b7e3c1a-0000-4000-8000-000000000017"});
  EXPECT_EQ(d.header, (std::vector<std::string>{"Cafe Nord"}));
  EXPECT_EQ(d.qr_url, "http://shop.test/o/abc");
  const auto out = layout_receipt(d, printer_profile::mm80());
  for (const char* text : {"Cafe Nord", "B-017", "Take away", "2026-12-02 09:41", "2 x Cappuccino", "+ oat milk", "7.00 EUR", "Cash",
                           "Ready around 09:50", "Thank you!", "0b7e3c1a-0000-4000-8000-000000000017", "http://shop.test/o/abc"})
    EXPECT_TRUE(contains(out, text)) << text;
}
