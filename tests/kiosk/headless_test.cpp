#include "kh/kiosk/headless/headless.hpp"

#include <gtest/gtest.h>

#include "kh/protocol/ids.hpp"
#include "test_support.hpp"

namespace k = kh::kiosk;
namespace h = kh::kiosk::headless;
namespace p = kh::protocol;
using json = nlohmann::ordered_json;

TEST(headless_output, catalog_line_lists_products_with_price_and_stock) {
  k::catalog_view v(kh::kiosk::test::make_catalog(7));
  const auto j = h::catalog_reply(&v);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["cmd"], "catalog");
  EXPECT_EQ(j["version"], 7);
  EXPECT_EQ(j["business_id"], "cafe");
  ASSERT_EQ(j["products"].size(), 3u);
  EXPECT_EQ(j["products"][0], (json{{"id", "espresso"},
                                    {"sku", "ESP"},
                                    {"name", "Product espresso"},
                                    {"price", {{"amount", 250}, {"currency", "EUR"}}},
                                    {"available", true},
                                    {"stock", nullptr}}));
  EXPECT_EQ(j["products"][1]["stock"], 5);
  EXPECT_EQ(j["products"][2]["available"], false);
}

TEST(headless_output, no_catalog_is_an_error_line) {
  const auto j = h::catalog_reply(nullptr);
  EXPECT_EQ(
      j,
      (json{
          {"ok", false}, {"cmd", "catalog"}, {"error", "no_catalog"}, {"message", j["message"]}}));
  EXPECT_TRUE(j["message"].is_string());
}

TEST(headless_output, error_line_leaves_out_cmd_for_unknown_commands) {
  auto j = h::error_reply("", k::fail(k::errc::bad_command, "unknown command 'x'"));
  EXPECT_EQ(j, (json{{"ok", false}, {"error", "bad_command"}, {"message", "unknown command 'x'"}}));
  j = h::error_reply("order", k::fail(k::errc::unknown_sku, "no SKU"));
  EXPECT_EQ(j["cmd"], "order");
  EXPECT_EQ(j["error"], "unknown_sku");
}

TEST(headless_output, order_lines_for_queued_accepted_rejected_and_failed) {
  const auto id = p::new_uuid();
  EXPECT_EQ(h::queued_reply(id),
            (json{{"ok", true}, {"cmd", "order"}, {"event", "queued"}, {"order_id", id}}));

  p::order_accepted a;
  a.order_id = id;
  a.number = "A-042";
  a.subtotal = {1000, "EUR"};
  a.tax = {190, "EUR"};
  a.discount = {100, "EUR"};
  a.total = {1090, "EUR"};
  a.eta = "2026-11-22T10:15:00Z";
  k::events::order_answer ev{k::events::order_answer::kind::accepted, id, a, std::nullopt};
  auto line = h::event_line(ev);
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, (json{{"ok", true},
                         {"cmd", "order"},
                         {"event", "accepted"},
                         {"order_id", id},
                         {"number", "A-042"},
                         {"state", "pending_payment"},
                         {"subtotal", {{"amount", 1000}, {"currency", "EUR"}}},
                         {"tax", {{"amount", 190}, {"currency", "EUR"}}},
                         {"discount", {{"amount", 100}, {"currency", "EUR"}}},
                         {"total", {{"amount", 1090}, {"currency", "EUR"}}},
                         {"eta", "2026-11-22T10:15:00Z"}}));

  p::rejection r;
  r.order_id = id;
  r.code = p::code::out_of_stock;
  r.message = "Latte: 0 left";
  line = h::event_line(
      k::events::order_answer{k::events::order_answer::kind::rejected, id, std::nullopt, r});
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, (json{{"ok", false},
                         {"cmd", "order"},
                         {"event", "rejected"},
                         {"order_id", id},
                         {"code", "out_of_stock"},
                         {"message", "Latte: 0 left"}}));
  line = h::event_line(
      k::events::order_answer{k::events::order_answer::kind::failed, id, std::nullopt, r});
  EXPECT_EQ((*line)["event"], "failed");
}

TEST(headless_output, event_lines_for_link_changes_and_catalog) {
  EXPECT_EQ(h::to_line(*h::event_line(k::events::connection{true})), R"({"event":"connected"})");
  EXPECT_EQ(h::to_line(*h::event_line(k::events::connection{false})),
            R"({"event":"disconnected"})");
  EXPECT_EQ(h::to_line(*h::event_line(k::events::catalog{"cafe", 12})),
            R"({"event":"catalog","version":12})");
  EXPECT_FALSE(h::event_line(k::events::business{"cafe"}));
  EXPECT_FALSE(h::event_line(k::events::order_status{}));
}

TEST(headless_output, status_line_uses_null_for_unknowns) {
  k::link_status s;
  s.connected = false;
  s.device_id = "kiosk-1";
  s.outbox_pending = 2;
  k::outbox_entry e;
  e.order_id = "o1";
  e.state = "queued";
  s.orders.push_back(e);
  e.order_id = "o2";
  e.state = "ready";
  e.number = "A-001";
  s.orders.push_back(e);
  EXPECT_EQ(h::status_reply(s),
            (json{{"ok", true},
                  {"cmd", "status"},
                  {"connected", false},
                  {"device", "kiosk-1"},
                  {"business_id", nullptr},
                  {"catalog_version", nullptr},
                  {"outbox_pending", 2},
                  {"rejected_unsigned", 0},
                  {"orders",
                   {{{"order_id", "o1"}, {"state", "queued"}, {"number", nullptr}},
                    {{"order_id", "o2"}, {"state", "ready"}, {"number", "A-001"}}}}}));
  s.business_id = "cafe";
  s.catalog_version = 3;
  EXPECT_EQ(h::status_reply(s)["business_id"], "cafe");
  EXPECT_EQ(h::status_reply(s)["catalog_version"], 3);
  EXPECT_EQ(h::to_line(h::wait_reply(0)), R"({"ok":true,"cmd":"wait","outbox_pending":0})");
}

TEST(headless_output, lines_are_single_line_even_with_invalid_utf8) {
  auto j =
      h::error_reply("", k::fail(k::errc::bad_command, std::string("bad \xff\xfe word\nnext")));
  const auto s = h::to_line(j);
  EXPECT_EQ(s.find('\n'), std::string::npos);
  EXPECT_TRUE(json::parse(s).is_object());
}
