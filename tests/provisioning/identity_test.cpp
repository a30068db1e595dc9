#include <fstream>

#include <gtest/gtest.h>

#include "kh/provisioning/files.hpp"
#include "kh/provisioning/identity.hpp"
#include "kh/provisioning/signing.hpp"
#include "kh/test/support.hpp"

namespace {

using namespace kh::provisioning;

identity sample() {
  identity id;
  id.device_id = "shop-1a2b3c4d";
  id.business_id = "cafe";
  id.mode = kh::protocol::device_mode::counter;
  id.name = "Front";
  id.broker = {"ssl://127.0.0.1:8883", "shop-1a2b3c4d", "shop-1a2b3c4d", "pw", "-----BEGIN CERTIFICATE-----\n"};
  static const auto key = signing_key::generate();
  id.hub_key = format_public_key(key.public_half());
  id.credentials_generation = 3;
  return id;
}

TEST(identity, is_saved_with_mode_0600_and_loads_back_the_same) {
  kh::test::temp_dir dir;
  const auto file = identity_path(dir.path());
  ASSERT_EQ(save_identity(file, sample()), "");
  EXPECT_EQ(file_mode(file), 0600);
  const auto back = load_identity(file);
  ASSERT_TRUE(back);
  EXPECT_EQ(to_json(*back), to_json(sample()));
  // No temp file is left next to it.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST(identity, replacing_it_is_atomic_and_keeps_0600) {
  kh::test::temp_dir dir;
  const auto file = identity_path(dir.path());
  ASSERT_EQ(save_identity(file, sample()), "");
  auto next = sample();
  next.broker.password = "new";
  next.credentials_generation = 4;
  ASSERT_EQ(save_identity(file, next), "");
  EXPECT_EQ(file_mode(file), 0600);
  EXPECT_EQ(load_identity(file)->broker.password, "new");
}

TEST(identity, bad_files_are_refused_with_the_field_named) {
  kh::test::temp_dir dir;
  const auto file = dir.path() / "identity.json";
  std::string err;
  EXPECT_FALSE(load_identity(file, &err));
  EXPECT_NE(err.find("cannot read"), std::string::npos);
  std::ofstream(file) << "{not json";
  EXPECT_FALSE(load_identity(file, &err));
  for (auto [field, value] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"device_id", "Bad/Id"}, {"mode", "kitchen"}, {"hub_key", "ed25519:AAAA"}, {"business_id", 5}}) {
    auto j = to_json(sample());
    j[field] = value;
    std::ofstream(file) << j.dump();
    EXPECT_FALSE(load_identity(file, &err)) << field;
    EXPECT_NE(err.find(field), std::string::npos) << err;
  }
  auto j = to_json(sample());
  j.erase("broker");
  std::ofstream(file) << j.dump();
  EXPECT_FALSE(load_identity(file, &err));
}

TEST(files, random_passwords_are_32_alphanumerics_and_differ) {
  const auto a = random_password(), b = random_password();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  for (char c : a) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
}

}  // namespace
