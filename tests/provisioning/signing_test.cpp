#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "kh/protocol/codec.hpp"
#include "kh/provisioning/files.hpp"
#include "kh/provisioning/signing.hpp"
#include "kh/test/support.hpp"

namespace {

using namespace kh::provisioning;
using nlohmann::json;

json sample_catalog() {
  return json::parse(R"({"v":1,"type":"catalog","id":"7d7c2f4e-1b2a-4c3d-8e9f-0a1b2c3d4e5f",
    "ts":"2026-11-22T10:00:00Z","body":{"business_id":"cafe","version":7,"currency":"EUR",
    "categories":[],"products":[{"id":"croissant","name":"Croissant","price":{"amount":250,"currency":"EUR"}}]}})");
}

TEST(signing, a_signed_envelope_verifies_with_the_signers_key_only) {
  const auto k = signing_key::generate();
  const auto other = signing_key::generate();
  auto env = sample_catalog();
  k.sign(env);
  EXPECT_EQ(verify(env, k.public_half()), verify_error::ok);
  EXPECT_EQ(verify(env, other.public_half()), verify_error::wrong_key);
  // Signed by another key that claims this key's id: the signature itself fails.
  auto forged = sample_catalog();
  other.sign(forged);
  forged["sig"]["kid"] = key_id(k.public_half());
  EXPECT_EQ(verify(forged, k.public_half()), verify_error::bad_signature);
}

TEST(signing, any_change_to_body_type_id_or_ts_breaks_the_signature) {
  const auto k = signing_key::generate();
  auto env = sample_catalog();
  k.sign(env);
  auto body = env;
  body["body"]["version"] = 999999;
  EXPECT_EQ(verify(body, k.public_half()), verify_error::bad_signature);
  auto price = env;
  price["body"]["products"][0]["price"]["amount"] = 1;
  EXPECT_EQ(verify(price, k.public_half()), verify_error::bad_signature);
  auto type = env;
  type["type"] = "config";
  EXPECT_EQ(verify(type, k.public_half()), verify_error::bad_signature);
  auto ts = env;
  ts["ts"] = "2026-11-22T10:00:01Z";
  EXPECT_EQ(verify(ts, k.public_half()), verify_error::bad_signature);
  auto added = env;
  added["body"]["store_profile"] = {{"name", "x"}};
  EXPECT_EQ(verify(added, k.public_half()), verify_error::bad_signature);
}

TEST(signing, the_body_is_signed_as_a_whole_whatever_its_fields_or_their_order) {
  const auto k = signing_key::generate();
  auto env = sample_catalog();
  env["body"]["store_profile"] = {{"name", "Café Aurora"}, {"options", json::array({1, 2})}};
  k.sign(env);
  // Re-serialised with indentation and members in another order: still the same document.
  const std::string text = env.dump(2);
  EXPECT_EQ(verify_payload(text, k.public_half()), verify_error::ok);
  const std::string reordered =
      R"({"sig":)" + env["sig"].dump() + R"(,"body":)" + env["body"].dump(1) + R"(,"ts":")" +
      env["ts"].get<std::string>() + R"(","type":"catalog","id":")" + env["id"].get<std::string>() + R"(","v":1})";
  EXPECT_EQ(verify_payload(reordered, k.public_half()), verify_error::ok);
}

TEST(signing, unsigned_and_malformed_signatures_are_told_apart) {
  const auto k = signing_key::generate();
  EXPECT_EQ(verify(sample_catalog(), k.public_half()), verify_error::missing_signature);
  auto env = sample_catalog();
  env["sig"] = "nope";
  EXPECT_EQ(verify(env, k.public_half()), verify_error::malformed);
  env["sig"] = {{"alg", "ed25519"}, {"value", "!!!"}};
  EXPECT_EQ(verify(env, k.public_half()), verify_error::malformed);
  env["sig"] = {{"alg", "rsa"}, {"value", "AAAA"}};
  EXPECT_EQ(verify(env, k.public_half()), verify_error::malformed);
  EXPECT_EQ(verify_payload("not json", k.public_half()), verify_error::malformed);
}

TEST(signing, a_signed_envelope_still_decodes_as_a_protocol_envelope) {
  // Receivers that do not check signatures ignore the extra member.
  const auto k = signing_key::generate();
  const auto payload = k.sign_payload(sample_catalog().dump());
  auto env = kh::protocol::decode_envelope(payload);
  ASSERT_TRUE(env) << env.error().message;
  EXPECT_EQ(env->type, "catalog");
}

TEST(signing, the_key_file_is_made_once_with_mode_0600_and_reloaded) {
  kh::test::temp_dir dir;
  const auto file = dir.path() / "signing.key";
  const auto k1 = signing_key::load_or_create(file);
  EXPECT_EQ(file_mode(file), 0600);
  const auto k2 = signing_key::load_or_create(file);
  EXPECT_EQ(k1.public_half(), k2.public_half());
  std::ofstream(file) << "garbage\n";
  EXPECT_THROW(signing_key::load_or_create(file), std::runtime_error);
}

TEST(signing, public_keys_round_trip_and_bad_ones_are_refused) {
  const auto k = signing_key::generate();
  const auto text = format_public_key(k.public_half());
  ASSERT_TRUE(text.starts_with("ed25519:"));
  EXPECT_EQ(parse_public_key(text), k.public_half());
  EXPECT_FALSE(parse_public_key("ed25519:AAAA"));
  EXPECT_FALSE(parse_public_key(text.substr(8)));
  EXPECT_FALSE(parse_public_key("rsa:" + text.substr(8)));
}

// docs/provisioning.md carries a signed catalog made with the documented example seed; it must
// verify with the documented public key, and stop verifying when its price is changed.
TEST(signing, the_documented_example_verifies) {
  std::ifstream f(std::string(KH_SOURCE_DIR) + "/docs/provisioning.md");
  ASSERT_TRUE(f) << "docs/provisioning.md missing";
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string doc = ss.str();
  const auto start = doc.find("```json signed-catalog");
  ASSERT_NE(start, std::string::npos);
  const auto body_start = doc.find('\n', start) + 1;
  const auto end = doc.find("```", body_start);
  const std::string example = doc.substr(body_start, end - body_start);
  const auto seed = std::string("kioskhub-documentation-example-1");
  const auto k = signing_key::from_seed(seed);
  const auto key_pos = doc.find("ed25519:", doc.find("documentation key"));
  ASSERT_NE(key_pos, std::string::npos);
  const auto key_text = doc.substr(key_pos, doc.find_first_of("` \n", key_pos) - key_pos);
  EXPECT_EQ(key_text, format_public_key(k.public_half()));
  auto env = json::parse(example);
  auto resigned = env;
  k.sign(resigned);
  EXPECT_EQ(verify(env, k.public_half()), verify_error::ok) << "expected sig: " << resigned["sig"].dump();
  env["body"]["products"][0]["price"]["amount"] = 1;
  EXPECT_EQ(verify(env, k.public_half()), verify_error::bad_signature);
}

}  // namespace
