#include <gtest/gtest.h>

#include "kh/provisioning/tokens.hpp"

namespace {

using namespace kh::provisioning;

TEST(tokens, made_tokens_parse_back_and_are_random) {
  const auto a = make_token(token_kind::enrollment);
  const auto b = make_token(token_kind::enrollment);
  EXPECT_NE(a.text(), b.text());
  EXPECT_TRUE(a.text().starts_with("khe1."));
  const auto p = parse_token(a.text());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, token_kind::enrollment);
  EXPECT_EQ(p->id, a.id);
  EXPECT_EQ(p->secret, a.secret);
  EXPECT_TRUE(make_token(token_kind::api).text().starts_with("kha1."));
}

TEST(tokens, anything_not_exactly_a_token_is_refused) {
  const auto t = make_token(token_kind::api).text();
  EXPECT_FALSE(parse_token(""));
  EXPECT_FALSE(parse_token("kha2" + t.substr(4)));
  EXPECT_FALSE(parse_token(t + "x"));
  EXPECT_FALSE(parse_token(t.substr(0, t.size() - 1)));
  std::string upper = t;
  upper[5] = 'G';  // not hex
  EXPECT_FALSE(parse_token(upper));
  std::string slash = t;
  slash.back() = '/';  // not base64url
  EXPECT_FALSE(parse_token(slash));
}

TEST(tokens, the_stored_hash_matches_only_the_same_secret) {
  const auto t = make_token(token_kind::api);
  const auto h = secret_hash(t.secret);
  EXPECT_EQ(h.size(), 64u);
  EXPECT_TRUE(hashes_equal(h, secret_hash(t.secret)));
  auto tampered = t.secret;
  tampered[0] = tampered[0] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(hashes_equal(h, secret_hash(tampered)));
  EXPECT_EQ(h.find(t.secret), std::string::npos);
}

TEST(enrollment_uri, round_trips_for_http_https_and_ipv6) {
  const auto tok = make_token(token_kind::enrollment).text();
  auto u = make_enrollment_uri("http://127.0.0.1:8080/", tok);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->text(), "kioskhub+http://127.0.0.1:8080/enroll/" + tok);
  auto back = parse_enrollment_uri(u->text());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->hub_url(), "http://127.0.0.1:8080");
  EXPECT_EQ(back->token, tok);
  auto s = make_enrollment_uri("https://[::1]:8443", tok);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->text(), "kioskhub+https://[::1]:8443/enroll/" + tok);
  EXPECT_EQ(parse_enrollment_uri(s->text())->hub_url(), "https://[::1]:8443");
}

TEST(enrollment_uri, malformed_ones_are_refused) {
  const auto tok = make_token(token_kind::enrollment).text();
  const auto api = make_token(token_kind::api).text();
  EXPECT_FALSE(parse_enrollment_uri("http://127.0.0.1:8080/enroll/" + tok));
  EXPECT_FALSE(parse_enrollment_uri("kioskhub+http://127.0.0.1/enroll/" + tok));      // no port
  EXPECT_FALSE(parse_enrollment_uri("kioskhub+http://127.0.0.1:0/enroll/" + tok));
  EXPECT_FALSE(parse_enrollment_uri("kioskhub+http://127.0.0.1:8080/join/" + tok));
  EXPECT_FALSE(parse_enrollment_uri("kioskhub+http://127.0.0.1:8080/enroll/" + api));  // not an enrollment token
  EXPECT_FALSE(parse_enrollment_uri("kioskhub+http://127.0.0.1:8080/enroll/" + tok + "?x"));
  EXPECT_FALSE(make_enrollment_uri("ftp://host:1", tok));
}

}  // namespace
