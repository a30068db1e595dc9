// kioskctl fleet commands: ca init|issue (OpenSSL), broker-config (Mosquitto with dynamic
// security), enroll create (token + URI + QR PNG), devices list|show|revoke|rotate (hub API).
// Thin wrappers over kh::provisioning and the hub's HTTP API (docs/web.md, docs/provisioning.md).
#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

#include "commands.hpp"
#include "kh/hardware/camera/image_file.hpp"
#include "kh/provisioning/dynsec.hpp"
#include "kh/provisioning/files.hpp"
#include "kh/provisioning/http_client.hpp"
#include "kh/provisioning/tokens.hpp"

extern char** environ;

namespace kh::kioskctl {
namespace {

namespace fs = std::filesystem;
namespace prov = kh::provisioning;
using nlohmann::json;

[[noreturn]] void fail(const std::string& msg, int code = 1) {
  std::cerr << "kioskctl: " << msg << "\n";
  throw CLI::RuntimeError(code);
}

// Runs a tool without a shell; its output goes to our stderr so stdout stays for results.
void run_tool(std::vector<std::string> argv) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, 2, 1);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) fail("cannot run " + argv[0] + " (is the openssl package installed?)");
  int st = 0;
  ::waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fail(argv[0] + " " + argv[1] + " failed");
}

// ---- ca ---------------------------------------------------------------------------------
struct ca_args {
  std::string dir, name = "Kioskhub store CA", out, cn;
  std::vector<std::string> dns, ips;
  int days = 3650;
};

void ca_init(const ca_args& a) {
  fs::create_directories(a.dir);
  const auto key = fs::path(a.dir) / "ca.key", crt = fs::path(a.dir) / "ca.crt";
  if (fs::exists(key) || fs::exists(crt)) fail(a.dir + " already holds a CA (ca.key/ca.crt); refusing to replace it");
  run_tool({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key.string(), "-out", crt.string(), "-days", std::to_string(a.days), "-subj",
            "/CN=" + a.name, "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
            "keyUsage=critical,keyCertSign,cRLSign"});
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
  std::cout << json{{"ca_cert", crt.string()}, {"ca_key", key.string()}}.dump() << std::endl;
}

void ca_issue(const ca_args& a) {
  const auto ca_key = fs::path(a.dir) / "ca.key", ca_crt = fs::path(a.dir) / "ca.crt";
  if (!fs::exists(ca_key) || !fs::exists(ca_crt)) fail("no CA in " + a.dir + " (run kioskctl ca init first)");
  if (a.cn.empty()) fail("--name HOST is required");
  const fs::path out = a.out.empty() ? fs::path(a.dir) : fs::path(a.out);
  fs::create_directories(out);
  std::string file_base;
  for (const char c : a.cn) file_base += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  const auto key = out / (file_base + ".key"), csr = out / (file_base + ".csr"), crt = out / (file_base + ".crt"),
             ext = out / (file_base + ".ext");
  std::string san = "DNS:" + a.cn;
  for (const auto& d : a.dns) san += ",DNS:" + d;
  for (const auto& ip : a.ips) san += ",IP:" + ip;
  if (auto err = prov::write_file_atomic(ext,
                                         "subjectAltName=" + san +
                                             "\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,"
                                             "digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
                                         0644);
      !err.empty())
    fail(err);
  run_tool({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key.string(), "-out", csr.string(), "-subj", "/CN=" + a.cn});
  run_tool({"openssl", "x509", "-req", "-in", csr.string(), "-CA", ca_crt.string(), "-CAkey", ca_key.string(),
            "-CAcreateserial", "-out", crt.string(), "-days", std::to_string(std::min(a.days, 825)), "-sha256",
            "-extfile", ext.string()});
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
  fs::remove(csr);
  fs::remove(ext);
  std::cout << json{{"cert", crt.string()}, {"key", key.string()}, {"ca_cert", ca_crt.string()}, {"san", san}}.dump()
            << std::endl;
}

// ---- broker-config ----------------------------------------------------------------------
struct broker_args {
  std::string out, listen = "0.0.0.0:8883", cafile, certfile, keyfile, hub_user = "kioskhub", password_file;
  bool as_root = false, no_tls = false;
  std::string log_file;
};

void broker_config(const broker_args& a) {
  const fs::path out = fs::absolute(a.out);
  const auto colon = a.listen.rfind(':');
  if (colon == std::string::npos) fail("--listen wants HOST:PORT");
  prov::dynsec::broker_config_options o;
  o.listen_host = a.listen.substr(0, colon);
  try {
    o.port = std::stoi(a.listen.substr(colon + 1));
  } catch (...) {
    fail("--listen wants HOST:PORT");
  }
  if (o.port < 1 || o.port > 65535) fail("--listen: port out of range");
  if (!a.no_tls) {
    if (a.cafile.empty() || a.certfile.empty() || a.keyfile.empty())
      fail("a TLS listener needs --cafile, --certfile and --keyfile (kioskctl ca init / ca issue make them), or --no-tls");
    for (const auto& f : {a.cafile, a.certfile, a.keyfile})
      if (!fs::exists(f)) fail("no such file: " + f);
    o.cafile = fs::absolute(a.cafile).string();
    o.certfile = fs::absolute(a.certfile).string();
    o.keyfile = fs::absolute(a.keyfile).string();
  }
  fs::create_directories(out / "data");
  const auto conf = out / "mosquitto.conf", dynsec_file = out / "dynamic-security.json";
  if (fs::exists(dynsec_file)) fail(dynsec_file.string() + " exists; the broker owns it now (refusing to replace accounts)");
  std::string password;
  fs::path pw_file = a.password_file.empty() ? out / "hub-password" : fs::path(a.password_file);
  if (!a.password_file.empty() && fs::exists(pw_file)) {
    auto text = prov::read_file(pw_file);
    if (!text) fail("cannot read " + pw_file.string());
    password = *text;
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
    if (password.size() < 16) fail("the hub password must have at least 16 characters");
  } else {
    password = prov::random_password();
    if (auto err = prov::write_file_atomic(pw_file, password + "\n", 0600); !err.empty()) fail(err);
  }
  o.dynsec_file = dynsec_file.string();
  o.persistence_dir = (out / "data").string();
  o.run_as_root = a.as_root;
  o.log_file = a.log_file;
  if (auto err = prov::write_file_atomic(dynsec_file, prov::dynsec::initial_config(a.hub_user, password).dump(2), 0600);
      !err.empty())
    fail(err);
  if (auto err = prov::write_file_atomic(conf, prov::dynsec::mosquitto_conf(o), 0644); !err.empty()) fail(err);
  std::cout << json{{"config", conf.string()},
                    {"dynsec", dynsec_file.string()},
                    {"hub_username", a.hub_user},
                    {"hub_password_file", pw_file.string()},
                    {"listener", a.listen},
                    {"tls", !a.no_tls}}
                   .dump()
            << std::endl;
}

// ---- hub API ----------------------------------------------------------------------------
struct api_args {
  std::string hub, token, ca_file;
};

void add_api_flags(CLI::App* c, api_args& a) {
  c->add_option("--hub", a.hub, "Hub base URL, e.g. http://127.0.0.1:8080 (or env KH_HUB_URL)")->envname("KH_HUB_URL")
      ->required();
  c->add_option("--token", a.token, "API token kha1.… from `kioskhub api-token create` (or env KH_API_TOKEN)")
      ->envname("KH_API_TOKEN")
      ->required();
  c->add_option("--ca", a.ca_file, "CA certificate to trust for an https hub");
}

json call_api(const api_args& a, const std::string& method, const std::string& path, const json& body = nullptr) {
  prov::http_call c;
  c.method = method;
  std::string base = a.hub;
  while (base.ends_with('/')) base.pop_back();
  c.url = base + path;
  c.bearer = a.token;
  c.ca_file = a.ca_file;
  if (!body.is_null()) c.body = body.dump();
  const auto r = prov::http_send(c);
  if (r.status == 0) fail("hub unreachable at " + a.hub + ": " + r.error);
  const auto j = r.json();
  if (r.status >= 400) {
    if (j.is_object() && j.contains("code"))
      fail(j.value("code", "error") + ": " + j.value("message", "") + " (HTTP " + std::to_string(r.status) + ")");
    fail("HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 300));
  }
  if (j.is_discarded()) fail("hub answered something that is not JSON");
  return j;
}

struct enroll_args {
  api_args api;
  std::string business, mode = "shop", name, qr;
  int ttl_hours = 24;
};

void write_qr(const std::string& text, const std::string& file) {
  const auto matrix = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode).setMargin(4).setEccLevel(4).encode(
      text, 0, 0);
  constexpr int scale = 8;
  const int w = matrix.width() * scale, h = matrix.height() * scale;
  std::vector<std::uint8_t> px(static_cast<std::size_t>(w) * h, 255);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      if (matrix.get(x / scale, y / scale)) px[static_cast<std::size_t>(y) * w + x] = 0;
  const auto view = kh::hardware::luminance_view::make(px.data(), w, h);
  if (!view) fail("QR code too large");
  if (auto ec = kh::hardware::write_png(file, *view)) fail("cannot write " + file + ": " + ec.message());
}

void enroll_create(const enroll_args& a) {
  json body{{"mode", a.mode}, {"name", a.name}, {"ttl_seconds", static_cast<long long>(a.ttl_hours) * 3600}};
  if (!a.business.empty()) body["business"] = a.business;
  auto j = call_api(a.api, "POST", "/api/v1/enrollment-tokens", body);
  if (!a.qr.empty()) {
    write_qr(j.value("uri", ""), a.qr);
    j["qr_png"] = a.qr;
  }
  // The text form first (a person can type it), then the details as JSON.
  std::cout << j.value("uri", "") << "\n" << j.dump() << std::endl;
}

}  // namespace

void add_fleet_commands(CLI::App& app) {
  // ca
  auto* ca = app.add_subcommand("ca", "A small certificate authority for stores that have none (OpenSSL)");
  ca->require_subcommand(1);
  static ca_args caa;
  auto* init = ca->add_subcommand("init", "Make DIR/ca.key (0600) and DIR/ca.crt (10 years, EC P-256)");
  init->add_option("--dir", caa.dir, "Directory for the CA")->required();
  init->add_option("--name", caa.name, "The CA's common name")->capture_default_str();
  init->callback([] { ca_init(caa); });
  auto* issue = ca->add_subcommand("issue", "Issue a server certificate signed by the CA (NAME.key 0600, NAME.crt)");
  issue->add_option("--dir", caa.dir, "Directory of the CA (from ca init)")->required();
  issue->add_option("--name", caa.cn, "Host name of the server (CN and DNS subjectAltName)")->required();
  issue->add_option("--dns", caa.dns, "More DNS names");
  issue->add_option("--ip", caa.ips, "IP addresses the server is reached at, e.g. 127.0.0.1");
  issue->add_option("--out", caa.out, "Where to write the key and certificate (default: the CA directory)");
  issue->add_option("--days", caa.days, "Validity in days (at most 825)")->capture_default_str();
  issue->callback([] { ca_issue(caa); });

  // broker-config
  static broker_args ba;
  auto* bc = app.add_subcommand(
      "broker-config",
      "Write a production Mosquitto configuration: TLS listener, dynamic security with the hub as admin, no "
      "anonymous access, persistence, limits");
  bc->add_option("--out", ba.out, "Directory for mosquitto.conf, dynamic-security.json, hub-password, data/")
      ->required();
  bc->add_option("--listen", ba.listen, "Listener HOST:PORT")->capture_default_str();
  bc->add_option("--cafile", ba.cafile, "CA certificate (ca.crt)");
  bc->add_option("--certfile", ba.certfile, "Broker certificate");
  bc->add_option("--keyfile", ba.keyfile, "Broker private key");
  bc->add_flag("--no-tls", ba.no_tls, "Plain TCP listener (only behind another TLS terminator)");
  bc->add_option("--hub-username", ba.hub_user, "The hub's broker account and client id")->capture_default_str();
  bc->add_option("--hub-password-file", ba.password_file,
                 "Read the hub's password from this file (default: generate one into OUT/hub-password, 0600)");
  bc->add_option("--log-file", ba.log_file, "Broker log file (default: stderr)");
  bc->add_flag("--as-root", ba.as_root, "Add `user root` (a broker started as root otherwise drops to mosquitto)");
  bc->callback([] { broker_config(ba); });

  // enroll
  static enroll_args ea;
  auto* enroll = app.add_subcommand("enroll", "Enrollment tokens for new devices");
  enroll->require_subcommand(1);
  auto* create = enroll->add_subcommand(
      "create", "Make a single-use enrollment token; prints the URI (give it to `kiosk --enroll`) and writes a QR PNG");
  add_api_flags(create, ea.api);
  create->add_option("--business", ea.business, "Business id (default: the API token's)");
  create->add_option("--mode", ea.mode, "Device mode")->check(CLI::IsMember({"shop", "counter", "board"}))
      ->capture_default_str();
  create->add_option("--name", ea.name, "Device name shown on the dashboard")->required();
  create->add_option("--ttl-hours", ea.ttl_hours, "Hours until the token expires")->check(CLI::Range(1, 24 * 30))
      ->capture_default_str();
  create->add_option("--qr", ea.qr, "Write the URI as a QR code PNG here");
  create->callback([] { enroll_create(ea); });

  // devices
  static api_args da;
  static std::string device;
  auto* devices = app.add_subcommand("devices", "The business' devices on the hub");
  devices->require_subcommand(1);
  auto* list = devices->add_subcommand("list", "List devices (JSON)");
  add_api_flags(list, da);
  list->callback([] { std::cout << call_api(da, "GET", "/api/v1/devices").dump() << std::endl; });
  auto* show = devices->add_subcommand("show", "One device (JSON)");
  add_api_flags(show, da);
  show->add_option("device", device, "Device id")->required();
  show->callback([] { std::cout << call_api(da, "GET", "/api/v1/devices/" + device).dump() << std::endl; });
  auto* revoke = devices->add_subcommand("revoke", "Delete the device's broker account (kicks it) and refuse it");
  add_api_flags(revoke, da);
  revoke->add_option("device", device, "Device id")->required();
  revoke->callback([] { std::cout << call_api(da, "POST", "/api/v1/devices/" + device + "/revoke").dump() << std::endl; });
  auto* rotate = devices->add_subcommand(
      "rotate", "New broker credentials: sent signed to the device, switched on the broker once it confirms");
  add_api_flags(rotate, da);
  rotate->add_option("device", device, "Device id")->required();
  rotate->callback([] { std::cout << call_api(da, "POST", "/api/v1/devices/" + device + "/rotate").dump() << std::endl; });
}

}  // namespace kh::kioskctl
