#include "kh/hub/catalog/catalog_service.hpp"

#include <gtest/gtest.h>

#include "kh/protocol/codec.hpp"
#include "test_support.hpp"

namespace kh::hub {
namespace {

using test::biz;

TEST(catalog, availability_follows_active_flag_and_stock) {
  test::temp_dir dir;
  auto s = open_sqlite_store(database_path(dir.str()));
  test::seed_small(*s);
  order_service svc(*s);
  ASSERT_TRUE(svc.place("kiosk-1", test::make_order({{"cake", 1}})).accepted);  // last cake
  const auto c = load_catalog(*s, biz);
  ASSERT_TRUE(c.has_value());
  std::map<std::string, bool> available;
  for (const auto& p : c->products) available[p.id] = p.available;
  EXPECT_TRUE(available["coffee"]);  // untracked
  EXPECT_TRUE(available["bun"]);
  EXPECT_FALSE(available["cake"]);   // sold out
  EXPECT_FALSE(available["old"]);    // inactive
  // What the hub publishes passes the devices' strict decoder.
  EXPECT_TRUE(protocol::decode_catalog(protocol::to_json(*c)).ok());
}

TEST(catalog, every_publish_gets_a_higher_version) {
  test::temp_dir dir;
  auto s = open_sqlite_store(database_path(dir.str()));
  test::seed_small(*s);
  const auto v0 = load_catalog(*s, biz)->version;
  const auto a = next_catalog(*s, biz);
  const auto b = next_catalog(*s, biz);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->version, v0 + 1);
  EXPECT_EQ(b->version, v0 + 2);
  EXPECT_FALSE(next_catalog(*s, "b-unknown").has_value());
}

}  // namespace
}  // namespace kh::hub
