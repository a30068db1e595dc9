#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "kh/protocol/cart_code.hpp"

namespace kp = kh::protocol;

namespace {

std::vector<kp::cart_code_line> decode_ok(const std::string& text) {
  auto r = kp::decode_cart_code(text);
  EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().message);
  return r ? *r : std::vector<kp::cart_code_line>{};
}

}  // namespace

TEST(cart_code, the_documented_example_decodes) {
  std::ifstream in(std::string(KH_SOURCE_DIR) + "/docs/protocol.md");
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string example = "khc:2:latte*1/size=large/extras=oat+shot,croissant*2";
  ASSERT_NE(doc.str().find("```text\n" + example + "\n```"), std::string::npos) << "docs/protocol.md lost the example";
  const std::vector<kp::cart_code_line> want = {
      {"latte", 1, {{"size", "large"}, {"extras", "oat"}, {"extras", "shot"}}},
      {"croissant", 2, {}},
  };
  EXPECT_EQ(decode_ok(example), want);
  auto back = kp::encode_cart_code(want);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, example);
}

TEST(cart_code, version_1_still_decodes_and_is_written_for_carts_without_options) {
  const std::vector<kp::cart_code_line> want = {{"p-croissant", 2, {}}, {"p-painchoc", 1, {}}};
  EXPECT_EQ(decode_ok("khc:1:p-croissant*2,p-painchoc*1"), want);
  auto enc = kp::encode_cart_code(want);
  ASSERT_TRUE(enc);
  EXPECT_EQ(*enc, "khc:1:p-croissant*2,p-painchoc*1");
  // A version 2 code without options is fine too.
  EXPECT_EQ(decode_ok("khc:2:p-croissant*2,p-painchoc*1"), want);
}

TEST(cart_code, options_of_one_group_are_written_together_in_order) {
  const std::vector<kp::cart_code_line> lines = {
      {"latte", 3, {{"extras", "shot"}, {"size", "m"}, {"extras", "oat"}}}};
  auto enc = kp::encode_cart_code(lines);
  ASSERT_TRUE(enc);
  EXPECT_EQ(*enc, "khc:2:latte*3/extras=shot+oat/size=m");
  const std::vector<kp::cart_code_line> grouped = {{"latte", 3, {{"extras", "shot"}, {"extras", "oat"}, {"size", "m"}}}};
  EXPECT_EQ(decode_ok(*enc), grouped);
}

TEST(cart_code, bad_texts_are_refused_with_a_message) {
  for (const std::string& t : std::vector<std::string>{"", "khc:", "khc:1:", "khc:3:latte*1", "khc:1:latte", "khc:1:latte*0", "khc:1:latte*100",
                              "khc:1:latte*01", "khc:1:latte*1x", "khc:1:latte*1,", "khc:1:,latte*1", "khc:1:la te*1",
                              "khc:1:latte*1/size=l", "khc:2:latte*1/size", "khc:2:latte*1/size=", "khc:2:latte*1/=l",
                              "khc:2:latte*1/size=l+", "khc:2:latte*1/size=l//x=y", "https://example.com/khc:1:a*1",
                              "khc:1:" + std::string(65, 'a') + "*1"}) {
    auto r = kp::decode_cart_code(t);
    EXPECT_FALSE(r) << t;
    if (!r) {
      EXPECT_EQ(r.error().code, kp::code::malformed) << t;
      EXPECT_EQ(r.error().message.rfind("cart code: ", 0), 0u) << r.error().message;
    }
  }
  std::string many = "khc:1:";
  for (int i = 0; i < 101; ++i) many += (i ? ",p" : "p") + std::to_string(i) + "*1";
  EXPECT_FALSE(kp::decode_cart_code(many));
  EXPECT_FALSE(kp::decode_cart_code("khc:1:a*1" + std::string(2000, ' ')));
}

TEST(cart_code, encoding_refuses_what_cannot_be_read_back) {
  EXPECT_FALSE(kp::encode_cart_code({}));
  EXPECT_FALSE(kp::encode_cart_code({{"a,b", 1, {}}}));
  EXPECT_FALSE(kp::encode_cart_code({{"a", 0, {}}}));
  EXPECT_FALSE(kp::encode_cart_code({{"a", 100, {}}}));
  EXPECT_FALSE(kp::encode_cart_code({{"a", 1, {{"g", "x+y"}}}}));
  EXPECT_FALSE(kp::encode_cart_code({{"a", 1, {{"g/h", "x"}}}}));
  std::vector<kp::cart_code_line> lots(101, {"a", 1, {}});
  EXPECT_FALSE(kp::encode_cart_code(lots));
  lots.resize(100, {std::string(40, 'p'), 1, {}});
  for (auto& l : lots) l.product_id = std::string(40, 'p');
  EXPECT_FALSE(kp::encode_cart_code(lots));  // 4,200 characters: too long for a QR code at level M
}
