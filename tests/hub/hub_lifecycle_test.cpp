#include "kh/hub/hub.hpp"

#include <unistd.h>

#include <fstream>
#include <future>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kh/hub/ready_file.hpp"
#include "test_support.hpp"

namespace kh::hub {
namespace {

/// One HTTP/1.1 GET over loopback with Connection: close; returns the raw response.
std::string http_get(std::uint16_t port, const std::string& path) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket sock(io);
  sock.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  boost::asio::write(sock, boost::asio::buffer(req));
  std::string out;
  boost::system::error_code ec;
  boost::asio::read(sock, boost::asio::dynamic_buffer(out), ec);  // until the server closes
  return out;
}

TEST(hub_lifecycle, starts_without_a_broker_reports_unhealthy_and_stops_cleanly) {
  test::temp_dir dir;
  hub_options o;
  o.data_dir = dir.str();
  o.init = true;  // the temp dir exists and has no database yet
  o.mqtt_uri = "tcp://127.0.0.1:1";  // nothing listens on port 1: connection refused at once
  o.mqtt_client_id = "kioskhub-test";
  o.http_host = "127.0.0.1";
  o.http_port = 0;
  std::promise<std::uint16_t> ready;
  o.on_ready = [&](std::uint16_t port) { ready.set_value(port); };
  hub h(o);
  std::promise<int> exit_code;
  std::thread runner([&] { exit_code.set_value(h.run()); });
  auto port_future = ready.get_future();
  ASSERT_EQ(port_future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  const auto port = port_future.get();
  ASSERT_NE(port, 0);

  // hub.json announces the real port and our pid.
  std::ifstream in(ready_file_path(dir.str()));
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["http_port"], port);
  EXPECT_EQ(j["pid"], static_cast<long>(::getpid()));

  const auto health = http_get(port, "/healthz");
  EXPECT_NE(health.find(" 503 "), std::string::npos) << health;
  EXPECT_NE(health.find("mqtt broker not connected"), std::string::npos) << health;
  const auto body = nlohmann::json::parse(health.substr(health.find("\r\n\r\n") + 4));
  EXPECT_EQ(body["database"], "ok") << "the start-up write probe succeeded";
  EXPECT_EQ(body["last_write"]["ok"], true);
  EXPECT_EQ(body["last_write"]["what"], "probe");
  const auto metrics = http_get(port, "/metrics");
  EXPECT_NE(metrics.find(" 200 "), std::string::npos);
  EXPECT_NE(metrics.find("kh_orders_accepted_total 0"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("# TYPE kh_order_latency_seconds histogram"), std::string::npos);

  h.stop();
  auto code = exit_code.get_future();
  ASSERT_EQ(code.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  runner.join();
  EXPECT_EQ(code.get(), 0);
  EXPECT_FALSE(std::filesystem::exists(ready_file_path(dir.str())));
  EXPECT_TRUE(std::filesystem::exists(database_path(dir.str())));
}

TEST(hub_lifecycle, a_bad_broker_uri_is_a_startup_error) {
  test::temp_dir dir;
  hub_options o;
  o.data_dir = dir.str();
  o.init = true;
  o.mqtt_uri = "carrier-pigeon://nowhere";
  EXPECT_THROW(hub h(o), std::exception);
}

// A 0-byte kioskhub.db used to be treated as a new, empty store: every device then forbidden.
TEST(hub_lifecycle, an_existing_data_dir_without_a_database_is_refused_unless_told_to_init) {
  for (const bool zero_byte_file : {false, true}) {
    test::temp_dir dir;
    if (zero_byte_file) std::ofstream(database_path(dir.str())).flush();
    hub_options o;
    o.data_dir = dir.str();
    o.mqtt_uri = "tcp://127.0.0.1:1";
    try {
      hub h(o);
      ADD_FAILURE() << "started on an empty store (zero_byte_file=" << zero_byte_file << ")";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("kioskhub init"), std::string::npos) << e.what();
    }
    EXPECT_EQ(std::filesystem::exists(database_path(dir.str())), zero_byte_file) << "nothing created";
    o.init = true;
    EXPECT_NO_THROW(hub h(o));
    EXPECT_GT(std::filesystem::file_size(database_path(dir.str())), 0u);
    o.init = false;
    EXPECT_NO_THROW(hub h(o)) << "an initialised store starts without --init";
  }
  // A data dir that does not exist yet is a new installation.
  test::temp_dir parent;
  hub_options o;
  o.data_dir = (parent.path() / "new").string();
  o.mqtt_uri = "tcp://127.0.0.1:1";
  EXPECT_NO_THROW(hub h(o));
}

TEST(hub_lifecycle, parse_host_port_accepts_host_and_port_only) {
  EXPECT_EQ(parse_host_port("127.0.0.1:8080"), std::make_pair(std::string("127.0.0.1"), std::uint16_t{8080}));
  EXPECT_EQ(parse_host_port("[::1]:0"), std::make_pair(std::string("::1"), std::uint16_t{0}));
  EXPECT_FALSE(parse_host_port("127.0.0.1").has_value());
  EXPECT_FALSE(parse_host_port("127.0.0.1:99999").has_value());
  EXPECT_FALSE(parse_host_port(":80").has_value());
  EXPECT_FALSE(parse_host_port("host:8o").has_value());
}

}  // namespace
}  // namespace kh::hub
