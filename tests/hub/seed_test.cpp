#include "kh/hub/catalog/seed.hpp"

#include <gtest/gtest.h>

#include "kh/hub/catalog/catalog_service.hpp"
#include "test_support.hpp"

namespace kh::hub {
namespace {

TEST(seed_demo, prints_the_business_and_devices_in_the_documented_shape) {
  test::temp_dir dir;
  auto s = open_sqlite_store(database_path(dir.str()));
  const auto j = seed_demo(*s);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 2u);
  const auto& b = j.at("business");
  EXPECT_EQ(b.size(), 3u);
  EXPECT_TRUE(protocol::is_slug_id(b.at("id").get<std::string>()));
  EXPECT_EQ(b.at("slug"), "demo-cafe");
  EXPECT_EQ(b.at("name"), "Demo Café");
  const auto& devices = j.at("devices");
  ASSERT_EQ(devices.size(), 3u);
  std::map<std::string, std::string> modes;
  for (const auto& d : devices) {
    EXPECT_EQ(d.size(), 3u);
    EXPECT_FALSE(d.at("name").get<std::string>().empty());
    modes[d.at("id").get<std::string>()] = d.at("mode").get<std::string>();
  }
  EXPECT_EQ(modes, (std::map<std::string, std::string>{{"board-1", "board"}, {"counter-1", "counter"}, {"kiosk-1", "shop"}}));
}

TEST(seed_demo, running_twice_reports_the_same_demo_without_duplicates) {
  test::temp_dir dir;
  nlohmann::json first;
  {
    auto s = open_sqlite_store(database_path(dir.str()));
    first = seed_demo(*s);
  }
  auto s = open_sqlite_store(database_path(dir.str()));
  EXPECT_EQ(seed_demo(*s), first);
  EXPECT_EQ(s->businesses().all().size(), 1u);
  EXPECT_EQ(s->catalog().products(first["business"]["id"]).size(), 12u);
}

TEST(seed_demo, the_cafe_has_what_the_demo_needs) {
  test::temp_dir dir;
  auto s = open_sqlite_store(database_path(dir.str()));
  const std::string id = seed_demo(*s)["business"]["id"];
  const auto cat = load_catalog(*s, id);
  ASSERT_TRUE(cat.has_value());
  EXPECT_EQ(cat->categories.size(), 3u);
  ASSERT_EQ(cat->products.size(), 12u);
  int stock5 = 0;
  int unavailable = 0;
  for (const auto& p : cat->products) {
    EXPECT_GT(p.price.amount, 0);
    EXPECT_TRUE(p.stock.has_value());
    stock5 += p.stock == 5 ? 1 : 0;
    unavailable += p.available ? 0 : 1;
  }
  EXPECT_EQ(stock5, 1);
  EXPECT_EQ(unavailable, 1);
  // No product has an availability window: the integration tests and the demo's smoke order pick
  // demo products by stock, and a window would make them depend on the hour they run at.
  for (const auto& p : cat->products) EXPECT_TRUE(p.availability.empty()) << p.id;
  const auto b = s->businesses().find(id);
  EXPECT_TRUE(b->always_open);
  EXPECT_EQ(b->tax_rate_bp, 1000);
  // And a kiosk can order from it.
  order_service svc(*s);
  EXPECT_TRUE(svc.place("kiosk-1", test::make_order({{"croissant", 2}})).accepted);
}

}  // namespace
}  // namespace kh::hub
