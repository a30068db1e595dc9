// The link's kiosk-shop functions: quotes (offline estimate + the hub's order.quoted), feedback,
// device.status, offline local numbers, and the image cache against a real HTTP server.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <fstream>
#include <thread>

#include "kh/hub/http/http_server.hpp"
#include "kh/kiosk/link/engine.hpp"
#include "kh/kiosk/link/image_cache.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/topics.hpp"
#include "test_support.hpp"

namespace k = kh::kiosk;
namespace p = kh::protocol;
using json = nlohmann::json;
using kh::kiosk::test::make_catalog;
using kh::kiosk::test::temp_dir;

namespace {

class shop_link : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    eng.reset();
    db.reset();
    auto s = k::store::open(dir.path() / "kiosk.db");
    ASSERT_TRUE(s) << s.error().message;
    db = std::move(s).value();
    eng = std::make_unique<k::engine>(
        *db, cfg,
        [this](const std::string& t, const std::string& pl) {
          out.push_back({t, json::parse(pl)});
          return true;
        },
        [this](const k::link_event& ev) { events.push_back(ev); }, [this] { return now; }, [] { return 0.0; });
  }
  void give_catalog() {
    auto c = make_catalog(1);
    p::option_group size;
    size.id = "size";
    size.name = "Size";
    size.min_choices = 1;
    size.max_choices = 1;
    size.options = {{"s", "Small", {0, "EUR"}, true, true}, {"l", "Large", {70, "EUR"}, true, false}};
    c.products[1].option_groups = {size};  // latte
    p::store_profile prof;
    prof.tax_rate_bp = 1000;
    p::order_type_offer t;
    t.type = p::order_type::takeaway;
    prof.order_types = {t};
    prof.payment_methods = {p::payment_method::cash};
    prof.languages = {"en"};
    c.profile = prof;
    eng->on_message(p::topics::business_catalog("cafe"), p::make_message("catalog", p::to_json(c)));
  }
  std::vector<json> sent_of(const std::string& type) const {
    std::vector<json> r;
    for (const auto& [t, j] : out) {
      if (t == p::topics::device_up("kiosk-1", type)) r.push_back(j["body"]);
    }
    return r;
  }
  p::order_quote quote_of(std::vector<p::order_line> lines) {
    p::order_quote q;
    q.quote_id = p::new_uuid();
    q.lines = std::move(lines);
    return q;
  }

  temp_dir dir;
  k::engine_config cfg = [] {
    k::engine_config c;
    c.device_id = "kiosk-1";
    c.business_id = "cafe";
    c.local_prefix = "K1";
    return c;
  }();
  k::engine::clock::time_point now = std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + std::chrono::hours(9);
  std::vector<std::pair<std::string, json>> out;
  std::vector<k::link_event> events;
  std::unique_ptr<k::store> db;
  std::unique_ptr<k::engine> eng;
};

}  // namespace

TEST_F(shop_link, a_quote_is_estimated_locally_and_sent_to_the_hub_when_connected) {
  EXPECT_EQ(eng->quote(quote_of({{"latte", 1, "", {{"size", "l"}}}})).error().code, k::errc::no_catalog);
  give_catalog();
  // Offline: the estimate uses the hub's rules from the cached catalog; nothing is sent.
  auto est = eng->quote(quote_of({{"latte", 2, "", {{"size", "l"}}}, {"muffin", 1, "", {}}}));
  ASSERT_TRUE(est) << est.error().message;
  EXPECT_EQ(est->lines[0].unit_price.amount, 450);
  EXPECT_EQ(est->lines[1].problems.at(0).code, p::code::out_of_stock);
  EXPECT_EQ(est->total.amount, 900);
  EXPECT_EQ(est->tax.amount, 82);  // round(900 × 1000 / 11000), the profile's 10 % included
  EXPECT_TRUE(sent_of("order.quote").empty());
  // Missing a required option: the same code the hub would give.
  est = eng->quote(quote_of({{"latte", 1, "", {}}}));
  EXPECT_EQ(est->lines[0].problems.at(0).code, p::code::missing_choice);

  eng->on_connected();
  const auto q = quote_of({{"espresso", 1, "", {}}});
  ASSERT_TRUE(eng->quote(q));
  const auto sent = sent_of("order.quote");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["quote_id"], q.quote_id);
  // The hub's answer comes back as an event.
  p::order_quoted hub;
  hub.quote_id = q.quote_id;
  hub.subtotal = hub.total = {250, "EUR"};
  eng->on_message(p::topics::device_down("kiosk-1", "order.quoted"), p::make_message("order.quoted", p::to_json(hub)));
  std::vector<k::events::quoted> got;
  for (const auto& e : events) {
    if (auto* x = std::get_if<k::events::quoted>(&e)) got.push_back(*x);
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].from_hub);
  EXPECT_EQ(got[0].quote, hub);
}

TEST_F(shop_link, feedback_waits_for_a_connection_and_is_checked_first) {
  const auto id = p::new_uuid();
  EXPECT_EQ(eng->send_feedback({"not-a-uuid", 5, ""}).error().code, k::errc::bad_command);
  EXPECT_EQ(eng->send_feedback({id, 0, ""}).error().code, k::errc::bad_command);
  auto r = eng->send_feedback({id, 5, "great"});
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r) << "held while offline";
  EXPECT_TRUE(sent_of("feedback").empty());
  eng->on_connected();
  auto sent = sent_of("feedback");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["order_id"], id);
  EXPECT_EQ(sent[0]["rating"], 5);
  EXPECT_TRUE(*eng->send_feedback({p::new_uuid(), 3, ""}));
  EXPECT_EQ(sent_of("feedback").size(), 2u);
}

TEST_F(shop_link, device_status_goes_out_on_connect_and_on_every_change) {
  eng->report_status(p::printer_state::ok, p::camera_state::ok);
  EXPECT_TRUE(sent_of("device.status").empty()) << "not connected";
  eng->on_connected();
  ASSERT_EQ(sent_of("device.status").size(), 1u);
  eng->report_status(p::printer_state::ok, p::camera_state::ok);
  EXPECT_EQ(sent_of("device.status").size(), 1u) << "unchanged: not sent again";
  eng->report_status(p::printer_state::paper_out, p::camera_state::ok, "paper out");
  auto st = sent_of("device.status");
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[1]["printer"], "paper_out");
  EXPECT_EQ(st[1]["detail"], "paper out");
  // An order waiting in the outbox changes the reported outbox size.
  p::order_submit o;
  o.order_id = p::new_uuid();
  o.lines.push_back({"espresso", 1, ""});
  ASSERT_TRUE(eng->submit(o));
  st = sent_of("device.status");
  ASSERT_EQ(st.size(), 3u);
  EXPECT_EQ(st[2]["outbox"], 1);
  EXPECT_TRUE(p::decode_device_status(st[2]).ok());
  eng->on_disconnected();
  eng->on_connected();
  EXPECT_EQ(sent_of("device.status").size(), 4u) << "re-sent after every connect";
}

TEST_F(shop_link, local_numbers_count_per_day_and_survive_a_restart) {
  EXPECT_EQ(*eng->take_local_number(), "K1-001");
  EXPECT_EQ(*eng->take_local_number(), "K1-002");
  reopen();
  EXPECT_EQ(*eng->take_local_number(), "K1-003");
  now += std::chrono::hours(24);
  EXPECT_EQ(*eng->take_local_number(), "K1-001");
  EXPECT_TRUE(p::is_local_number(*eng->take_local_number()));
  cfg.local_prefix = "k1";
  reopen();
  EXPECT_EQ(eng->take_local_number().error().code, k::errc::bad_command);
}

// ---------------------------------------------------------------------------------------------
// Image cache against a real HTTP server on loopback (the hub's Beast server, serving bytes with
// an ETag like the hub's image route).

namespace {

struct image_server {
  boost::asio::io_context io;
  kh::hub::http_router router;
  std::unique_ptr<kh::hub::http_server> server;
  std::thread thread;
  std::atomic<int> hits{0}, not_modified{0};
  std::string picture = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(3000, 'x');

  image_server() {
    router.add_prefix("GET", "/img/", [this](const kh::hub::http_request& r) {
      ++hits;
      kh::hub::http_response res;
      if (r.path == "/img/missing.png") {
        res.status = 404;
        return res;
      }
      if (r.path == "/img/huge.png") {
        res.body = std::string(200 * 1024, 'h');
        return res;
      }
      res.content_type = "image/png";
      res.headers.emplace_back("etag", "\"v1\"");
      const auto inm = r.headers.find("if-none-match");
      if (inm != r.headers.end() && inm->second == "\"v1\"") {
        ++not_modified;
        res.status = 304;
        return res;
      }
      res.body = picture + r.path;
      return res;
    });
    server = std::make_unique<kh::hub::http_server>(io, router, "127.0.0.1", 0);
    server->start();
    thread = std::thread([this] { io.run(); });
  }
  ~image_server() {
    io.stop();
    thread.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(server->port()) + path; }
};

}  // namespace

TEST(image_cache, fetches_off_thread_announces_ready_and_serves_from_disk) {
  image_server srv;
  temp_dir dir;
  std::mutex mu;
  std::vector<k::image_ready> ready;
  std::vector<k::image_failed> failed;
  k::image_cache_options opts;
  opts.dir = dir.path() / "images";
  opts.max_image_bytes = 100 * 1024;
  auto cache = std::make_unique<k::image_cache>(
      opts,
      [&](const k::image_ready& r) {
        std::lock_guard lk(mu);
        ready.push_back(r);
      },
      [&](const k::image_failed& f) {
        std::lock_guard lk(mu);
        failed.push_back(f);
      });
  const auto a = srv.url("/img/a.png");
  EXPECT_FALSE(cache->get(a).has_value()) << "first call never blocks: placeholder";
  EXPECT_FALSE(cache->get(a).has_value());
  ASSERT_TRUE(cache->wait_idle(std::chrono::seconds(10)));
  {
    std::lock_guard lk(mu);
    ASSERT_EQ(ready.size(), 1u) << "queued once";
    EXPECT_EQ(ready[0].url, a);
  }
  EXPECT_EQ(srv.hits, 1);
  const auto file = cache->get(a);
  ASSERT_TRUE(file.has_value());
  std::ifstream in(*file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, srv.picture + "/img/a.png");
  ASSERT_TRUE(cache->wait_idle(std::chrono::seconds(10)));
  EXPECT_EQ(srv.not_modified, 1) << "the first hit in a run revalidates with the ETag";
  cache->get(a);
  ASSERT_TRUE(cache->wait_idle(std::chrono::seconds(10)));
  EXPECT_EQ(srv.hits, 2) << "once per run";

  // Failures keep the placeholder and are reported; non-http URLs are never fetched.
  EXPECT_FALSE(cache->get(srv.url("/img/missing.png")));
  EXPECT_FALSE(cache->get(srv.url("/img/huge.png")));
  EXPECT_FALSE(cache->get("file:///etc/passwd"));
  EXPECT_FALSE(cache->get(""));
  ASSERT_TRUE(cache->wait_idle(std::chrono::seconds(10)));
  {
    std::lock_guard lk(mu);
    ASSERT_EQ(failed.size(), 2u);
  }
  EXPECT_EQ(srv.hits, 4);

  // A new cache on the same directory has the picture at once (from an earlier run).
  cache.reset();
  k::image_cache again(opts, {});
  EXPECT_TRUE(again.get(a).has_value());
  again.wait_idle(std::chrono::seconds(10));
}

TEST(image_cache, stays_within_its_disk_budget_dropping_the_least_recently_used) {
  image_server srv;
  temp_dir dir;
  k::image_cache_options opts;
  opts.dir = dir.path() / "images";
  opts.max_bytes = 10'000;  // three pictures of ~3 KB fit, a fourth does not
  k::image_cache cache(opts, {});
  std::vector<std::string> urls;
  for (int i = 0; i < 3; ++i) urls.push_back(srv.url("/img/p" + std::to_string(i) + ".png"));
  cache.prefetch(urls);
  ASSERT_TRUE(cache.wait_idle(std::chrono::seconds(10)));
  ASSERT_TRUE(cache.get(urls[0]).has_value());  // p0 is now the most recently used
  ASSERT_TRUE(cache.wait_idle(std::chrono::seconds(10)));
  cache.get(srv.url("/img/p3.png"));
  ASSERT_TRUE(cache.wait_idle(std::chrono::seconds(10)));
  EXPECT_LE(cache.bytes_on_disk(), opts.max_bytes);
  EXPECT_TRUE(cache.get(urls[0]).has_value());
  EXPECT_FALSE(std::filesystem::exists(opts.dir / k::image_cache::file_name_for(urls[1])))
      << "p1 was the least recently used";
  EXPECT_TRUE(std::filesystem::exists(opts.dir / k::image_cache::file_name_for(srv.url("/img/p3.png"))));
  cache.wait_idle(std::chrono::seconds(10));
}
