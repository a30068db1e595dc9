// The messages and catalog fields the kiosk shop needs: store profile, option groups, line options,
// order.quote / order.quoted, feedback, device.status, offline numbers, tracking URL.

#include <gtest/gtest.h>

#include <string>

#include "kh/protocol/codec.hpp"

namespace kp = kh::protocol;
using json = nlohmann::json;

namespace {

json profile_json() {
  return json::parse(R"({
    "time_zone": "Europe/Paris",
    "tax": {"mode": "exclusive", "rate_bp": 550},
    "order_types": [
      {"type": "eat_in", "table_numbers": true},
      {"type": "pickup", "slot_minutes": 15, "lead_minutes": 20},
      {"type": "delivery", "fee": {"amount": 300, "currency": "EUR"},
       "minimum": {"amount": 1500, "currency": "EUR"}, "area": "Paris 11e"}
    ],
    "always_open": false,
    "opening_hours": [{"day": "tue", "opens": "07:00", "closes": "24:00"}],
    "languages": ["fr", "en"],
    "banner": "",
    "payment_methods": ["cash"]
  })");
}

json groups_json() {
  return json::parse(R"([
    {"id": "size", "name": "Size", "min": 1, "max": 1, "options": [
      {"id": "s", "name": "Small", "price_delta": {"amount": 0, "currency": "EUR"}, "available": true, "default": true},
      {"id": "l", "name": "Large", "price_delta": {"amount": 60, "currency": "EUR"}, "available": true}]},
    {"id": "extras", "name": "Extras", "min": 0, "max": 2, "options": [
      {"id": "shot", "name": "Extra shot", "price_delta": {"amount": 50, "currency": "EUR"}, "available": true},
      {"id": "syrup", "name": "Vanilla", "price_delta": {"amount": 30, "currency": "EUR"}, "available": false},
      {"id": "cream", "name": "Cream", "price_delta": {"amount": 20, "currency": "EUR"}, "available": true}]}
  ])");
}

template <class T>
void expect_field(const kp::result<T>& r, const std::string& field) {
  ASSERT_FALSE(r.ok()) << "expected a problem at " << field;
  EXPECT_EQ(r.error().code, kp::code::malformed) << r.error().message;
  EXPECT_EQ(r.error().details.value("field", ""), field) << r.error().message;
}

}  // namespace

TEST(store_profile_codec, decodes_every_setting_and_reencodes_the_same_json) {
  const auto r = kp::decode_store_profile(profile_json(), "EUR");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->time_zone, "Europe/Paris");
  EXPECT_EQ(r->tax, kp::tax_mode::exclusive);
  EXPECT_EQ(r->tax_rate_bp, 550);
  ASSERT_EQ(r->order_types.size(), 3u);
  EXPECT_TRUE(r->offer(kp::order_type::eat_in)->table_numbers);
  EXPECT_EQ(r->offer(kp::order_type::pickup)->slot_minutes, 15);
  EXPECT_EQ(r->offer(kp::order_type::delivery)->fee.amount, 300);
  EXPECT_EQ(r->offer(kp::order_type::delivery)->minimum.amount, 1500);
  EXPECT_EQ(r->offer(kp::order_type::takeaway), nullptr);
  ASSERT_EQ(r->opening_hours.size(), 1u);
  EXPECT_EQ(r->opening_hours[0].weekday, 1);
  EXPECT_EQ(r->opening_hours[0].opens_minute, 7 * 60);
  EXPECT_EQ(r->opening_hours[0].closes_minute, 1440);
  EXPECT_TRUE(r->accepts(kp::payment_method::cash));
  EXPECT_FALSE(r->accepts(kp::payment_method::card_present));
  EXPECT_EQ(kp::to_json(*r), profile_json());
}

TEST(store_profile_codec, refuses_bad_settings_naming_the_field) {
  auto with = [](const std::string& ptr, const json& v) {
    json j = profile_json();
    j[json::json_pointer(ptr)] = v;
    return kp::decode_store_profile(j, "EUR");
  };
  expect_field(with("/time_zone", "Europe/../etc/passwd"), "time_zone");
  expect_field(with("/time_zone", ""), "time_zone");
  expect_field(with("/tax/mode", "sometimes"), "tax.mode");
  expect_field(with("/tax/rate_bp", 100001), "tax.rate_bp");
  expect_field(with("/order_types/1/slot_minutes", 2), "order_types[1].slot_minutes");
  expect_field(with("/order_types/1/type", "eat_in"), "order_types[1].type");  // listed twice
  expect_field(with("/order_types/2/fee/amount", -1), "order_types[2].fee.amount");
  expect_field(with("/order_types/2/fee/currency", "USD"), "order_types[2].fee.currency");
  expect_field(with("/order_types/0/table_numbers", "yes"), "order_types[0].table_numbers");
  expect_field(with("/order_types", json::array()), "order_types");
  expect_field(with("/opening_hours/0/day", "monday"), "opening_hours[0].day");
  expect_field(with("/opening_hours/0/opens", "7:00"), "opening_hours[0].opens");
  expect_field(with("/opening_hours/0/closes", "06:59"), "opening_hours[0].closes");
  expect_field(with("/opening_hours/0/closes", "24:01"), "opening_hours[0].closes");
  expect_field(with("/languages/1", "EN"), "languages[1]");
  expect_field(with("/languages/1", "fr"), "languages[1]");
  expect_field(with("/payment_methods/0", "bitcoin"), "payment_methods[0]");
  expect_field(with("/banner", std::string(201, 'x')), "banner");
}

TEST(option_groups_codec, decode_and_reencode_with_defaults_and_availability) {
  const auto r = kp::decode_option_groups(groups_json(), "EUR");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE((*r)[0].required());
  EXPECT_FALSE((*r)[1].required());
  EXPECT_TRUE((*r)[0].options[0].preselected);
  EXPECT_FALSE((*r)[1].options[1].available);
  json back = json::array();
  for (const auto& g : *r) back.push_back(kp::to_json(g));
  EXPECT_EQ(back, groups_json());
}

TEST(option_groups_codec, refuses_inconsistent_groups) {
  auto with = [](const std::string& ptr, const json& v) {
    json j = groups_json();
    j[json::json_pointer(ptr)] = v;
    return kp::decode_option_groups(j, "EUR");
  };
  expect_field(with("/0/max", 3), "option_groups[0].max");  // more than its 2 options
  expect_field(with("/1/min", 3), "option_groups[1].min");  // above max
  expect_field(with("/0/options/1/id", "s"), "option_groups[0].options[1].id");
  expect_field(with("/1/id", "size"), "option_groups[1].id");
  expect_field(with("/0/options/1/price_delta/amount", -10),
               "option_groups[0].options[1].price_delta.amount");
  expect_field(with("/0/options/1/price_delta/currency", "GBP"),
               "option_groups[0].options[1].price_delta.currency");
  expect_field(with("/0/options", json::array()), "option_groups[0].options");
  expect_field(with("/0/options/1/default", true), "option_groups[0].options");  // 2 defaults, max 1
}

TEST(catalog_codec, profile_and_option_groups_are_optional_and_round_trip) {
  json body = json::parse(R"({"business_id":"b","business_name":"B","currency":"EUR","version":1,
    "categories":[{"id":"c","name":"C","position":0}],
    "products":[{"id":"p","sku":"P","category_id":"c","name":"P","description":"",
                 "price":{"amount":100,"currency":"EUR"},"image_url":"","available":true,"stock":null}]})");
  auto plain = kp::decode_catalog(body);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_FALSE(plain->profile.has_value());
  EXPECT_TRUE(plain->products[0].option_groups.empty());
  EXPECT_EQ(kp::to_json(*plain), body) << "no empty option_groups or profile keys invented";

  body["products"][0]["option_groups"] = groups_json();
  body["profile"] = profile_json();
  auto full = kp::decode_catalog(body);
  ASSERT_TRUE(full.ok()) << full.error().message;
  ASSERT_TRUE(full->profile.has_value());
  EXPECT_EQ(full->products[0].option_groups.size(), 2u);
  EXPECT_EQ(kp::to_json(*full), body);

  body["profile"]["order_types"][2]["fee"]["currency"] = "USD";
  expect_field(kp::decode_catalog(body), "profile.order_types[2].fee.currency");
}

TEST(order_submit_codec, line_options_and_shop_fields_round_trip) {
  json body = json::parse(R"({"order_id":"0b6f3c52-6a43-4c1f-9d51-2a7e8f9b1c20","order_type":"pickup",
    "lines":[{"product_id":"flat-white","qty":1,"options":[{"group":"size","option":"l"},{"group":"extras","option":"shot"}]}],
    "payment_method":"cash","table":"12","pickup_at":"2026-11-24T09:15:00+01:00",
    "delivery_address":"3 rue Oberkampf","local_number":"K1-007","placed_at":"2026-11-24T08:50:00Z"})");
  auto r = kp::decode_order_submit(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->lines[0].options.size(), 2u);
  EXPECT_EQ(r->lines[0].options[1], (kp::line_option{"extras", "shot"}));
  EXPECT_EQ(r->local_number, "K1-007");
  EXPECT_EQ(r->pickup_at, "2026-11-24T09:15:00+01:00");
  EXPECT_EQ(kp::to_json(*r), body);

  auto with = [&](const std::string& ptr, const json& v) {
    json j = body;
    j[json::json_pointer(ptr)] = v;
    return kp::decode_order_submit(j);
  };
  expect_field(with("/local_number", "k1-007"), "local_number");
  expect_field(with("/local_number", "K1-00007"), "local_number");
  expect_field(with("/local_number", "K1007"), "local_number");
  expect_field(with("/pickup_at", "tomorrow 9:15"), "pickup_at");
  expect_field(with("/placed_at", "2026-11-24"), "placed_at");
  expect_field(with("/table", std::string(17, '1')), "table");
  expect_field(with("/delivery_address", std::string(301, 'a')), "delivery_address");
  expect_field(with("/lines/0/options/0/group", "Size!"), "lines[0].options[0].group");
  expect_field(with("/lines/0/options/1", "extras:shot"), "lines[0].options[1]");
  expect_field(with("/lines/0/options", json::array({json{{"group", "a"}, {"option", "b"}}}) .dump()),
               "lines[0].options");
  json many = json::array();
  for (int i = 0; i < 33; ++i) many.push_back({{"group", "g"}, {"option", "o" + std::to_string(i)}});
  expect_field(with("/lines/0/options", many), "lines[0].options");
}

TEST(local_number, shape) {
  EXPECT_TRUE(kp::is_local_number("K1-007"));
  EXPECT_TRUE(kp::is_local_number("KIOSK12-9999"));
  EXPECT_FALSE(kp::is_local_number("-007"));
  EXPECT_FALSE(kp::is_local_number("K1-"));
  EXPECT_FALSE(kp::is_local_number("K1-12345"));
  EXPECT_FALSE(kp::is_local_number("ABCDEFGHI-1"));
  EXPECT_FALSE(kp::is_local_number("K 1-007"));
}

TEST(order_quote_codec, decodes_with_the_order_line_rules) {
  json body = json::parse(R"({"quote_id":"9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a","order_type":"takeaway",
    "lines":[{"product_id":"flat-white","qty":2,"options":[{"group":"size","option":"l"}]}]})");
  auto r = kp::decode_order_quote(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(kp::to_json(*r), body);
  json bad = body;
  bad["lines"][0]["qty"] = 0;
  auto q = kp::decode_order_quote(bad);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, kp::code::invalid_quantity);
  bad = body;
  bad["lines"] = json::array();
  EXPECT_EQ(kp::decode_order_quote(bad).error().code, kp::code::empty_order);
  bad = body;
  bad["quote_id"] = "q1";
  expect_field(kp::decode_order_quote(bad), "quote_id");
}

TEST(order_quoted_codec, round_trips_line_and_order_problems) {
  kp::order_quoted q;
  q.quote_id = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
  q.ok = false;
  q.subtotal = {900, "EUR"};
  q.total = {900, "EUR"};
  q.lines.push_back({0, {450, "EUR"}, {900, "EUR"}, {}});
  q.lines.push_back(
      {1, {280, "EUR"}, {280, "EUR"}, {{kp::code::out_of_stock, "sold out", {{"available", 0}}}}});
  q.problems.push_back({kp::code::business_closed, "closed", json::object()});
  const json j = kp::to_json(q);
  auto back = kp::decode_order_quoted(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, q);
  json bad = j;
  bad["lines"][1]["problems"][0]["code"] = "sold_out";
  expect_field(kp::decode_order_quoted(bad), "lines[1].problems[0].code");
}

TEST(feedback_codec, rating_is_one_to_five_and_comment_optional) {
  json body{{"order_id", "0b6f3c52-6a43-4c1f-9d51-2a7e8f9b1c20"}, {"rating", 4}};
  auto r = kp::decode_feedback(body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rating, 4);
  EXPECT_TRUE(r->comment.empty());
  EXPECT_EQ(kp::to_json(*r), body);
  for (const json& bad : {json(0), json(6), json(4.5), json("5")}) {
    body["rating"] = bad;
    expect_field(kp::decode_feedback(body), "rating");
  }
  body["rating"] = 1;
  body["comment"] = std::string(501, 'x');
  expect_field(kp::decode_feedback(body), "comment");
}

TEST(device_status_codec, states_are_words_and_outbox_is_bounded) {
  json body{{"printer", "cover_open"}, {"camera", "absent"}, {"outbox", 3}, {"firmware", "kiosk 0.2.0"}};
  auto r = kp::decode_device_status(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->printer, kp::printer_state::cover_open);
  EXPECT_EQ(r->camera, kp::camera_state::absent);
  EXPECT_EQ(kp::to_json(*r), body);
  auto with = [&](const char* k, const json& v) {
    json j = body;
    j[k] = v;
    return kp::decode_device_status(j);
  };
  expect_field(with("printer", "jammed"), "printer");
  expect_field(with("camera", true), "camera");
  expect_field(with("outbox", -1), "outbox");
  expect_field(with("outbox", 1000001), "outbox");
  expect_field(with("firmware", ""), "firmware");
}

TEST(order_accepted_codec, tracking_url_and_delivery_fee_are_optional) {
  kp::order_accepted a;
  a.order_id = "0b6f3c52-6a43-4c1f-9d51-2a7e8f9b1c20";
  a.number = "K1-007";
  a.eta = "2026-11-22T10:27:00Z";
  const json plain = kp::to_json(a);
  EXPECT_FALSE(plain.contains("tracking_url"));
  EXPECT_FALSE(plain.contains("delivery_fee"));
  a.tracking_url = "https://cafe.example/o/" + a.order_id;
  a.delivery_fee = kp::money{250, "EUR"};
  auto back = kp::decode_order_accepted(kp::to_json(a));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, a);
}

TEST(hhmm, parse_and_format) {
  EXPECT_EQ(kp::parse_hhmm("00:00"), 0);
  EXPECT_EQ(kp::parse_hhmm("07:30"), 450);
  EXPECT_EQ(kp::parse_hhmm("24:00"), 1440);
  EXPECT_EQ(kp::parse_hhmm("24:30"), -1);
  EXPECT_EQ(kp::parse_hhmm("12:60"), -1);
  EXPECT_EQ(kp::parse_hhmm("7:30"), -1);
  EXPECT_EQ(kp::format_hhmm(450), "07:30");
  EXPECT_EQ(kp::format_hhmm(1440), "24:00");
  EXPECT_EQ(kp::parse_weekday("sun"), 6);
  EXPECT_EQ(kp::parse_weekday("Sun"), -1);
}

TEST(store_profile_codec, counter_age_thresholds_default_to_5_and_10_minutes_and_are_checked) {
  const auto plain = kp::decode_store_profile(profile_json(), "EUR");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->age_amber_seconds, 300);
  EXPECT_EQ(plain->age_red_seconds, 600);
  EXPECT_FALSE(kp::to_json(*plain).contains("age_amber_seconds")) << "defaults stay off the wire";

  json j = profile_json();
  j["age_amber_seconds"] = 240;
  j["age_red_seconds"] = 480;
  const auto set = kp::decode_store_profile(j, "EUR");
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->age_amber_seconds, 240);
  EXPECT_EQ(set->age_red_seconds, 480);
  EXPECT_EQ(kp::to_json(*set), j);

  auto with = [](const char* key, const json& v) {
    json b = profile_json();
    b[key] = v;
    return kp::decode_store_profile(b, "EUR");
  };
  expect_field(with("age_amber_seconds", 59), "age_amber_seconds");
  expect_field(with("age_amber_seconds", "300"), "age_amber_seconds");
  expect_field(with("age_red_seconds", 14401), "age_red_seconds");
  expect_field(with("age_red_seconds", 120), "age_red_seconds");  // below the default amber 300
  json both = profile_json();
  both["age_amber_seconds"] = 900;
  both["age_red_seconds"] = 600;
  expect_field(kp::decode_store_profile(both, "EUR"), "age_red_seconds");
}
