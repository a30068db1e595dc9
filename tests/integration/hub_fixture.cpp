#include "hub_fixture.hpp"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kh::test {

db::db(const std::filesystem::path& file) {
  if (sqlite3_open_v2(file.c_str(), &h_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
    throw std::runtime_error("cannot open " + file.string());
  sqlite3_busy_timeout(h_, 5000);
}

db::~db() { sqlite3_close(h_); }

std::optional<std::string> db::scalar(const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
    throw std::runtime_error("sql: " + std::string(sqlite3_errmsg(h_)) + " in: " + sql);
  std::optional<std::string> out;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return out;
}

std::int64_t db::count(const std::string& sql) { return std::stoll(scalar(sql).value_or("0")); }

void db::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(h_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error("sql: " + msg + " in: " + sql);
  }
}

hub::hub(mosquitto& broker) : broker_(broker) {
  auto r = run({(bin_dir() / "kioskhub").string(), "seed-demo", "--data", data().string()}, 60s,
               data() / "seed.stderr");
  if (r.code != 0) throw std::runtime_error("seed-demo failed: " + r.out + log());
  seed_ = json::parse(r.out);
}

hub::~hub() {
  if (proc_ && proc_->running()) stop(5s);
}

void hub::serve(const std::vector<std::string>& extra_args) { serve_with({"--mqtt", broker_.url()}, {}, extra_args); }

void hub::serve_with(std::vector<std::string> mqtt_args, std::vector<std::string> env,
                     const std::vector<std::string>& extra_args) {
  std::filesystem::remove(data() / "hub.json");
  std::vector<std::string> argv{(bin_dir() / "kioskhub").string(), "serve", "--data", data().string(), "--http",
                                "127.0.0.1:0"};
  argv.insert(argv.end(), mqtt_args.begin(), mqtt_args.end());
  argv.insert(argv.end(), serve_args.begin(), serve_args.end());
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  proc_ = std::make_unique<process>(
      process::options{.argv = argv, .env = std::move(env), .stderr_file = data() / "hub.stderr"});
  bool ready = eventually(
      [&] {
        std::ifstream f(data() / "hub.json");
        if (!f) return false;
        auto j = json::parse(f, nullptr, false);
        if (j.is_discarded() || !j.contains("http_port")) return false;
        http_port_ = j["http_port"].get<std::uint16_t>();
        return http_get(http_port_, "/healthz").status == 200;
      },
      20s);
  if (!ready) throw std::runtime_error("kioskhub did not become healthy:\n" + log());
}

std::optional<int> hub::stop(std::chrono::milliseconds timeout) {
  if (!proc_) return std::nullopt;
  proc_->signal(SIGTERM);
  return proc_->wait(timeout);
}

void hub::kill9() {
  if (proc_) {
    proc_->signal(SIGKILL);
    proc_->wait(5s);
  }
}

std::string hub::log() const {
  std::ostringstream s;
  for (auto name : {"seed.stderr", "hub.stderr"}) {
    std::ifstream f(data() / name);
    // Read into a string first: inserting an empty rdbuf sets failbit on `s` and silences the rest.
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (f || !text.empty()) s << "--- " << name << "\n" << text;
  }
  return s.str();
}

void hub::set_stock(const std::string& product_id, std::optional<std::int64_t> stock) {
  db d(db_file());
  d.exec("UPDATE products SET stock = " + (stock ? std::to_string(*stock) : std::string("NULL")) +
         " WHERE id = '" + product_id + "'");
}

void hub::add_device(const std::string& device_id, const std::string& mode) {
  db d(db_file());
  d.exec("INSERT INTO devices (id, business_id, name, mode, created_at_ms) VALUES ('" + device_id + "', '" +
         business_id() + "', '" + device_id + "', '" + mode + "', 0)");
}

json hub::catalog() {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<std::string> payload;
  mqtt::client c(mqtt::options{.uri = broker_.url(), .client_id = "fixture-catalog-" + protocol::new_uuid().substr(0, 8),
                               .clean_session = true});
  c.subscribe_on_connect({{protocol::topics::business_catalog(business_id()), 1}});
  c.on_message([&](mqtt::message m) {
    std::lock_guard lk(mu);
    payload = m.payload;
    cv.notify_all();
  });
  c.start();
  std::unique_lock lk(mu);
  cv.wait_for(lk, 10s, [&] { return payload.has_value(); });
  if (!payload) throw std::runtime_error("no retained catalog");
  return json::parse(*payload);
}

json hub::product_with_stock(std::int64_t min_stock) {
  for (auto& p : products())
    if (p["available"] == true && (p["stock"].is_null() || p["stock"].get<std::int64_t>() >= min_stock)) return p;
  return json();
}

raw_device::raw_device(mosquitto& broker, std::string device_id, std::string client_id)
    : device_(std::move(device_id)) {
  if (client_id.empty()) client_id = "raw-" + device_ + "-" + protocol::new_uuid().substr(0, 8);
  client_ = std::make_unique<mqtt::client>(
      mqtt::options{.uri = broker.url(), .client_id = client_id, .clean_session = true});
  client_->subscribe_on_connect({{protocol::topics::device_down_filter(device_), 1}});
  client_->on_message([this](mqtt::message m) {
    auto t = protocol::topics::parse(m.topic);
    reply r;
    r.type = t ? t->type : m.topic;
    r.envelope = json::parse(m.payload, nullptr, false);
    std::lock_guard lk(mu_);
    inbox_.push_back(std::move(r));
    cv_.notify_all();
  });
  if (!client_->start()) throw std::runtime_error("raw device cannot connect: " + client_->last_error());
}

raw_device::~raw_device() { client_->stop(); }

void raw_device::send_raw(const std::string& type, const std::string& payload) {
  client_->publish(protocol::topics::device_up(device_, type), payload, 1, false);
}

std::string raw_device::send(const std::string& type, json body) {
  protocol::envelope e;
  e.type = type;
  e.id = protocol::new_uuid();
  e.ts = protocol::format_rfc3339(protocol::clock::now());
  e.body = std::move(body);
  send_raw(type, protocol::encode_envelope(e));
  return e.id;
}

std::optional<raw_device::reply> raw_device::next(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  if (!cv_.wait_for(lk, timeout, [&] { return !inbox_.empty(); })) return std::nullopt;
  auto r = std::move(inbox_.front());
  inbox_.pop_front();
  return r;
}

std::optional<raw_device::reply> raw_device::next_for(const std::string& order_id, std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  std::optional<reply> found;
  cv_.wait_for(lk, timeout, [&] {
    for (auto it = inbox_.begin(); it != inbox_.end(); ++it) {
      if (it->envelope.is_object() && it->envelope.contains("body") && it->envelope["body"].is_object() &&
          it->envelope["body"].value("order_id", "") == order_id) {
        found = std::move(*it);
        inbox_.erase(it);
        return true;
      }
    }
    return false;
  });
  return found;
}

headless_kiosk::headless_kiosk(mosquitto& broker, hub& h, const std::string& device, bool with_business) {
  std::vector<std::string> argv = {(bin_dir() / "kiosk").string(), "--headless", "--data", dir_.path().string(),
                                   "--device", device, "--mqtt", broker.url()};
  if (with_business) {
    argv.push_back("--business");
    argv.push_back(h.business_id());
  }
  proc_ = std::make_unique<process>(process::options{
      .argv = argv,
      .pipe_stdin = true,
      .pipe_stdout = true,
      .stderr_file = dir_.path() / "kiosk.stderr"});
}

json headless_kiosk::next(std::chrono::milliseconds timeout) {
  auto line = proc_->read_line(timeout);
  return line ? json::parse(*line, nullptr, false) : json(json::value_t::discarded);
}

json headless_kiosk::until(const std::string& key, const std::string& value, std::chrono::milliseconds timeout) {
  auto line = proc_->read_until(
      [&](const std::string& l) {
        auto j = json::parse(l, nullptr, false);
        return j.is_object() && j.contains(key) && j[key].is_string() && j[key] == value;
      },
      timeout);
  return line ? json::parse(*line) : json();
}

std::string headless_kiosk::log() const {
  std::ifstream f(dir_.path() / "kiosk.stderr");
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

json order_body(const std::vector<std::pair<std::string, int>>& lines, const std::string& order_id,
                const std::string& type, const std::string& payment) {
  json b;
  b["order_id"] = order_id.empty() ? protocol::new_uuid() : order_id;
  b["order_type"] = type;
  b["payment_method"] = payment;
  b["lines"] = json::array();
  for (auto& [p, q] : lines) b["lines"].push_back({{"product_id", p}, {"qty", q}});
  return b;
}

}  // namespace kh::test
