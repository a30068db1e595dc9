#include <gtest/gtest.h>

#include "kh/protocol/topics.hpp"

namespace kt = kh::protocol::topics;

TEST(topics, builders_follow_the_fixed_scheme) {
  EXPECT_EQ(kt::device_up("kiosk-1", "order.submit"), "kh/v1/d/kiosk-1/up/order.submit");
  EXPECT_EQ(kt::device_down("kiosk-1", "order.accepted"), "kh/v1/d/kiosk-1/down/order.accepted");
  EXPECT_EQ(kt::presence("kiosk-1"), "kh/v1/d/kiosk-1/presence");
  EXPECT_EQ(kt::business_catalog("cafe"), "kh/v1/b/cafe/catalog");
  EXPECT_EQ(kt::business_orders("cafe"), "kh/v1/b/cafe/orders");
  EXPECT_EQ(kt::device_down_filter("kiosk-1"), "kh/v1/d/kiosk-1/down/+");
}

TEST(topics, parse_recognises_every_kind) {
  auto p = kt::parse("kh/v1/d/kiosk-1/up/order.submit");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, kt::kind::device_up);
  EXPECT_EQ(p->id, "kiosk-1");
  EXPECT_EQ(p->type, "order.submit");

  p = kt::parse("kh/v1/d/kiosk-1/down/error");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, kt::kind::device_down);
  EXPECT_EQ(p->type, "error");

  p = kt::parse("kh/v1/d/board_2/presence");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, kt::kind::presence);
  EXPECT_EQ(p->id, "board_2");
  EXPECT_TRUE(p->type.empty());

  p = kt::parse("kh/v1/b/cafe/catalog");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, kt::kind::business_catalog);
  EXPECT_EQ(p->id, "cafe");

  p = kt::parse("kh/v1/b/cafe/orders");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, kt::kind::business_orders);
}

TEST(topics, parse_of_a_built_topic_gives_back_its_parts) {
  const auto p = kt::parse(kt::device_up("k-9", "hello"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, kt::kind::device_up);
  EXPECT_EQ(p->id, "k-9");
  EXPECT_EQ(p->type, "hello");
}

TEST(topics, parse_rejects_anything_outside_the_scheme) {
  for (const char* bad : {
           "",
           "kh",
           "kh/v1",
           "kh/v2/d/kiosk-1/up/hello",        // wrong version
           "xx/v1/d/kiosk-1/up/hello",        // wrong prefix
           "/kh/v1/d/kiosk-1/up/hello",       // leading slash
           "kh/v1/x/kiosk-1/up/hello",        // unknown branch
           "kh/v1/d/kiosk-1/up",              // missing type
           "kh/v1/d/kiosk-1/up/",             // empty type
           "kh/v1/d/kiosk-1/up/hello/extra",  // extra level
           "kh/v1/d/kiosk-1/sideways/hello",  // unknown direction
           "kh/v1/d/kiosk-1/presence/x",      // extra level
           "kh/v1/d/kiosk-1",                 // missing level
           "kh/v1/d//up/hello",               // empty id
           "kh/v1/d/Kiosk-1/up/hello",        // id not a slug
           "kh/v1/d/+/up/hello",              // wildcard id
           "kh/v1/d/kiosk-1/up/#",            // wildcard type
           "kh/v1/d/kiosk-1/up/+",            // wildcard type
           "kh/v1/d/kiosk-1/up/Hello",        // type not a type word
           "kh/v1/d/kiosk-1/catalog",         // business level under a device
           "kh/v1/b/cafe/presence",           // device level under a business
           "kh/v1/b/cafe/up/hello",           // up under a business
           "kh/v1/b/cafe/catalog/",           // trailing slash
           "kh/v1/b/cafe",                    // missing level
       }) {
    EXPECT_FALSE(kt::parse(bad)) << bad;
  }
}

TEST(topics, parse_rejects_overlong_input_without_scanning_it_all) {
  std::string huge = "kh/v1/d/kiosk-1/up/";
  huge.append(100000, 'a');
  EXPECT_FALSE(kt::parse(huge));
}
