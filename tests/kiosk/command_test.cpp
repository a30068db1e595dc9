#include "kh/kiosk/core/command.hpp"

#include <gtest/gtest.h>

namespace k = kh::kiosk;
namespace cmds = kh::kiosk::commands;

namespace {
k::command ok(std::string_view line) {
  auto r = k::parse_command(line);
  if (auto* e = std::get_if<k::command_error>(&r)) {
    ADD_FAILURE() << "'" << line << "' failed: " << e->why.message;
    return cmds::quit{};
  }
  return std::get<k::command>(r);
}
k::command_error bad(std::string_view line) {
  auto r = k::parse_command(line);
  if (auto* e = std::get_if<k::command_error>(&r)) return *e;
  ADD_FAILURE() << "'" << line << "' parsed but should not";
  return {};
}
}  // namespace

TEST(command_parsing, simple_words_parse_with_surrounding_blanks) {
  EXPECT_TRUE(std::holds_alternative<cmds::catalog>(ok("catalog")));
  EXPECT_TRUE(std::holds_alternative<cmds::status>(ok("  status\r")));
  EXPECT_TRUE(std::holds_alternative<cmds::wait>(ok("\twait ")));
  EXPECT_TRUE(std::holds_alternative<cmds::quit>(ok("quit")));
  EXPECT_STREQ(k::command_name(ok("status")), "status");
}

TEST(command_parsing, order_with_several_items_type_and_method) {
  auto c = ok("order ESP:2,LAT:1 takeaway cash");
  ASSERT_TRUE(std::holds_alternative<cmds::order>(c));
  const auto& o = std::get<cmds::order>(c);
  ASSERT_EQ(o.items.size(), 2u);
  EXPECT_EQ(o.items[0], (cmds::order_item{"ESP", 2}));
  EXPECT_EQ(o.items[1], (cmds::order_item{"LAT", 1}));
  EXPECT_EQ(o.type, kh::protocol::order_type::takeaway);
  EXPECT_EQ(o.payment, kh::protocol::payment_method::cash);

  const auto dc = ok("order  X-1:99   delivery   wallet");
  const auto& d = std::get<cmds::order>(dc);
  EXPECT_EQ(d.items.at(0), (cmds::order_item{"X-1", 99}));
  EXPECT_EQ(d.type, kh::protocol::order_type::delivery);
  EXPECT_EQ(d.payment, kh::protocol::payment_method::wallet);
}

TEST(command_parsing, unknown_words_and_extra_arguments_are_bad_commands) {
  auto e = bad("hello");
  EXPECT_EQ(e.why.code, k::errc::bad_command);
  EXPECT_EQ(e.cmd, "");
  EXPECT_NE(e.why.message.find("hello"), std::string::npos);
  EXPECT_EQ(bad("status now").cmd, "status");
  EXPECT_EQ(bad("CATALOG").why.code, k::errc::bad_command);  // words are case-sensitive
  EXPECT_EQ(bad("").why.code, k::errc::bad_command);
}

TEST(command_parsing, malformed_orders_are_rejected_with_the_reason) {
  for (const char* line :
       {"order", "order ESP:1", "order ESP:1 takeaway", "order ESP:1 takeaway cash extra",
        "order ESP takeaway cash", "order :1 takeaway cash", "order ESP: takeaway cash",
        "order ESP:1,,LAT:1 takeaway cash", "order ESP:1, takeaway cash",
        "order ESP:x takeaway cash", "order ESP:1.5 takeaway cash", "order ESP:- takeaway cash",
        "order ESP:1 dine_in cash", "order ESP:1 takeaway bitcoin"}) {
    auto e = bad(line);
    EXPECT_EQ(e.why.code, k::errc::bad_command) << line;
    EXPECT_EQ(e.cmd, "order") << line;
  }
}

TEST(command_parsing, quantities_follow_the_protocol_limits) {
  EXPECT_EQ(bad("order ESP:0 takeaway cash").why.code, k::errc::invalid_quantity);
  EXPECT_EQ(bad("order ESP:-1 takeaway cash").why.code, k::errc::invalid_quantity);
  EXPECT_EQ(bad("order ESP:100 takeaway cash").why.code, k::errc::invalid_quantity);
  EXPECT_EQ(bad("order ESP:99999999999999999999999 takeaway cash").why.code,
            k::errc::invalid_quantity);
  EXPECT_EQ(std::get<cmds::order>(ok("order ESP:+3 takeaway cash")).items.at(0).qty, 3);
}

TEST(command_parsing, more_than_one_hundred_items_is_too_many_lines) {
  std::string items;
  for (int i = 0; i < 100; ++i)
    items += (i ? "," : "") + std::string("S") + std::to_string(i) + ":1";
  EXPECT_EQ(std::get<cmds::order>(ok("order " + items + " pickup card_present")).items.size(),
            100u);
  EXPECT_EQ(bad("order " + items + ",S100:1 pickup card_present").why.code,
            k::errc::too_many_lines);
}

TEST(command_parsing, over_long_lines_are_refused_without_parsing) {
  std::string line = "order " + std::string(k::max_command_line, 'A') + ":1 takeaway cash";
  EXPECT_EQ(bad(line).why.code, k::errc::bad_command);
}
