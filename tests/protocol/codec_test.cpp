#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/time.hpp"

namespace kp = kh::protocol;
using json = nlohmann::json;

namespace {

const std::string order_uuid = "0b6f3c52-6a43-4c1f-9d51-2a7e8f9b1c20";
const std::string msg_uuid = "5d2f1e7a-3b4c-4d5e-8f60-718293a4b5c6";

json valid_submit_body() {
  return json::parse(R"({
    "order_id": "0b6f3c52-6a43-4c1f-9d51-2a7e8f9b1c20",
    "order_type": "takeaway",
    "lines": [{"product_id": "flat-white", "qty": 2, "note": "oat milk"}, {"product_id": "croissant", "qty": 1}],
    "payment_method": "card_present",
    "customer": {"name": "Ana", "phone": "+351 912 345 678", "email": "ana@example.com"},
    "discount_code": "WELCOME10"
  })");
}

std::string envelope_text(const json& body, const std::string& type = "order.submit") {
  return json{
      {"v", 1}, {"type", type}, {"id", msg_uuid}, {"ts", "2026-11-22T10:15:00Z"}, {"body", body}}
      .dump();
}

// Asserts a failed result carries `c` and names `field` in details.
template <class T>
void expect_problem(const kp::result<T>& r, kp::code c, const std::string& field) {
  ASSERT_FALSE(r.ok()) << "expected " << kp::to_string(c) << " at " << field;
  EXPECT_EQ(r.error().code, c) << kp::to_string(r.error().code) << ": " << r.error().message;
  if (!field.empty()) {
    ASSERT_TRUE(r.error().details.contains("field")) << r.error().details.dump();
    EXPECT_EQ(r.error().details["field"], field) << r.error().message;
  }
  EXPECT_FALSE(r.error().message.empty());
}

kp::result<kp::order_submit> submit_with(const std::string& json_pointer, const json& value) {
  json body = valid_submit_body();
  body[json::json_pointer(json_pointer)] = value;
  return kp::decode_order_submit(body);
}

kp::result<kp::order_submit> submit_without(const std::string& key) {
  json body = valid_submit_body();
  body.erase(key);
  return kp::decode_order_submit(body);
}

json lines_of(std::size_t n) {
  json lines = json::array();
  for (std::size_t i = 0; i < n; ++i)
    lines.push_back({{"product_id", "p" + std::to_string(i)}, {"qty", 1}});
  return lines;
}

kp::catalog sample_catalog() {
  kp::catalog c;
  c.business_id = "cafe-central";
  c.business_name = "Café Central";
  c.currency = "EUR";
  c.version = 42;
  c.categories = {{"coffee", "Coffee", 0}, {"pastry", "Pastry", 1}};
  c.products = {
      {"flat-white",
       "FW-01",
       "coffee",
       "Flat white",
       "Double shot",
       {350, "EUR"},
       "https://x.test/fw.png",
       true,
       std::nullopt},
      {"croissant", "CR-01", "pastry", "Croissant", "", {220, "EUR"}, "", false, 0},
      {"muffin", "MU-01", "pastry", "Muffin", "Blueberry", {280, "EUR"}, "", true, 5},
  };
  return c;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Round trips

TEST(codec_round_trip, order_submit_with_every_field) {
  const auto first = kp::decode_order_submit(valid_submit_body());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->order_id, order_uuid);
  EXPECT_EQ(first->type, kp::order_type::takeaway);
  ASSERT_EQ(first->lines.size(), 2u);
  EXPECT_EQ(first->lines[0].note, "oat milk");
  EXPECT_EQ(first->cust.phone, "+351 912 345 678");
  EXPECT_EQ(first->discount_code, "WELCOME10");
  const auto again = kp::decode_order_submit(kp::to_json(*first));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(kp::to_json(*again), valid_submit_body());
}

TEST(codec_round_trip, order_submit_minimal_omits_empty_optionals) {
  kp::order_submit s;
  s.order_id = order_uuid;
  s.type = kp::order_type::eat_in;
  s.payment = kp::payment_method::cash;
  s.lines = {{"espresso", 3, ""}};
  const json wire = kp::to_json(s);
  EXPECT_EQ(wire,
            json::parse(R"({"order_id":"0b6f3c52-6a43-4c1f-9d51-2a7e8f9b1c20","order_type":"eat_in",
      "lines":[{"product_id":"espresso","qty":3}],"payment_method":"cash"})"));
  const auto back = kp::decode_order_submit(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, s);
}

TEST(codec_round_trip, every_enum_value_survives) {
  for (auto t : {kp::order_type::eat_in, kp::order_type::takeaway, kp::order_type::pickup,
                 kp::order_type::delivery}) {
    for (auto p :
         {kp::payment_method::card_present, kp::payment_method::cash, kp::payment_method::wallet}) {
      kp::order_submit s;
      s.order_id = kp::new_uuid();
      s.type = t;
      s.payment = p;
      s.lines = {{"x", 1, ""}};
      const auto back = kp::decode_order_submit(kp::to_json(s));
      ASSERT_TRUE(back.ok());
      EXPECT_EQ(*back, s);
    }
  }
  for (auto st :
       {kp::order_state::pending_payment, kp::order_state::paid, kp::order_state::preparing,
        kp::order_state::ready, kp::order_state::collected, kp::order_state::out_for_delivery,
        kp::order_state::delivered, kp::order_state::cancelled, kp::order_state::refunded}) {
    kp::order_state parsed{};
    ASSERT_TRUE(kp::from_string(kp::to_string(st), parsed));
    EXPECT_EQ(parsed, st);
  }
  for (auto m : {kp::device_mode::shop, kp::device_mode::counter, kp::device_mode::board}) {
    const auto back = kp::decode_hello(kp::to_json(kp::hello{"kiosk 0.1.0", m, std::nullopt}));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->mode, m);
  }
}

TEST(codec_round_trip, every_error_code_has_a_unique_wire_word) {
  for (int i = 0; i <= static_cast<int>(kp::last_code); ++i) {
    const auto c = static_cast<kp::code>(i);
    kp::code parsed{};
    ASSERT_TRUE(kp::from_string(kp::to_string(c), parsed)) << i;
    EXPECT_EQ(parsed, c);
  }
  EXPECT_STREQ(kp::to_string(kp::code::out_of_stock), "out_of_stock");
  EXPECT_STREQ(kp::to_string(kp::code::unsupported_version), "unsupported_version");
  kp::code ignored{};
  EXPECT_FALSE(kp::from_string("Out_Of_Stock", ignored));
}

TEST(codec_round_trip, hello_with_and_without_catalog_version) {
  const kp::hello h{"kiosk 0.1.0", kp::device_mode::counter, 17};
  EXPECT_EQ(kp::to_json(h),
            json::parse(R"({"firmware":"kiosk 0.1.0","mode":"counter","catalog_version":17})"));
  auto back = kp::decode_hello(kp::to_json(h));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, h);
  const kp::hello fresh{"kiosk 0.1.0", kp::device_mode::shop, std::nullopt};
  EXPECT_FALSE(kp::to_json(fresh).contains("catalog_version"));
  back = kp::decode_hello(kp::to_json(fresh));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, fresh);
}

TEST(codec_round_trip, catalog_keeps_null_stock_apart_from_zero) {
  const auto c = sample_catalog();
  const json wire = kp::to_json(c);
  EXPECT_TRUE(wire["products"][0]["stock"].is_null());
  EXPECT_EQ(wire["products"][1]["stock"], 0);
  EXPECT_EQ(wire["products"][0]["price"], json::parse(R"({"amount":350,"currency":"EUR"})"));
  const auto back = kp::decode_catalog(wire);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, c);
}

TEST(codec_round_trip, order_accepted_and_status) {
  const kp::order_accepted a{order_uuid,
                             "A-042",
                             kp::order_state::pending_payment,
                             {1000, "EUR"},
                             {100, "EUR"},
                             {0, "EUR"},
                             {1100, "EUR"},
                             "2026-11-22T10:27:00Z"};
  const auto back = kp::decode_order_accepted(kp::to_json(a));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, a);

  kp::order_status s{order_uuid, "A-042", kp::order_state::ready, "2026-11-22T10:27:00.500+01:00"};
  auto sback = kp::decode_order_status(kp::to_json(s));
  ASSERT_TRUE(sback.ok());
  EXPECT_EQ(*sback, s);
  s.eta.clear();
  s.state = kp::order_state::collected;
  EXPECT_FALSE(kp::to_json(s).contains("eta"));
  sback = kp::decode_order_status(kp::to_json(s));
  ASSERT_TRUE(sback.ok());
  EXPECT_EQ(*sback, s);
}

TEST(codec_round_trip, rejection_with_and_without_order_id) {
  kp::rejection r{order_uuid, kp::code::out_of_stock, "Croissant is sold out",
                  json{{"product_id", "croissant"}, {"available", 0}}};
  auto back = kp::decode_rejection(kp::to_json(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
  r.order_id.clear();
  r.code = kp::code::malformed;
  EXPECT_FALSE(kp::to_json(r).contains("order_id"));
  back = kp::decode_rejection(kp::to_json(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
}

TEST(codec_round_trip, envelope_encode_then_decode) {
  kp::envelope e;
  e.type = "order.submit";
  e.id = msg_uuid;
  e.ts = "2026-11-22T10:15:00.250Z";
  e.body = valid_submit_body();
  const auto back = kp::decode_envelope(kp::encode_envelope(e));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->v, 1);
  EXPECT_EQ(back->type, e.type);
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->ts, e.ts);
  EXPECT_EQ(back->body, e.body);
}

TEST(codec_round_trip, make_message_gives_a_fresh_id_and_current_time) {
  const auto before = kp::clock::now() - std::chrono::seconds(1);
  const std::string a =
      kp::make_message(kp::types::hello, kp::to_json(kp::hello{"k", kp::device_mode::shop, {}}));
  const std::string b = kp::make_message(kp::types::hello, json::object());
  const auto ea = kp::decode_envelope(a);
  const auto eb = kp::decode_envelope(b);
  ASSERT_TRUE(ea.ok() && eb.ok());
  EXPECT_EQ(ea->type, "hello");
  EXPECT_NE(ea->id, eb->id);
  const auto ts = kp::parse_rfc3339(ea->ts);
  ASSERT_TRUE(ts);
  EXPECT_GE(*ts, before);
  EXPECT_TRUE(kp::decode_hello(ea->body).ok());
}

// ------------------------------------------------------------------------------------------------
// Envelope rejections

TEST(envelope_decode, size_limit_is_exactly_64_kib) {
  json body = valid_submit_body();
  body["padding"] = "";
  const std::size_t base = envelope_text(body).size();
  body["padding"] = std::string(kp::limits::max_payload - base, 'x');
  const std::string exact = envelope_text(body);
  ASSERT_EQ(exact.size(), 65536u);
  const auto ok = kp::decode_envelope(exact);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_TRUE(kp::decode_order_submit(ok->body).ok());  // unknown members are ignored

  body["padding"] = std::string(kp::limits::max_payload - base + 1, 'x');
  const std::string over = envelope_text(body);
  ASSERT_EQ(over.size(), 65537u);
  expect_problem(kp::decode_envelope(over), kp::code::too_large, "");
}

TEST(envelope_decode, size_is_checked_before_parsing) {
  // Not JSON at all, but too big: the answer is too_large, not malformed.
  expect_problem(kp::decode_envelope(std::string(kp::limits::max_payload + 1, '{')),
                 kp::code::too_large, "");
}

TEST(envelope_decode, a_larger_cap_can_be_chosen_by_the_caller) {
  json body = kp::to_json(sample_catalog());
  body["padding"] = std::string(70000, 'x');
  const std::string big = envelope_text(body, "catalog");
  expect_problem(kp::decode_envelope(big), kp::code::too_large, "");
  EXPECT_TRUE(kp::decode_envelope(big, 256 * 1024).ok());
}

TEST(envelope_decode, not_json_or_not_utf8_is_malformed) {
  for (const std::string& bad :
       {std::string(""), std::string("{"), std::string("hello"), std::string("{\"v\":1,}"),
        std::string("{\"v\":1} trailing"), std::string("{'v':1}"),
        std::string("{\"v\":1,\"type\":\"hello\",\"x\":\"\xff\xfe\"}"),
        std::string("{\"v\":1,\"type\":\"caf\xc3\"}"),
        std::string("{\"v\":1,\"x\":\"\xed\xa0\x80\"}")}) {
    expect_problem(kp::decode_envelope(bad), kp::code::malformed, "");
  }
}

TEST(envelope_decode, not_an_object_is_malformed) {
  for (const char* bad : {"[]", "[1,2]", "\"text\"", "1", "null", "true"}) {
    expect_problem(kp::decode_envelope(bad), kp::code::malformed, "");
  }
}

TEST(envelope_decode, version_must_be_the_integer_1) {
  const json body = valid_submit_body();
  auto with_v = [&](const json& v) {
    json e = json::parse(envelope_text(body));
    e["v"] = v;
    return kp::decode_envelope(e.dump());
  };
  expect_problem(with_v(2), kp::code::unsupported_version, "v");
  expect_problem(with_v(0), kp::code::unsupported_version, "v");
  expect_problem(with_v(-1), kp::code::unsupported_version, "v");
  expect_problem(with_v(std::uint64_t{18446744073709551615u}), kp::code::unsupported_version, "v");
  expect_problem(with_v(1.0), kp::code::malformed, "v");
  expect_problem(with_v("1"), kp::code::malformed, "v");
  expect_problem(with_v(nullptr), kp::code::malformed, "v");
  json e = json::parse(envelope_text(body));
  e.erase("v");
  expect_problem(kp::decode_envelope(e.dump()), kp::code::malformed, "v");
}

TEST(envelope_decode, version_is_checked_before_the_other_fields) {
  // A future version may shape its envelope differently: it must still get unsupported_version.
  expect_problem(kp::decode_envelope(R"({"v":2,"kind":"something new"})"),
                 kp::code::unsupported_version, "v");
}

TEST(envelope_decode, id_ts_type_and_body_are_checked) {
  const json good = json::parse(envelope_text(valid_submit_body()));
  auto with = [&](const char* key, const json& value) {
    json e = good;
    e[key] = value;
    return kp::decode_envelope(e.dump());
  };
  auto without = [&](const char* key) {
    json e = good;
    e.erase(key);
    return kp::decode_envelope(e.dump());
  };
  expect_problem(with("id", "not-a-uuid"), kp::code::malformed, "id");
  expect_problem(with("id", 12), kp::code::malformed, "id");
  expect_problem(without("id"), kp::code::malformed, "id");
  expect_problem(with("ts", "2026-02-30T10:00:00Z"), kp::code::malformed, "ts");
  expect_problem(with("ts", "yesterday"), kp::code::malformed, "ts");
  expect_problem(with("ts", 1700000000), kp::code::malformed, "ts");
  expect_problem(without("ts"), kp::code::malformed, "ts");
  expect_problem(with("type", ""), kp::code::malformed, "type");
  expect_problem(with("type", "Order.Submit"), kp::code::malformed, "type");
  expect_problem(with("type", "order/submit"), kp::code::malformed, "type");
  expect_problem(with("type", json::array()), kp::code::malformed, "type");
  expect_problem(without("type"), kp::code::malformed, "type");
  expect_problem(with("body", json::array()), kp::code::malformed, "body");
  expect_problem(with("body", "{}"), kp::code::malformed, "body");
  expect_problem(with("body", nullptr), kp::code::malformed, "body");
  expect_problem(without("body"), kp::code::malformed, "body");
}

TEST(envelope_decode, unknown_types_are_left_to_the_receiver) {
  const auto e = kp::decode_envelope(envelope_text(json::object(), "order.teleport"));
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(kp::is_known_type(e->type));
  const auto p = kp::validate_body(e->type, e->body);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, kp::code::unknown_type);
}

TEST(envelope_decode, deep_nesting_is_refused) {
  std::string deep = R"({"v":1,"type":"hello","id":")" + msg_uuid +
                     R"(","ts":"2026-11-22T10:15:00Z","body":{"x":)";
  for (int i = 0; i < 30000; ++i) deep += '[';
  for (int i = 0; i < 30000; ++i) deep += ']';
  deep += "}}";
  ASSERT_LE(deep.size(), kp::limits::max_payload);
  expect_problem(kp::decode_envelope(deep), kp::code::malformed, "");
  // Brackets inside strings do not count.
  json body = valid_submit_body();
  body["lines"][0]["note"] = std::string(100, '[');
  EXPECT_TRUE(kp::decode_envelope(envelope_text(body)).ok());
}

TEST(envelope_decode, nesting_limit_at_the_boundary) {
  // The envelope is level 1 and the body level 2, so an extra member nested n deep reaches 2 + n.
  auto nested = [](int levels) {
    json body = valid_submit_body();
    json deep = json::array();
    for (int i = 1; i < levels; ++i) deep = json::array({deep});
    body["extra"] = deep;
    return envelope_text(body);
  };
  EXPECT_TRUE(kp::decode_envelope(nested(static_cast<int>(kp::limits::max_depth) - 2)).ok());
  expect_problem(kp::decode_envelope(nested(static_cast<int>(kp::limits::max_depth) - 1)),
                 kp::code::malformed, "");
}

TEST(envelope_decode, every_truncation_of_a_valid_payload_is_refused_cleanly) {
  const std::string good = envelope_text(valid_submit_body());
  for (std::size_t n = 0; n < good.size(); ++n) {
    const auto r = kp::decode_envelope(std::string_view(good).substr(0, n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, kp::code::malformed) << n;
  }
  EXPECT_TRUE(kp::decode_envelope(good).ok());
}

TEST(envelope_decode, random_corruption_never_crashes_or_throws) {
  const std::string good = envelope_text(valid_submit_body());
  std::mt19937 rng(12345);  // fixed seed: the run is reproducible
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string s = good;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      const std::size_t pos = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s[pos] = static_cast<char>(rng() % 256);
          break;
        case 1:
          s.erase(pos, 1 + rng() % 8);
          break;
        default:
          s.insert(pos, 1, "{}[]\",:0\\"[rng() % 10]);
          break;
      }
      if (s.empty()) s = "x";
    }
    EXPECT_NO_THROW({
      const auto e = kp::decode_envelope(s);
      if (e.ok()) {
        ++accepted;
        (void)kp::validate_body(e->type, e->body);
      } else {
        EXPECT_FALSE(e.error().message.empty());
      }
    });
  }
  EXPECT_LT(accepted, 3000);
}

TEST(envelope_encode, never_throws_on_invalid_utf8_from_the_caller) {
  kp::envelope e;
  e.type = "error";
  e.id = msg_uuid;
  e.ts = "2026-11-22T10:15:00Z";
  e.body = json{{"message", std::string("bad \xff byte")}};
  std::string out;
  EXPECT_NO_THROW(out = kp::encode_envelope(e));
  EXPECT_TRUE(kp::decode_envelope(out).ok());
}

// ------------------------------------------------------------------------------------------------
// order.submit rejections

TEST(order_submit_decode, quantity_limits_at_the_boundary) {
  EXPECT_TRUE(submit_with("/lines/1/qty", 1).ok());
  EXPECT_TRUE(submit_with("/lines/1/qty", 99).ok());
  expect_problem(submit_with("/lines/1/qty", 100), kp::code::invalid_quantity, "lines[1].qty");
  expect_problem(submit_with("/lines/1/qty", 0), kp::code::invalid_quantity, "lines[1].qty");
  expect_problem(submit_with("/lines/1/qty", -1), kp::code::invalid_quantity, "lines[1].qty");
  expect_problem(submit_with("/lines/0/qty", 1.5), kp::code::invalid_quantity, "lines[0].qty");
  expect_problem(submit_with("/lines/0/qty", 1.0), kp::code::invalid_quantity, "lines[0].qty");
  expect_problem(submit_with("/lines/0/qty", std::uint64_t{1} << 63), kp::code::invalid_quantity,
                 "lines[0].qty");
  expect_problem(submit_with("/lines/0/qty", std::int64_t{1} << 40), kp::code::invalid_quantity,
                 "lines[0].qty");
  expect_problem(submit_with("/lines/0/qty", "2"), kp::code::malformed, "lines[0].qty");
  expect_problem(submit_with("/lines/0/qty", true), kp::code::malformed, "lines[0].qty");
  expect_problem(submit_with("/lines/0/qty", nullptr), kp::code::malformed, "lines[0].qty");
}

TEST(order_submit_decode, the_failing_line_is_named_by_index) {
  json body = valid_submit_body();
  body["lines"] = lines_of(5);
  body["lines"][3]["qty"] = 0;
  expect_problem(kp::decode_order_submit(body), kp::code::invalid_quantity, "lines[3].qty");
  body["lines"][3]["qty"] = 1;
  body["lines"][3].erase("qty");
  expect_problem(kp::decode_order_submit(body), kp::code::malformed, "lines[3].qty");
}

TEST(order_submit_decode, line_count_limits_at_the_boundary) {
  EXPECT_TRUE(submit_with("/lines", lines_of(1)).ok());
  const auto hundred = submit_with("/lines", lines_of(100));
  ASSERT_TRUE(hundred.ok());
  EXPECT_EQ(hundred->lines.size(), 100u);
  expect_problem(submit_with("/lines", lines_of(101)), kp::code::too_many_lines, "lines");
  expect_problem(submit_with("/lines", json::array()), kp::code::empty_order, "lines");
  expect_problem(submit_with("/lines", json::object()), kp::code::malformed, "lines");
  expect_problem(submit_with("/lines", nullptr), kp::code::malformed, "lines");
  expect_problem(submit_without("lines"), kp::code::malformed, "lines");
}

TEST(order_submit_decode, lines_must_be_objects_with_slug_product_ids) {
  expect_problem(submit_with("/lines/1", "croissant"), kp::code::malformed, "lines[1]");
  expect_problem(submit_with("/lines/0/product_id", "Flat White"), kp::code::malformed,
                 "lines[0].product_id");
  expect_problem(submit_with("/lines/0/product_id", "a/b"), kp::code::malformed,
                 "lines[0].product_id");
  expect_problem(submit_with("/lines/0/product_id", ""), kp::code::malformed,
                 "lines[0].product_id");
  expect_problem(submit_with("/lines/0/product_id", 7), kp::code::malformed, "lines[0].product_id");
  json body = valid_submit_body();
  body["lines"][0].erase("product_id");
  expect_problem(kp::decode_order_submit(body), kp::code::malformed, "lines[0].product_id");
}

TEST(order_submit_decode, order_id_must_be_a_uuid) {
  expect_problem(submit_with("/order_id", "order-1"), kp::code::malformed, "order_id");
  expect_problem(submit_with("/order_id", 42), kp::code::malformed, "order_id");
  expect_problem(submit_without("order_id"), kp::code::malformed, "order_id");
}

TEST(order_submit_decode, unknown_enum_values_are_malformed) {
  expect_problem(submit_with("/order_type", "drive_thru"), kp::code::malformed, "order_type");
  expect_problem(submit_with("/order_type", "TAKEAWAY"), kp::code::malformed, "order_type");
  expect_problem(submit_with("/order_type", 1), kp::code::malformed, "order_type");
  expect_problem(submit_without("order_type"), kp::code::malformed, "order_type");
  expect_problem(submit_with("/payment_method", "bitcoin"), kp::code::malformed, "payment_method");
  expect_problem(submit_without("payment_method"), kp::code::malformed, "payment_method");
}

TEST(order_submit_decode, string_limits_count_code_points_not_bytes) {
  std::string e140;
  for (int i = 0; i < 140; ++i) e140 += "\xc3\xa9";  // 'é': 2 bytes, 1 character
  EXPECT_TRUE(submit_with("/lines/0/note", e140).ok());
  expect_problem(submit_with("/lines/0/note", e140 + "x"), kp::code::malformed, "lines[0].note");
  EXPECT_TRUE(submit_with("/customer/name", std::string(80, 'a')).ok());
  expect_problem(submit_with("/customer/name", std::string(81, 'a')), kp::code::malformed,
                 "customer.name");
  EXPECT_TRUE(submit_with("/customer/phone", std::string(32, '1')).ok());
  expect_problem(submit_with("/customer/phone", std::string(33, '1')), kp::code::malformed,
                 "customer.phone");
  EXPECT_TRUE(submit_with("/customer/email", std::string(254, 'a')).ok());
  expect_problem(submit_with("/customer/email", std::string(255, 'a')), kp::code::malformed,
                 "customer.email");
  EXPECT_TRUE(submit_with("/discount_code", std::string(32, 'A')).ok());
  expect_problem(submit_with("/discount_code", std::string(33, 'A')), kp::code::malformed,
                 "discount_code");
  const auto r = submit_with("/discount_code", std::string(33, 'A'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details["max"], 32);
}

TEST(order_submit_decode, optional_fields_may_be_absent_or_null_but_not_mistyped) {
  json body = valid_submit_body();
  body.erase("customer");
  body.erase("discount_code");
  body["lines"][0].erase("note");
  auto r = kp::decode_order_submit(body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cust, kp::customer{});
  EXPECT_TRUE(r->discount_code.empty());
  EXPECT_TRUE(r->lines[0].note.empty());
  EXPECT_TRUE(submit_with("/customer", nullptr).ok());
  EXPECT_TRUE(submit_with("/customer", json::object()).ok());
  EXPECT_TRUE(submit_with("/discount_code", nullptr).ok());
  expect_problem(submit_with("/customer", "Ana"), kp::code::malformed, "customer");
  expect_problem(submit_with("/customer/phone", 912345678), kp::code::malformed, "customer.phone");
  expect_problem(submit_with("/lines/0/note", json::array()), kp::code::malformed, "lines[0].note");
  expect_problem(submit_with("/discount_code", 10), kp::code::malformed, "discount_code");
}

TEST(order_submit_decode, client_totals_and_unknown_fields_are_ignored) {
  json body = valid_submit_body();
  body["total"] = {{"amount", 1}, {"currency", "EUR"}};
  body["subtotal"] = 0.01;  // even a float: the hub never reads it
  body["tax"] = "none";
  body["future_field"] = {{"anything", true}};
  body["lines"][0]["garnish"] = json::array({"extra shot"});  // a field of some later version
  const auto r = kp::decode_order_submit(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, *kp::decode_order_submit(valid_submit_body()));
  EXPECT_FALSE(kp::to_json(*r).contains("total"));
}

TEST(order_submit_decode, body_must_be_an_object) {
  expect_problem(kp::decode_order_submit(json::array()), kp::code::malformed, "body");
  expect_problem(kp::decode_order_submit(json("x")), kp::code::malformed, "body");
}

TEST(order_submit_decode, strings_built_in_code_must_still_be_utf8) {
  expect_problem(submit_with("/lines/0/note", std::string("bad \xc3")), kp::code::malformed,
                 "lines[0].note");
}

// ------------------------------------------------------------------------------------------------
// Money

TEST(money_decode, integer_minor_units_and_a_currency_code_only) {
  auto m = kp::decode_money(json::parse(R"({"amount":1230,"currency":"EUR"})"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, (kp::money{1230, "EUR"}));
  m = kp::decode_money(json::parse(R"({"amount":-50,"currency":"GBP"})"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->amount, -50);
  m = kp::decode_money(json::parse(R"({"amount":9223372036854775807,"currency":"EUR"})"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->amount, INT64_MAX);
}

TEST(money_decode, a_float_amount_is_malformed_even_when_whole) {
  for (const char* bad :
       {R"({"amount":1.0,"currency":"EUR"})", R"({"amount":12.3,"currency":"EUR"})",
        R"({"amount":1e3,"currency":"EUR"})", R"({"amount":"1230","currency":"EUR"})",
        R"({"amount":9223372036854775808,"currency":"EUR"})", R"({"amount":null,"currency":"EUR"})",
        R"({"currency":"EUR"})"}) {
    expect_problem(kp::decode_money(json::parse(bad)), kp::code::malformed, "amount");
  }
}

TEST(money_decode, currency_must_be_three_upper_case_letters) {
  for (const char* bad :
       {R"({"amount":1,"currency":"eur"})", R"({"amount":1,"currency":"EURO"})",
        R"({"amount":1,"currency":""})", R"({"amount":1,"currency":978})", R"({"amount":1})"}) {
    expect_problem(kp::decode_money(json::parse(bad)), kp::code::malformed, "currency");
  }
  expect_problem(kp::decode_money(json(1230)), kp::code::malformed, "");
}

TEST(money_decode, accepted_totals_name_the_bad_amount) {
  json body = kp::to_json(kp::order_accepted{order_uuid,
                                             "A-001",
                                             kp::order_state::pending_payment,
                                             {1, "EUR"},
                                             {0, "EUR"},
                                             {0, "EUR"},
                                             {1, "EUR"},
                                             "2026-11-22T10:27:00Z"});
  body["tax"]["amount"] = 0.0;
  expect_problem(kp::decode_order_accepted(body), kp::code::malformed, "tax.amount");
  body["tax"] = 5;
  expect_problem(kp::decode_order_accepted(body), kp::code::malformed, "tax");
}

// ------------------------------------------------------------------------------------------------
// Other bodies

TEST(hello_decode, firmware_mode_and_catalog_version_are_checked) {
  const json good{{"firmware", "kiosk 0.1.0"}, {"mode", "shop"}, {"catalog_version", 3}};
  auto with = [&](const char* k, const json& v) {
    json b = good;
    b[k] = v;
    return kp::decode_hello(b);
  };
  EXPECT_TRUE(kp::decode_hello(good).ok());
  EXPECT_TRUE(with("firmware", std::string(64, 'f')).ok());
  expect_problem(with("firmware", std::string(65, 'f')), kp::code::malformed, "firmware");
  expect_problem(with("firmware", ""), kp::code::malformed, "firmware");
  expect_problem(with("mode", "kitchen"), kp::code::malformed, "mode");
  expect_problem(with("catalog_version", -1), kp::code::malformed, "catalog_version");
  expect_problem(with("catalog_version", 3.0), kp::code::malformed, "catalog_version");
  expect_problem(with("catalog_version", "3"), kp::code::malformed, "catalog_version");
  const auto none = with("catalog_version", nullptr);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->catalog_version);
}

TEST(catalog_decode, products_are_checked_field_by_field) {
  const json good = kp::to_json(sample_catalog());
  auto with = [&](const std::string& ptr, const json& v) {
    json b = good;
    b[json::json_pointer(ptr)] = v;
    return kp::decode_catalog(b);
  };
  expect_problem(with("/products/2/price/amount", 2.8), kp::code::malformed,
                 "products[2].price.amount");
  expect_problem(with("/products/2/price/amount", -1), kp::code::malformed,
                 "products[2].price.amount");
  expect_problem(with("/products/1/stock", -1), kp::code::malformed, "products[1].stock");
  expect_problem(with("/products/1/stock", 1.5), kp::code::malformed, "products[1].stock");
  expect_problem(with("/products/1/available", 1), kp::code::malformed, "products[1].available");
  expect_problem(with("/products/0/id", "Flat White"), kp::code::malformed, "products[0].id");
  expect_problem(with("/products/0/category_id", ""), kp::code::malformed,
                 "products[0].category_id");
  expect_problem(with("/categories/1/position", "1"), kp::code::malformed,
                 "categories[1].position");
  expect_problem(with("/categories/1/position", std::int64_t{1} << 40), kp::code::malformed,
                 "categories[1].position");
  expect_problem(with("/business_id", "Cafe Central"), kp::code::malformed, "business_id");
  expect_problem(with("/currency", "euro"), kp::code::malformed, "currency");
  expect_problem(with("/version", -5), kp::code::malformed, "version");
  expect_problem(with("/products", json::object()), kp::code::malformed, "products");
  json b = good;
  b["products"][0].erase("stock");
  expect_problem(kp::decode_catalog(b), kp::code::malformed, "products[0].stock");
  b = good;
  b.erase("categories");
  expect_problem(kp::decode_catalog(b), kp::code::malformed, "categories");
}

TEST(rejection_decode, code_must_be_known_and_details_an_object) {
  const json good =
      kp::to_json(kp::rejection{order_uuid, kp::code::business_closed, "Closed", json::object()});
  auto with = [&](const char* k, const json& v) {
    json b = good;
    b[k] = v;
    return kp::decode_rejection(b);
  };
  EXPECT_TRUE(kp::decode_rejection(good).ok());
  expect_problem(with("code", "closed_for_lunch"), kp::code::malformed, "code");
  expect_problem(with("code", 3), kp::code::malformed, "code");
  expect_problem(with("details", "none"), kp::code::malformed, "details");
  expect_problem(with("order_id", "x"), kp::code::malformed, "order_id");
  expect_problem(with("message", std::string(501, 'm')), kp::code::malformed, "message");
  EXPECT_TRUE(with("message", std::string(500, 'm')).ok());
  json b = good;
  b.erase("details");
  expect_problem(kp::decode_rejection(b), kp::code::malformed, "details");
}

TEST(rejection_encode, long_messages_are_cut_so_the_reply_stays_decodable) {
  std::string long_msg;
  for (int i = 0; i < 600; ++i) long_msg += "\xe2\x82\xac";  // '€', 3 bytes
  const json wire = kp::to_json(kp::rejection{"", kp::code::internal, long_msg, json::object()});
  const auto back = kp::decode_rejection(wire);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(kp::utf8_length(back->message), kp::limits::max_message);
  EXPECT_TRUE(kp::is_valid_utf8(back->message));
}

TEST(rejection_encode, make_rejection_carries_a_decoder_problem) {
  const auto r = submit_with("/lines/0/qty", 0);
  ASSERT_FALSE(r.ok());
  const kp::rejection rej = kp::make_rejection(r.error(), order_uuid);
  const json wire = kp::to_json(rej);
  EXPECT_EQ(wire["code"], "invalid_quantity");
  EXPECT_EQ(wire["order_id"], order_uuid);
  EXPECT_EQ(wire["details"]["field"], "lines[0].qty");
}

TEST(order_status_decode, eta_is_optional_but_must_be_rfc3339_when_present) {
  const json good{{"order_id", order_uuid}, {"number", "A-042"}, {"state", "ready"}};
  EXPECT_TRUE(kp::decode_order_status(good).ok());
  json b = good;
  b["eta"] = "soon";
  expect_problem(kp::decode_order_status(b), kp::code::malformed, "eta");
  b = good;
  b["state"] = "eaten";
  expect_problem(kp::decode_order_status(b), kp::code::malformed, "state");
  b = good;
  b["number"] = "";
  expect_problem(kp::decode_order_status(b), kp::code::malformed, "number");
}

TEST(order_accepted_decode, eta_is_required) {
  json body = kp::to_json(kp::order_accepted{order_uuid,
                                             "A-001",
                                             kp::order_state::pending_payment,
                                             {1, "EUR"},
                                             {0, "EUR"},
                                             {0, "EUR"},
                                             {1, "EUR"},
                                             "2026-11-22T10:27:00Z"});
  body.erase("eta");
  expect_problem(kp::decode_order_accepted(body), kp::code::malformed, "eta");
}

TEST(codec_helpers, peek_order_id_only_returns_a_uuid) {
  EXPECT_EQ(kp::peek_order_id(valid_submit_body()), order_uuid);
  EXPECT_EQ(kp::peek_order_id(json{{"order_id", "nope"}}), "");
  EXPECT_EQ(kp::peek_order_id(json{{"order_id", 5}}), "");
  EXPECT_EQ(kp::peek_order_id(json::array()), "");
}

TEST(codec_helpers, utf8_validation_and_length) {
  EXPECT_TRUE(kp::is_valid_utf8(""));
  EXPECT_TRUE(kp::is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\xb0"));
  EXPECT_EQ(kp::utf8_length("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\xb0"), 8u);
  EXPECT_FALSE(kp::is_valid_utf8("\xc3"));              // truncated
  EXPECT_FALSE(kp::is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(kp::is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(kp::is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(kp::is_valid_utf8("\xff"));
  EXPECT_FALSE(kp::is_valid_utf8("\x80"));
}

TEST(codec_helpers, type_words) {
  for (const char* t : kp::types::all) {
    EXPECT_TRUE(kp::is_known_type(t)) << t;
    EXPECT_TRUE(kp::is_type_word(t)) << t;
  }
  EXPECT_FALSE(kp::is_known_type("order.cancel"));
  EXPECT_TRUE(kp::is_type_word("order.cancel"));
  EXPECT_FALSE(kp::is_type_word(""));
  EXPECT_FALSE(kp::is_type_word(".hello"));
  EXPECT_FALSE(kp::is_type_word("hello/x"));
  EXPECT_FALSE(kp::is_type_word("#"));
  EXPECT_FALSE(kp::is_type_word(std::string(65, 'a')));
}

// ---- input quirks a hostile or buggy device sends -------------------------------------------

TEST(envelope_decode, duplicate_keys_are_malformed_at_any_depth) {
  const std::string ok = envelope_text(valid_submit_body());
  ASSERT_TRUE(kp::decode_envelope(ok).ok());
  // {"v":2,"v":1}: nlohmann keeps the last, other parsers the first.
  auto r = kp::decode_envelope(R"({"v":2,"v":1,"type":"hello","id":")" + msg_uuid +
                               R"(","ts":"2026-11-22T10:15:00Z","body":{"firmware":"x","mode":"shop"}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kp::code::malformed);
  EXPECT_NE(r.error().message.find("duplicate"), std::string::npos) << r.error().message;
  // Inside the body, and inside a line of the body.
  std::string body_dup = ok;
  body_dup.replace(body_dup.find("\"order_type\""), 0, "\"order_type\":\"eat_in\",");
  EXPECT_EQ(kp::decode_envelope(body_dup).error().code, kp::code::malformed);
  std::string line_dup = ok;
  line_dup.replace(line_dup.find("\"qty\":2"), 0, "\"qty\":99,");
  EXPECT_EQ(kp::decode_envelope(line_dup).error().code, kp::code::malformed);
  // The key is named; keys are found past escapes, colons inside strings and spaces.
  auto esc = kp::decode_envelope(R"({"v":1,"type":"x","id":")" + msg_uuid +
                                 R"(","ts":"2026-11-22T10:15:00Z","body":{"a\":b" : "x\":y:", "a\":b"
 :2}})");
  ASSERT_FALSE(esc.ok());
  EXPECT_EQ(esc.error().details["key"], "a\":b") << esc.error().details.dump();
  EXPECT_TRUE(kp::decode_envelope(R"({"v":1,"type":"x","id":")" + msg_uuid +
                                  R"(","ts":"2026-11-22T10:15:00Z","body":{"a\":b" : "\"a\":b\":", "b" :
 ["a\":b", {"a\":b":[]}]}})")
                  .ok());
  // The same key in two different objects is fine.
  EXPECT_TRUE(kp::decode_envelope(R"({"v":1,"type":"x","id":")" + msg_uuid +
                                  R"(","ts":"2026-11-22T10:15:00Z","body":{"a":{"k":1},"b":{"k":1},"c":[{"k":1},{"k":2}]}})")
                  .ok());
}

TEST(envelope_decode, a_byte_order_mark_is_malformed) {
  const std::string ok = envelope_text(valid_submit_body());
  auto r = kp::decode_envelope("\xEF\xBB\xBF" + ok);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kp::code::malformed);
  EXPECT_NE(r.error().message.find("byte order mark"), std::string::npos);
}

// nlohmann reads a NUL byte as the end of the text, so "{...}\0anything" would decode as the
// message before the NUL, and a signature or fingerprint over the payload would cover bytes
// nobody read.
TEST(envelope_decode, a_nul_byte_anywhere_is_malformed) {
  const std::string ok = envelope_text(valid_submit_body());
  for (const std::string& text : {ok + std::string(1, '\0'), ok + std::string("\0{\"v\":2}", 9),
                                  std::string("\0", 1) + ok}) {
    auto r = kp::decode_envelope(text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, kp::code::malformed);
    EXPECT_NE(r.error().message.find("NUL"), std::string::npos) << r.error().message;
  }
}

TEST(envelope_decode, absurd_timestamps_are_malformed) {
  for (const std::string& ts : {std::string("0000-01-01T00:00:00Z"), std::string("2026-11-22T10:15:00+23:59"),
                               "2026-11-22T10:15:00." + std::string(1000, '9') + "Z"}) {
    json e = json::parse(envelope_text(valid_submit_body()));
    e["ts"] = ts;
    auto r = kp::decode_envelope(e.dump());
    ASSERT_FALSE(r.ok()) << ts;
    EXPECT_EQ(r.error().details.value("field", ""), "ts");
  }
}

TEST(order_submit_decode, control_and_bidi_characters_in_device_text_are_malformed) {
  // NUL, ESC, CR, LF, TAB, DEL, a C1 control, U+2028, U+202E (right-to-left override), U+2066.
  const std::vector<std::string> bad = {std::string("a\0b", 3), "a\x1b[31mb", "a\rb", "a\nb", "a\tb", "a\x7f",
                                        "a\xc2\x85" "b", "a\xe2\x80\xa8" "b", "a\xe2\x80\xae" "b", "a\xe2\x81\xa6" "b"};
  for (const auto& text : bad) {
    for (const char* ptr : {"/lines/0/note", "/customer/name", "/customer/phone", "/customer/email", "/discount_code"}) {
      auto r = submit_with(ptr, text);
      ASSERT_FALSE(r.ok()) << ptr;
      EXPECT_EQ(r.error().code, kp::code::malformed) << ptr;
      EXPECT_TRUE(r.error().details.contains("code_point")) << r.error().details.dump();
    }
    json h = {{"firmware", "kiosk " + text}, {"mode", "shop"}};
    EXPECT_FALSE(kp::decode_hello(h).ok());
  }
  // Printable non-ASCII stays fine: accents, CJK, emoji, and Arabic (right-to-left by itself).
  for (const std::string ok : {"Jos\xc3\xa9", "\xe5\xb1\xb1\xe7\x94\xb0", "\xf0\x9f\x8d\xb0", "\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85"}) {
    EXPECT_TRUE(submit_with("/customer/name", ok).ok()) << ok;
  }
}

TEST(order_submit_decode, order_id_is_canonicalised_to_lower_case) {
  auto r = submit_with("/order_id", "0B6F3C52-6A43-4C1F-9D51-2A7E8F9B1C20");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->order_id, order_uuid);
  expect_problem(submit_with("/order_id", "00000000-0000-0000-0000-000000000000"), kp::code::malformed, "order_id");
  EXPECT_EQ(kp::peek_order_id(json{{"order_id", "0B6F3C52-6A43-4C1F-9D51-2A7E8F9B1C20"}}), order_uuid);
}

TEST(error_codes, each_code_is_final_or_retryable) {
  for (auto c : {kp::code::internal, kp::code::busy, kp::code::rate_limited, kp::code::hold_limit}) {
    EXPECT_TRUE(kp::is_retryable(c)) << kp::to_string(c);
  }
  for (auto c : {kp::code::malformed, kp::code::out_of_stock, kp::code::forbidden, kp::code::order_conflict,
                 kp::code::business_closed, kp::code::too_large, kp::code::unknown_type}) {
    EXPECT_FALSE(kp::is_retryable(c)) << kp::to_string(c);
  }
}
