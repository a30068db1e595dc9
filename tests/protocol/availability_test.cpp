// Availability windows (breakfast until 11:00): the codec's strict checks, the rule at an instant
// in a real IANA zone across DST changes, the editor text, and the documented example.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "kh/protocol/availability.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/time.hpp"

namespace kp = kh::protocol;
using json = nlohmann::json;

namespace {

constexpr unsigned k_mon_fri = 0x1Fu;
constexpr unsigned k_sun = 1u << 6;

kp::clock::time_point at(const char* rfc3339) {
  auto t = kp::parse_rfc3339(rfc3339);
  EXPECT_TRUE(t) << rfc3339;
  return t.value_or(kp::clock::time_point{});
}

json catalog_with(json availability) {
  json prod{{"id", "croissant"}, {"sku", ""}, {"category_id", "pastry"}, {"name", "Croissant"},
            {"description", ""}, {"price", {{"amount", 220}, {"currency", "EUR"}}}, {"image_url", ""},
            {"available", true}, {"stock", nullptr}, {"availability", std::move(availability)}};
  return json{{"business_id", "cafe"}, {"business_name", "Cafe"}, {"currency", "EUR"}, {"version", 1},
              {"categories", json::array({{{"id", "pastry"}, {"name", "Pastry"}, {"position", 0}}})},
              {"products", json::array({prod})}};
}

void expect_field(const json& availability, const std::string& field) {
  const auto r = kp::decode_catalog(catalog_with(availability));
  ASSERT_FALSE(r.ok()) << availability.dump();
  EXPECT_EQ(r.error().code, kp::code::malformed);
  EXPECT_EQ(r.error().details.value("field", ""), field) << r.error().message;
}

}  // namespace

TEST(availability_codec, round_trips_windows_and_leaves_the_key_out_when_there_are_none) {
  const auto r = kp::decode_catalog(catalog_with(json::parse(
      R"([{"days":["mon","tue","wed","thu","fri"],"from":"07:00","until":"11:00"},
          {"days":["sun"],"from":"08:30","until":"24:00"}])")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const std::vector<kp::availability_window> want = {{k_mon_fri, 420, 660}, {k_sun, 510, 1440}};
  EXPECT_EQ(r->products.at(0).availability, want);
  const json back = kp::to_json(*r);
  EXPECT_EQ(back["products"][0]["availability"][1]["until"], "24:00");
  EXPECT_EQ(kp::decode_catalog(back).value(), *r);

  auto plain = *r;
  plain.products[0].availability.clear();
  EXPECT_FALSE(kp::to_json(plain)["products"][0].contains("availability"));
}

TEST(availability_codec, bad_windows_are_malformed_naming_the_field) {
  const std::string w = "products[0].availability";
  expect_field(json::array(), w);
  expect_field(json::parse(R"([{"days":[],"from":"07:00","until":"11:00"}])"), w + "[0].days");
  expect_field(json::parse(R"([{"days":["monday"],"from":"07:00","until":"11:00"}])"), w + "[0].days");
  expect_field(json::parse(R"([{"days":["mon","mon"],"from":"07:00","until":"11:00"}])"), w + "[0].days");
  expect_field(json::parse(R"([{"from":"07:00","until":"11:00"}])"), w + "[0].days");
  expect_field(json::parse(R"([{"days":["mon"],"from":"7:00","until":"11:00"}])"), w + "[0].from");
  expect_field(json::parse(R"([{"days":["mon"],"from":"24:00","until":"24:00"}])"), w + "[0].from");
  expect_field(json::parse(R"([{"days":["mon"],"from":"07:00","until":"25:00"}])"), w + "[0].until");
  expect_field(json::parse(R"([{"days":["mon"],"from":"11:00","until":"07:00"}])"), w + "[0].until");
  expect_field(json::parse(R"([{"days":["mon"],"from":"11:00","until":"11:00"}])"), w + "[0].until");
  expect_field(json::parse(R"([{"days":["mon"],"from":"07:00"}])"), w + "[0].until");
  expect_field(json::parse(R"(["mon 07:00-11:00"])"), w + "[0]");
}

TEST(availability_rule, no_windows_is_always_available_and_the_edges_are_from_inclusive_until_exclusive) {
  EXPECT_TRUE(kp::available_on({}, 3, 1000));
  const std::vector<kp::availability_window> breakfast = {{k_mon_fri, 420, 660}};
  EXPECT_FALSE(kp::available_on(breakfast, 0, 419));
  EXPECT_TRUE(kp::available_on(breakfast, 0, 420));
  EXPECT_TRUE(kp::available_on(breakfast, 4, 659));
  EXPECT_FALSE(kp::available_on(breakfast, 4, 660));
  EXPECT_FALSE(kp::available_on(breakfast, 5, 500));  // Saturday
  EXPECT_EQ(kp::next_start_on(breakfast, 0, 300), 420);
  EXPECT_EQ(kp::next_start_on(breakfast, 0, 700), std::nullopt);
  EXPECT_EQ(kp::next_start_on(breakfast, 6, 300), std::nullopt);
}

TEST(availability_rule, uses_the_zone_not_utc) {
  const std::vector<kp::availability_window> breakfast = {{k_mon_fri, 420, 660}};
  // Monday 2026-11-23, 10:30 UTC: 10:30 in London (available), 11:30 in Paris (not), 05:30 in
  // New York (not yet: from 07:00).
  const auto t = at("2026-11-23T10:30:00Z");
  EXPECT_TRUE(kp::availability_at(breakfast, "Europe/London", t).available);
  EXPECT_FALSE(kp::availability_at(breakfast, "Europe/Paris", t).available);
  const auto ny = kp::availability_at(breakfast, "America/New_York", t);
  EXPECT_FALSE(ny.available);
  EXPECT_EQ(ny.from_minute, 420);
  // Unknown zone: not available (never at a guessed hour).
  EXPECT_FALSE(kp::availability_at(breakfast, "Mars/Olympus", t).available);
  // The local weekday counts: Friday 23:30 UTC is Saturday 00:30 in Paris.
  const std::vector<kp::availability_window> late = {{k_mon_fri, 0, 1440}};
  EXPECT_TRUE(kp::availability_at(late, "UTC", at("2026-11-27T23:30:00Z")).available);
  EXPECT_FALSE(kp::availability_at(late, "Europe/Paris", at("2026-11-27T23:30:00Z")).available);
}

TEST(availability_rule, dst_change_days_follow_the_wall_clock) {
  // Europe/Paris springs forward on Sunday 2026-03-29 at 01:00 UTC (02:00 → 03:00 local).
  const std::vector<kp::availability_window> sunday_breakfast = {{k_sun, 420, 660}};
  // 05:30 UTC is 07:30 CEST that day (inside), but was 06:30 CET the Sunday before (outside).
  EXPECT_TRUE(kp::availability_at(sunday_breakfast, "Europe/Paris", at("2026-03-29T05:30:00Z")).available);
  EXPECT_FALSE(kp::availability_at(sunday_breakfast, "Europe/Paris", at("2026-03-22T05:30:00Z")).available);
  // The window closes at 11:00 CEST = 09:00 UTC on the change day.
  EXPECT_TRUE(kp::availability_at(sunday_breakfast, "Europe/Paris", at("2026-03-29T08:59:00Z")).available);
  EXPECT_FALSE(kp::availability_at(sunday_breakfast, "Europe/Paris", at("2026-03-29T09:00:00Z")).available);
  // A window in the skipped hour (02:00–03:00) never happens that night.
  const std::vector<kp::availability_window> skipped = {{k_sun, 120, 180}};
  EXPECT_FALSE(kp::availability_at(skipped, "Europe/Paris", at("2026-03-29T00:59:00Z")).available);  // 01:59 CET
  EXPECT_FALSE(kp::availability_at(skipped, "Europe/Paris", at("2026-03-29T01:00:00Z")).available);  // 03:00 CEST
  // Autumn, Sunday 2026-10-25: 02:00–03:00 local happens twice (CEST, then CET); both are inside.
  EXPECT_TRUE(kp::availability_at(skipped, "Europe/Paris", at("2026-10-25T00:30:00Z")).available);  // 02:30 CEST
  EXPECT_TRUE(kp::availability_at(skipped, "Europe/Paris", at("2026-10-25T01:30:00Z")).available);  // 02:30 CET
  EXPECT_FALSE(kp::availability_at(skipped, "Europe/Paris", at("2026-10-25T02:00:00Z")).available);  // 03:00 CET
}

TEST(availability_text, the_editor_text_parses_formats_and_names_the_field_when_bad) {
  const auto r = kp::parse_windows("mon-fri 07:00-11:00; sun 08:30-24:00\nsat,sun 12:00-14:00", "availability");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const std::vector<kp::availability_window> want = {{k_mon_fri, 420, 660}, {k_sun, 510, 1440}, {0x60u, 720, 840}};
  EXPECT_EQ(*r, want);
  EXPECT_EQ(kp::format_windows(*r), "mon,tue,wed,thu,fri 07:00-11:00; sun 08:30-24:00; sat,sun 12:00-14:00");
  EXPECT_EQ(kp::parse_windows(kp::format_windows(*r), "availability").value(), want);
  EXPECT_EQ(kp::parse_windows("daily 06:00-10:00", "a").value().at(0).days, 127u);
  EXPECT_TRUE(kp::parse_windows("  ", "a").value().empty());
  for (const char* bad : {"07:00-11:00", "mon 11:00-07:00", "mon 7-11", "someday 07:00-11:00", "fri-mon 07:00-11:00",
                          "mon 07:00-24:30", "mon 10:00-10:00"}) {
    const auto b = kp::parse_windows(bad, "availability");
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.error().details.value("field", ""), "availability") << bad;
  }
}

TEST(availability_doc, the_documented_example_holds) {
  std::ifstream in(std::string(KH_SOURCE_DIR) + "/docs/protocol.md");
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string doc = buf.str();
  // The croissant of the catalog example, as the doc shows it.
  const std::string window = R"({"days": ["mon", "tue", "wed", "thu", "fri"], "from": "07:00", "until": "11:00"})";
  ASSERT_NE(doc.find(window), std::string::npos) << "docs/protocol.md lost the croissant's window";
  const auto r = kp::decode_catalog(catalog_with(json::array({json::parse(window)})));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& p = r->products.at(0);
  for (const char* t : {"2026-11-23T10:59:00Z", "2026-11-23T11:00:00Z", "2026-11-23T06:30:00Z", "2026-06-01T06:30:00Z"}) {
    ASSERT_NE(doc.find(std::string("`") + t + "`"), std::string::npos) << t;
  }
  EXPECT_TRUE(kp::available_at(p, "Europe/Lisbon", at("2026-11-23T10:59:00Z")));
  EXPECT_FALSE(kp::available_at(p, "Europe/Lisbon", at("2026-11-23T11:00:00Z")));
  const auto early = kp::availability_at(p.availability, "Europe/Lisbon", at("2026-11-23T06:30:00Z"));
  EXPECT_FALSE(early.available);
  EXPECT_EQ(early.from_minute, 420);
  EXPECT_TRUE(kp::available_at(p, "Europe/Lisbon", at("2026-06-01T06:30:00Z")));
}

TEST(availability_code, not_available_now_is_a_final_wire_code) {
  EXPECT_STREQ(kp::to_string(kp::code::not_available_now), "not_available_now");
  kp::code c{};
  ASSERT_TRUE(kp::from_string("not_available_now", c));
  EXPECT_EQ(c, kp::code::not_available_now);
  EXPECT_FALSE(kp::is_retryable(kp::code::not_available_now));
}
