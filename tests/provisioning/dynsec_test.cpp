#include <gtest/gtest.h>

#include "kh/provisioning/dynsec.hpp"

namespace {

using namespace kh::provisioning;
namespace ds = kh::provisioning::dynsec;

TEST(dynsec, password_hash_is_mosquittos_pbkdf2_sha512_101) {
  // Reference: Python hashlib.pbkdf2_hmac('sha512', b'hubpw', b'0123456789ab', 101, 64), base64.
  const auto h = ds::hash_password("hubpw", "0123456789ab");
  EXPECT_EQ(h.hash, "xxaBHhK02JJO47jn02OSCgnMdy6YXPk/MryEEfxHvb0WWvug8JOqw5Hukuh5JrJxfkLLQ4/chdf1FRNA5LQbmQ==");
  EXPECT_EQ(h.salt, "MDEyMzQ1Njc4OWFi");
  EXPECT_EQ(h.iterations, 101);
  EXPECT_NE(ds::hash_password("hubpw").salt, ds::hash_password("hubpw").salt);
}

TEST(dynsec, a_device_may_write_only_its_own_up_and_presence_and_read_its_own_down_and_business) {
  const auto acls = ds::device_acls("shop-1", "cafe");
  std::vector<std::string> send, sub;
  for (const auto& a : acls) {
    EXPECT_TRUE(a.allow);
    if (a.type == "publishClientSend") send.push_back(a.topic);
    if (a.type.starts_with("subscribe")) sub.push_back(a.topic);
  }
  EXPECT_EQ(send, (std::vector<std::string>{"kh/v1/d/shop-1/up/#", "kh/v1/d/shop-1/presence"}));
  for (const auto& t : sub)
    EXPECT_TRUE(t.starts_with("kh/v1/d/shop-1/down/") || t.starts_with("kh/v1/b/cafe/")) << t;
  EXPECT_EQ(ds::device_role("shop-1"), "kh-device-shop-1");
}

TEST(dynsec, the_initial_config_has_only_the_hub_pinned_to_its_client_id_and_denies_by_default) {
  const auto c = ds::initial_config("kioskhub", "secret-password-123");
  ASSERT_EQ(c["clients"].size(), 1u);
  EXPECT_EQ(c["clients"][0]["username"], "kioskhub");
  EXPECT_EQ(c["clients"][0]["clientid"], "kioskhub");
  EXPECT_EQ(c["clients"][0].dump().find("secret-password-123"), std::string::npos);
  EXPECT_EQ(c["defaultACLAccess"]["publishClientSend"], false);
  EXPECT_EQ(c["defaultACLAccess"]["subscribe"], false);
}

TEST(dynsec, commands_carry_correlation_and_replies_are_parsed) {
  const auto req = nlohmann::json::parse(
      ds::request({ds::create_client("d1", "pw", "d1", "r1"), ds::delete_client("d2")}, "abc"));
  ASSERT_EQ(req["commands"].size(), 2u);
  EXPECT_EQ(req["commands"][0]["command"], "createClient");
  EXPECT_EQ(req["commands"][0]["clientid"], "d1");
  EXPECT_EQ(req["commands"][1]["correlationData"], "abc:1");
  const auto replies = ds::parse_response(
      R"({"responses":[{"command":"createClient","correlationData":"abc:0"},{"command":"deleteClient","error":"Client not found","correlationData":"abc:1"}]})");
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_TRUE(replies[0].error.empty());
  EXPECT_EQ(replies[1].error, "Client not found");
  EXPECT_TRUE(ds::parse_response("garbage").empty());
}

TEST(dynsec, the_broker_config_turns_anonymous_off_and_sets_limits) {
  ds::broker_config_options o;
  o.port = 8883;
  o.cafile = "/x/ca.crt";
  o.certfile = "/x/s.crt";
  o.keyfile = "/x/s.key";
  o.dynsec_file = "/x/dynsec.json";
  o.persistence_dir = "/x/data";
  const auto conf = ds::mosquitto_conf(o);
  for (const char* line : {"allow_anonymous false", "listener 8883 0.0.0.0", "certfile /x/s.crt",
                           "plugin_opt_config_file /x/dynsec.json", "persistence true", "max_packet_size",
                           "max_queued_messages", "max_inflight_messages"}) {
    EXPECT_NE(conf.find(line), std::string::npos) << line;
  }
  EXPECT_EQ(conf.find("allow_anonymous true"), std::string::npos);
}

}  // namespace
