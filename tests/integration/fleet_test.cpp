// Fleet security end to end (issue 8) on a real Mosquitto with the dynamic security plugin and a
// TLS listener, everything made by the project's own tools: `kioskctl ca init|issue` makes the
// certificates, `kioskctl broker-config` the broker configuration (anonymous off), `kioskhub
// api-token create` the API token, `kioskctl enroll create` the enrollment token, and a real
// `kiosk` process enrolls with it.
#include <signal.h>

#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "hub_fixture.hpp"
#include "kh/provisioning/dynsec.hpp"
#include "kh/provisioning/files.hpp"
#include "kh/provisioning/http_client.hpp"
#include "kh/provisioning/identity.hpp"
#include "kh/provisioning/signing.hpp"
#include "kh/provisioning/tokens.hpp"

namespace kh::test {
namespace {

namespace fs = std::filesystem;
namespace prov = kh::provisioning;

std::string slurp(const fs::path& p) { return prov::read_file(p).value_or(""); }

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

run_result kioskctl(std::vector<std::string> args, const fs::path& log) {
  args.insert(args.begin(), (bin_dir() / "kioskctl").string());
  return run(args, 60s, log);
}

// The secure broker: CA + server certificate, broker config by kioskctl, plus one account the
// test adds itself ("intruder", allowed to write anything under kh/) to stand for a compromised
// or misconfigured client that can write the catalog topics.
struct secure_broker {
  temp_dir dir;
  std::uint16_t port = 0;
  fs::path ca;
  std::string hub_password;
  std::string intruder_password = prov::random_password();
  std::unique_ptr<mosquitto> broker;

  secure_broker() {
    const auto log = dir.path() / "tools.log";
    auto r = kioskctl({"ca", "init", "--dir", (dir.path() / "ca").string()}, log);
    if (r.code != 0) throw std::runtime_error("ca init failed: " + slurp(log));
    r = kioskctl({"ca", "issue", "--dir", (dir.path() / "ca").string(), "--name", "localhost", "--ip", "127.0.0.1"}, log);
    if (r.code != 0) throw std::runtime_error("ca issue failed: " + slurp(log));
    ca = dir.path() / "ca" / "ca.crt";
    port = free_port();
    std::vector<std::string> args{"broker-config", "--out", (dir.path() / "broker").string(), "--listen",
                                  "127.0.0.1:" + std::to_string(port), "--cafile", ca.string(), "--certfile",
                                  (dir.path() / "ca" / "localhost.crt").string(), "--keyfile",
                                  (dir.path() / "ca" / "localhost.key").string(), "--log-file",
                                  (dir.path() / "broker" / "mosquitto.log").string()};
    if (::geteuid() == 0) args.push_back("--as-root");
    r = kioskctl(args, log);
    if (r.code != 0) throw std::runtime_error("broker-config failed: " + slurp(log));
    hub_password = trim(slurp(dir.path() / "broker" / "hub-password"));
    // The intruder account, added to the broker's accounts before it starts.
    const auto ds_file = dir.path() / "broker" / "dynamic-security.json";
    auto ds = json::parse(slurp(ds_file));
    const auto h = prov::dynsec::hash_password(intruder_password);
    ds["clients"].push_back({{"username", "intruder"}, {"password", h.hash}, {"salt", h.salt},
                             {"iterations", h.iterations}, {"roles", json::array({{{"rolename", "intruder"}}})}});
    ds["roles"].push_back({{"rolename", "intruder"},
                           {"acls", json::array({{{"acltype", "publishClientSend"}, {"topic", "kh/#"}, {"allow", true}},
                                                 {{"acltype", "subscribePattern"}, {"topic", "kh/#"}, {"allow", true}}})}});
    prov::write_file_atomic(ds_file, ds.dump(), 0600);
    broker = std::make_unique<mosquitto>(dir.path() / "broker" / "mosquitto.conf", port);
  }
  std::string url() const { return "ssl://localhost:" + std::to_string(port); }
  std::string log() const { return slurp(dir.path() / "broker" / "mosquitto.log") + broker->log(); }
};

// An MQTT client with an account, over TLS, collecting what it receives.
class tls_client {
 public:
  tls_client(const secure_broker& b, std::string client_id, std::string user, std::string password,
             std::vector<std::string> subs = {}, bool wait = true) {
    mqtt::options o;
    o.uri = b.url();
    o.ca_file = b.ca.string();
    o.client_id = std::move(client_id);
    o.username = std::move(user);
    o.password = std::move(password);
    o.clean_session = true;
    o.min_retry = 200ms;
    c_ = std::make_unique<mqtt::client>(o);
    std::vector<mqtt::subscription> s;
    for (auto& f : subs) s.push_back({f, 1});
    c_->subscribe_on_connect(std::move(s));
    c_->on_message([this](mqtt::message m) {
      std::lock_guard lk(mu_);
      got_.push_back(std::move(m));
      cv_.notify_all();
    });
    up_ = c_->start(wait);
  }
  ~tls_client() { c_->stop(); }
  bool up() const { return up_; }
  mqtt::client& client() { return *c_; }
  std::vector<mqtt::message> received() {
    std::lock_guard lk(mu_);
    return got_;
  }
  /// Waits for a message on `topic`; its payload, or nullopt.
  std::optional<std::string> wait_for(const std::string& topic, std::chrono::milliseconds t = 10s) {
    std::unique_lock lk(mu_);
    std::optional<std::string> out;
    cv_.wait_for(lk, t, [&] {
      for (const auto& m : got_)
        if (m.topic == topic) {
          out = m.payload;
          return true;
        }
      return false;
    });
    return out;
  }
  bool received_on(const std::string& prefix) {
    std::lock_guard lk(mu_);
    for (const auto& m : got_)
      if (m.topic.starts_with(prefix)) return true;
    return false;
  }

 private:
  std::unique_ptr<mqtt::client> c_;
  bool up_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<mqtt::message> got_;
};

class fleet : public ::testing::Test {
 protected:
  void SetUp() override {
    sb_ = std::make_unique<secure_broker>();
    h_ = std::make_unique<hub>(*sb_->broker);
    // A second business, whose catalog devices of the first must not be able to read.
    {
      db d(h_->db_file());
      d.exec("INSERT INTO businesses (id, slug, name, created_at_ms) VALUES ('other-biz', 'other', 'Other', 0)");
    }
    https_port_ = free_port();
    const auto ca_dir = sb_->dir.path() / "ca";
    h_->serve_with({"--mqtt", sb_->url(), "--mqtt-ca", sb_->ca.string(), "--mqtt-username", "kioskhub",
                    "--manage-broker", "--log-level", "debug", "--https", "127.0.0.1:" + std::to_string(https_port_),
                    "--tls-cert", (ca_dir / "localhost.crt").string(), "--tls-key", (ca_dir / "localhost.key").string(),
                    "--public-url", https_url()},
                   {"KH_MQTT_PASSWORD=" + sb_->hub_password});
    auto r = run({(bin_dir() / "kioskhub").string(), "api-token", "create", "--data", h_->data().string(),
                  "--business", h_->business_id()},
                 30s, h_->data() / "token.stderr");
    ASSERT_EQ(r.code, 0) << slurp(h_->data() / "token.stderr");
    api_token_ = trim(r.out);
    ASSERT_TRUE(prov::parse_token(api_token_));
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "---- hub log\n" << h_->log() << "\n---- broker log\n" << sb_->log() << "\n";
    }
    h_.reset();
    sb_.reset();
  }

  std::string hub_url() const { return "http://127.0.0.1:" + std::to_string(h_->http_port()); }
  // The same API over HTTPS (the certificate names localhost), where enrollment URIs point.
  std::string https_url() const { return "https://localhost:" + std::to_string(https_port_); }

  prov::http_reply api(const std::string& method, const std::string& path, const json& body = nullptr,
                       std::string token = {}) {
    prov::http_call c;
    c.method = method;
    c.url = hub_url() + path;
    c.bearer = token.empty() ? api_token_ : token;
    if (!body.is_null()) c.body = body.dump();
    return prov::http_send(c);
  }

  // A new enrollment token through the API, and the identity the hub makes for it.
  json new_token(const std::string& mode = "shop", const std::string& name = "Test device") {
    auto r = api("POST", "/api/v1/enrollment-tokens", {{"mode", mode}, {"name", name}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }
  prov::identity enroll_raw(const std::string& mode = "shop") {
    auto t = new_token(mode);
    std::string err;
    auto id = prov::enroll(t["uri"].get<std::string>(), &err, sb_->ca.string());
    if (!id) throw std::runtime_error("enroll failed: " + err);
    secrets_.push_back(id->broker.password);
    secrets_.push_back(prov::parse_token(t["token"].get<std::string>())->secret);
    return *id;
  }
  std::unique_ptr<tls_client> connect(const prov::identity& id, std::vector<std::string> subs = {}, bool wait = true) {
    return std::make_unique<tls_client>(*sb_, id.broker.client_id, id.broker.username, id.broker.password,
                                        std::move(subs), wait);
  }
  // The retained catalog as a device of the business reads it now (through a watcher account).
  json catalog() {
    if (!watcher_) watcher_ = enroll_raw();
    const auto topic = protocol::topics::business_catalog(h_->business_id());
    auto c = connect(*watcher_, {topic});
    auto p = c->wait_for(topic);
    if (!p) throw std::runtime_error("no retained catalog");
    return json::parse(*p);
  }
  json product_with_stock(std::int64_t min_stock) {
    const auto products = catalog()["body"]["products"];  // by value: a member of a temporary dies
    for (const auto& p : products)
      if (p["available"] == true && (p["stock"].is_null() || p["stock"].get<std::int64_t>() >= min_stock)) return p;
    return json();
  }
  json device_json(const std::string& id) {
    auto r = api("GET", "/api/v1/devices/" + id);
    return r.status == 200 ? r.json() : json();
  }

  std::unique_ptr<secure_broker> sb_;
  std::unique_ptr<hub> h_;
  std::string api_token_;
  std::vector<std::string> secrets_;
  std::optional<prov::identity> watcher_;
  std::uint16_t https_port_ = 0;
};

// A real kiosk process enrolled from a kioskctl token.
class enrolled_kiosk {
 public:
  enrolled_kiosk(const std::string& uri, std::vector<std::string> extra) {
    std::vector<std::string> argv{(bin_dir() / "kiosk").string(), "--headless", "--data", dir_.str(), "--enroll", uri,
                                  "--log-level", "debug"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<process>(process::options{
        .argv = argv, .pipe_stdin = true, .pipe_stdout = true, .stderr_file = dir_.path() / "kiosk.stderr"});
  }
  json until(const std::string& key, const std::string& value, std::chrono::milliseconds t = 20s) {
    auto line = proc_->read_until(
        [&](const std::string& l) {
          auto j = json::parse(l, nullptr, false);
          return j.is_object() && j.contains(key) && j[key].is_string() && j[key] == value;
        },
        t);
    return line ? json::parse(*line) : json();
  }
  json status() {
    proc_->write_line("status");
    return until("cmd", "status");
  }
  process& proc() { return *proc_; }
  fs::path identity() const { return prov::identity_path(dir_.path()); }
  std::string log() const { return slurp(dir_.path() / "kiosk.stderr"); }

 private:
  temp_dir dir_;
  std::unique_ptr<process> proc_;
};

TEST_F(fleet, a_kiosk_enrolls_from_a_kioskctl_token_over_tls_and_orders) {
  const auto qr = h_->data() / "enroll.png";
  // Over HTTPS, trusting the store's CA.
  auto r = kioskctl({"enroll", "create", "--hub", https_url(), "--ca", sb_->ca.string(), "--token", api_token_,
                     "--mode", "shop", "--name", "Front kiosk", "--qr", qr.string()},
                    h_->data() / "kioskctl.stderr");
  ASSERT_EQ(r.code, 0) << slurp(h_->data() / "kioskctl.stderr");
  const auto uri = r.out.substr(0, r.out.find('\n'));
  ASSERT_TRUE(prov::parse_enrollment_uri(uri)) << r.out;
  EXPECT_TRUE(uri.starts_with("kioskhub+https://localhost:")) << uri;
  // Without the CA the hub's certificate is not trusted.
  {
    std::string err;
    EXPECT_FALSE(prov::enroll(uri, &err));
    EXPECT_TRUE(err.starts_with("unreachable")) << err;
  }
  // The QR code says the same as the text (read by an independent decoder).
  auto z = run({"/usr/bin/zbarimg", "--quiet", "--raw", qr.string()}, 30s);
  EXPECT_EQ(trim(z.out), uri);

  enrolled_kiosk k(uri, {"--enroll-ca", sb_->ca.string()});
  // The retained catalog can be handed over before the connection event: wait for the catalog.
  ASSERT_FALSE(k.until("event", "catalog").is_null()) << k.log();
  EXPECT_EQ(prov::file_mode(k.identity()), 0600);
  auto id = prov::load_identity(k.identity());
  ASSERT_TRUE(id);
  EXPECT_EQ(id->business_id, h_->business_id());
  EXPECT_EQ(id->broker.url, sb_->url());
  EXPECT_FALSE(id->broker.password.empty());
  EXPECT_NE(id->broker.ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);

  const auto p = product_with_stock(1);
  ASSERT_FALSE(p.is_null());
  k.proc().write_line("order " + p["sku"].get<std::string>() + ":1 takeaway cash");
  auto accepted = k.until("event", "accepted");
  ASSERT_FALSE(accepted.is_null()) << k.log();
  db d(h_->db_file());
  EXPECT_EQ(d.count("SELECT COUNT(*) FROM orders WHERE device_id = '" + id->device_id + "'"), 1);
  EXPECT_EQ(d.scalar("SELECT used_at_ms IS NOT NULL FROM enrollment_tokens"), "1");

  // Killed: the broker publishes its Last Will at once and the hub marks it offline.
  ASSERT_TRUE(eventually([&] { return d.count("SELECT online FROM devices WHERE id = '" + id->device_id + "'") == 1; }));
  k.proc().signal(SIGKILL);
  EXPECT_TRUE(eventually([&] { return d.count("SELECT online FROM devices WHERE id = '" + id->device_id + "'") == 0; },
                         30s));
}

TEST_F(fleet, used_expired_tampered_and_other_business_tokens_are_refused_with_codes) {
  auto t = new_token();
  const auto token = t["token"].get<std::string>();
  std::string err;
  ASSERT_TRUE(prov::enroll(t["uri"].get<std::string>(), &err, sb_->ca.string())) << err;
  EXPECT_FALSE(prov::enroll(t["uri"].get<std::string>(), &err, sb_->ca.string()));
  EXPECT_TRUE(err.starts_with("token_used")) << err;

  auto t2 = new_token();
  auto tampered = t2["uri"].get<std::string>();
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(prov::enroll(tampered, &err, sb_->ca.string()));
  EXPECT_TRUE(err.starts_with("token_invalid")) << err;

  // Expired: the row says it expired a second ago.
  auto t3 = new_token();
  {
    db d(h_->db_file());
    d.exec("UPDATE enrollment_tokens SET expires_at_ms = 1000 WHERE id = '" + t3["id"].get<std::string>() + "'");
  }
  EXPECT_FALSE(prov::enroll(t3["uri"].get<std::string>(), &err, sb_->ca.string()));
  EXPECT_TRUE(err.starts_with("token_expired")) << err;

  // A kiosk told to belong to another business refuses a token of this one; nothing is used up.
  auto t4 = new_token();
  prov::http_call c;
  c.method = "POST";
  c.url = hub_url() + "/api/v1/enroll";
  c.body = json{{"token", t4["token"]}, {"business", "other-biz"}}.dump();
  auto r = prov::http_send(c);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json().value("code", ""), "token_other_business");
  // An API token cannot make tokens for another business.
  r = api("POST", "/api/v1/enrollment-tokens", {{"mode", "shop"}, {"name", "x"}, {"business", "other-biz"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json().value("code", ""), "forbidden_business");
  r = api("GET", "/api/v1/devices", nullptr, "kha1.0000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(r.status, 401);

  db d(h_->db_file());
  EXPECT_EQ(d.count("SELECT COUNT(*) FROM devices WHERE id LIKE 'shop-%'"), 1);  // only the first one
  EXPECT_TRUE(prov::enroll(t4["uri"].get<std::string>(), &err, sb_->ca.string())) << err;          // still usable
}

TEST_F(fleet, a_device_cannot_act_as_another_device_or_the_hub_and_the_hub_sees_none_of_it) {
  const auto a = enroll_raw();
  const auto b = enroll_raw();
  const auto biz = h_->business_id();
  // A asks for B's downlink and the other business' catalog (refused by the broker), then for its
  // own business' catalog (allowed); retained messages come in subscription order.
  auto ca = connect(a, {protocol::topics::device_down_filter(b.device_id), "kh/v1/b/other-biz/catalog",
                        protocol::topics::device_down_filter(a.device_id), protocol::topics::business_orders(biz),
                        protocol::topics::business_catalog(biz)});
  ASSERT_TRUE(ca->up());
  ASSERT_TRUE(ca->wait_for(protocol::topics::business_catalog(biz)));
  EXPECT_FALSE(ca->received_on("kh/v1/b/other-biz/"));

  // A writes as B: hello, an order and B's presence. Then its own hello.
  auto env = [](const std::string& type, json body) {
    return protocol::make_message(type, std::move(body));
  };
  const auto p = product_with_stock(1);
  ca->client().publish(protocol::topics::device_up(b.device_id, "hello"),
                       env("hello", {{"firmware", "forged"}, {"mode", "shop"}}));
  ca->client().publish(protocol::topics::device_up(b.device_id, "order.submit"),
                       env("order.submit", order_body({{p["id"], 1}})));
  ca->client().publish(protocol::topics::presence(b.device_id), "online", 1, true);
  ca->client().publish(protocol::topics::device_up(a.device_id, "hello"),
                       env("hello", {{"firmware", "kiosk-a"}, {"mode", "shop"}}));
  db d(h_->db_file());
  // A's own hello arrived, so anything it sent before would have arrived before it.
  ASSERT_TRUE(eventually([&] { return d.scalar("SELECT firmware FROM devices WHERE id = '" + a.device_id + "'") == "kiosk-a"; }));
  EXPECT_EQ(d.scalar("SELECT firmware FROM devices WHERE id = '" + b.device_id + "'"), std::nullopt);
  EXPECT_EQ(d.count("SELECT online FROM devices WHERE id = '" + b.device_id + "'"), 0);
  EXPECT_EQ(d.count("SELECT COUNT(*) FROM orders"), 0);

  // B orders; its answer goes to B's down/, which A cannot read.
  auto cb = connect(b, {protocol::topics::device_down_filter(b.device_id)});
  ASSERT_TRUE(cb->up());
  const auto order = order_body({{p["id"], 1}});
  cb->client().publish(protocol::topics::device_up(b.device_id, "order.submit"), env("order.submit", order));
  ASSERT_TRUE(cb->wait_for(protocol::topics::device_down(b.device_id, "order.accepted")));
  // The status on the business topic is published after B's answer: A has it, so it would have
  // had B's answer by now too.
  ASSERT_TRUE(ca->wait_for(protocol::topics::business_orders(biz)));
  EXPECT_FALSE(ca->received_on("kh/v1/d/" + b.device_id + "/"));

  // Neither A's account with the hub's client id, nor anonymous, nor a wrong password get in.
  // (Started together: each TLS connect costs Paho about 2 s on this machine.)
  tls_client as_hub(*sb_, "kioskhub", a.broker.username, a.broker.password, {}, false);
  tls_client anonymous(*sb_, "anon-1", "", "", {}, false);
  tls_client wrong(*sb_, a.device_id, a.broker.username, a.broker.password + "x", {}, false);
  ASSERT_TRUE(eventually([&] {
    for (auto* c : {&as_hub, &anonymous, &wrong})
      if (c->client().connected() || c->client().last_error().empty()) return false;
    return true;
  }, 15s));
  // The hub kept its session all along.
  EXPECT_EQ(http_get(h_->http_port(), "/healthz").status, 200);
  EXPECT_NE(http_get(h_->http_port(), "/metrics").body.find("kh_mqtt_connected 1"), std::string::npos);
}

TEST_F(fleet, a_forged_retained_catalog_is_ignored_by_kiosks_and_the_hub_restores_its_own) {
  auto t = new_token();
  enrolled_kiosk k(t["uri"].get<std::string>(), {"--enroll-ca", sb_->ca.string()});
  ASSERT_FALSE(k.until("event", "catalog").is_null()) << k.log();
  const auto before = k.status();
  const auto version = before["catalog_version"].get<std::int64_t>();
  const auto id = prov::load_identity(k.identity());
  ASSERT_TRUE(id);
  const auto hub_key = *prov::parse_public_key(id->hub_key);

  const auto topic = protocol::topics::business_catalog(h_->business_id());
  auto forged = catalog();  // a real catalog, then changed
  forged.erase("sig");
  forged["body"]["version"] = 999999;
  forged["body"]["products"] = json::array({forged["body"]["products"][0]});
  forged["body"]["products"][0]["price"]["amount"] = 1;
  auto other_signed = forged;
  prov::signing_key::generate().sign(other_signed);

  tls_client intruder(*sb_, "intruder-1", "intruder", sb_->intruder_password);
  ASSERT_TRUE(intruder.up());
  for (const auto& payload : {forged.dump(), other_signed.dump()}) {
    ASSERT_TRUE(intruder.client().publish_and_wait(topic, payload, 1, true));
  }
  // The kiosk rejected both (whatever their version) and keeps the hub's catalog.
  ASSERT_TRUE(eventually([&] { return k.status()["rejected_unsigned"].get<int>() >= 2; }, 10s)) << k.log();
  EXPECT_EQ(k.status()["catalog_version"], version);
  // The hub put its own back: what a device that subscribes now gets verifies with the hub key.
  ASSERT_TRUE(eventually(
      [&] {
        auto c = catalog();
        return prov::verify(c, hub_key) == prov::verify_error::ok && c["body"]["version"] != 999999;
      },
      10s));
  EXPECT_NE(http_get(h_->http_port(), "/metrics").body.find("kh_catalog_restores_total"), std::string::npos);
}

TEST_F(fleet, revoked_devices_are_kicked_and_refused_rotated_credentials_replace_the_old_ones) {
  auto t = new_token();
  enrolled_kiosk k(t["uri"].get<std::string>(), {"--enroll-ca", sb_->ca.string()});
  ASSERT_FALSE(k.until("event", "connected").is_null()) << k.log();
  const auto before = *prov::load_identity(k.identity());
  secrets_.push_back(before.broker.password);

  auto r = kioskctl({"devices", "rotate", before.device_id, "--hub", hub_url(), "--token", api_token_},
                    h_->data() / "kioskctl.stderr");
  ASSERT_EQ(r.code, 0) << slurp(h_->data() / "kioskctl.stderr");
  ASSERT_TRUE(eventually(
      [&] {
        auto j = device_json(before.device_id);
        return j.is_object() && j["credentials"]["generation"] == 2 && j["credentials"]["rotation_pending"] == false;
      },
      20s))
      << device_json(before.device_id).dump() << k.log();
  const auto after = *prov::load_identity(k.identity());
  secrets_.push_back(after.broker.password);
  EXPECT_EQ(after.credentials_generation, 2);
  EXPECT_NE(after.broker.password, before.broker.password);
  EXPECT_EQ(prov::file_mode(k.identity()), 0600);
  // The kiosk was moved over to the new password and orders again.
  ASSERT_FALSE(k.until("event", "connected", 20s).is_null()) << k.log();
  const auto p = product_with_stock(1);
  k.proc().write_line("order " + p["sku"].get<std::string>() + ":1 takeaway cash");
  ASSERT_FALSE(k.until("event", "accepted").is_null()) << k.log();
  // The old password no longer works.
  tls_client old_pw(*sb_, before.device_id, before.broker.username, before.broker.password);
  EXPECT_FALSE(old_pw.up());

  // Revoke: the broker account goes (the kiosk is disconnected) and nothing gets back in.
  r = kioskctl({"devices", "revoke", before.device_id, "--hub", hub_url(), "--token", api_token_},
               h_->data() / "kioskctl.stderr");
  ASSERT_EQ(r.code, 0) << slurp(h_->data() / "kioskctl.stderr");
  EXPECT_FALSE(k.until("event", "disconnected", 10s).is_null()) << k.log();
  tls_client revoked(*sb_, after.device_id, after.broker.username, after.broker.password);
  EXPECT_FALSE(revoked.up());
  auto j = device_json(before.device_id);
  EXPECT_EQ(j["enabled"], false);
  EXPECT_EQ(j["credentials"]["revoked"], true);
  r = kioskctl({"devices", "list", "--hub", hub_url(), "--token", api_token_}, h_->data() / "kioskctl.stderr");
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find(before.device_id), std::string::npos);

  // No secret anywhere in the logs or /metrics.
  secrets_.push_back(sb_->hub_password);
  secrets_.push_back(prov::parse_token(api_token_)->secret);
  secrets_.push_back(prov::parse_token(t["token"].get<std::string>())->secret);
  secrets_.push_back(trim(slurp(h_->data() / "signing.key")));
  const std::string logs = h_->log() + k.log() + sb_->log() + slurp(h_->data() / "kioskctl.stderr") +
                           http_get(h_->http_port(), "/metrics").body;
  for (const auto& s : secrets_) {
    ASSERT_GE(s.size(), 16u);
    EXPECT_EQ(logs.find(s), std::string::npos) << "a secret appears in the logs";
  }
}

}  // namespace
}  // namespace kh::test
