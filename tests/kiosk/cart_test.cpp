#include "kh/kiosk/core/cart.hpp"

#include <gtest/gtest.h>

#include "kh/protocol/ids.hpp"
#include "test_support.hpp"

namespace k = kh::kiosk;
using kh::kiosk::test::make_catalog;

TEST(catalog_view, resolves_skus_and_ids_exactly) {
  k::catalog_view v(make_catalog(3));
  EXPECT_EQ(v.version(), 3);
  ASSERT_NE(v.find_sku("LAT"), nullptr);
  EXPECT_EQ(v.find_sku("LAT")->id, "latte");
  EXPECT_EQ(v.find_sku("lat"), nullptr);
  EXPECT_EQ(v.find_sku(""), nullptr);
  EXPECT_EQ(v.find_sku("NOPE"), nullptr);
  ASSERT_NE(v.find_id("muffin"), nullptr);
  EXPECT_EQ(v.find_id("muffin")->sku, "MUF");
}

TEST(cart, builds_an_order_submit_with_product_ids_from_skus) {
  k::catalog_view v(make_catalog(1));
  k::cart c;
  ASSERT_TRUE(c.add_sku(v, "ESP", 2));
  ASSERT_TRUE(c.add_sku(v, "LAT", 1));
  EXPECT_EQ(c.estimated_total().amount, 2 * 250 + 380);
  const auto id = kh::protocol::new_uuid();
  auto s =
      c.to_submit(id, kh::protocol::order_type::eat_in, kh::protocol::payment_method::card_present);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->order_id, id);
  ASSERT_EQ(s->lines.size(), 2u);
  EXPECT_EQ(s->lines[0].product_id, "espresso");
  EXPECT_EQ(s->lines[0].qty, 2);
  EXPECT_EQ(s->lines[1].product_id, "latte");
  EXPECT_EQ(s->type, kh::protocol::order_type::eat_in);
}

TEST(cart, unknown_sku_is_refused_and_changes_nothing) {
  k::catalog_view v(make_catalog(1));
  k::cart c;
  ASSERT_TRUE(c.add_sku(v, "ESP", 1));
  auto r = c.add_sku(v, "XYZ", 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, k::errc::unknown_sku);
  EXPECT_NE(r.error().message.find("XYZ"), std::string::npos);
  EXPECT_EQ(c.lines().size(), 1u);
}

TEST(cart, same_product_merges_but_never_beyond_99) {
  k::catalog_view v(make_catalog(1));
  k::cart c;
  ASSERT_TRUE(c.add_sku(v, "ESP", 60));
  ASSERT_TRUE(c.add_sku(v, "ESP", 39));
  ASSERT_EQ(c.lines().size(), 1u);
  EXPECT_EQ(c.lines()[0].qty, 99);
  auto r = c.add_sku(v, "ESP", 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, k::errc::invalid_quantity);
  EXPECT_EQ(c.lines()[0].qty, 99);
  EXPECT_EQ(c.add_sku(v, "LAT", 0).error().code, k::errc::invalid_quantity);
}

TEST(cart, at_most_one_hundred_lines_and_empty_cart_cannot_be_submitted) {
  k::cart c;
  EXPECT_EQ(c.to_submit(kh::protocol::new_uuid(), {}, {}).error().code, k::errc::empty_order);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(c.add(
        kh::kiosk::test::make_product("p" + std::to_string(i), "S" + std::to_string(i), 100), 1));
  }
  auto r = c.add(kh::kiosk::test::make_product("p100", "S100", 100), 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, k::errc::too_many_lines);
  EXPECT_EQ(c.lines().size(), 100u);
}

TEST(cart, set_qty_zero_removes_a_line) {
  k::catalog_view v(make_catalog(1));
  k::cart c;
  ASSERT_TRUE(c.add_sku(v, "ESP", 1));
  ASSERT_TRUE(c.add_sku(v, "LAT", 1));
  ASSERT_TRUE(c.set_qty(0, 0));
  ASSERT_EQ(c.lines().size(), 1u);
  EXPECT_EQ(c.lines()[0].sku, "LAT");
  EXPECT_EQ(c.set_qty(0, 100).error().code, k::errc::invalid_quantity);
  EXPECT_FALSE(c.set_qty(5, 1));
}
