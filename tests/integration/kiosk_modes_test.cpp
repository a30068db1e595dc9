// Counter and board end to end: real Mosquitto + kioskhub + three kiosk processes (shop, counter,
// board) with offscreen windows, each driven and read through its control socket. The shop's sim
// printer bytes are rendered to a PNG and dropped into the counter's replay camera folder: the
// counter reads the ticket's QR as it would from the camera.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "hub_fixture.hpp"
#include "kh/hardware/frame.hpp"
#include "kh/hardware/printer/render.hpp"
#include "kh/hardware/scanner/scanner.hpp"
#include "screen_process.hpp"

using namespace std::chrono_literals;
using kh::test::json;
using kh::test::screen_process;

namespace {

namespace p = kh::hardware::printer;

bool contains_number(const json& arr, const std::string& number) {
  for (const auto& v : arr)
    if ((v.is_string() && v == number) || (v.is_object() && v.value("number", "") == number)) return true;
  return false;
}

bool in_lane(const json& st, const std::string& lane, const std::string& number) {
  return st.contains("lanes") && contains_number(st["lanes"][lane], number);
}

// The last pickup ticket on the paper as a PNG (white paper, black ink), cropped to the ticket.
std::filesystem::path ticket_png(const std::vector<std::uint8_t>& bytes, const std::filesystem::path& file) {
  const auto r = p::render_escpos(bytes, p::printer_profile::mm80());
  // The ticket is the last document: its last ~1100 rows hold the QR.
  p::mono_bitmap crop;
  crop.width = r.image.width;
  const int rows = std::min(r.image.height, 1100);
  crop.height = rows;
  const auto from = static_cast<std::size_t>(r.image.height - rows) * static_cast<std::size_t>(r.image.width);
  crop.pixels.assign(r.image.pixels.begin() + static_cast<std::ptrdiff_t>(from), r.image.pixels.end());
  EXPECT_FALSE(p::write_png(crop, file.string())) << file;
  return file;
}

// A cash order placed by the shop kiosk through its touch screen (control socket).
struct placed {
  std::string order_id, number;
};
placed order_at_the_shop(screen_process& shop, kh::test::hub& hub) {
  placed out;
  EXPECT_TRUE(kh::test::eventually([&] { auto s = shop.state(); return s.value("online", false) && s["targets"].size() > 2; }, 20s)) << shop.log();
  shop.cmd("tap start");
  json product;
  for (const auto& pr : hub.products())
    if (pr["available"] == true && pr.value("option_groups", json::array()).empty()) { product = pr; break; }
  EXPECT_FALSE(product.is_null());
  const std::string pid = product["id"];
  shop.cmd("tap category:" + product["category_id"].get<std::string>());
  for (int i = 0; i < 10 && shop.cmd("tap product:" + pid).value("ok", false) == false; ++i) shop.cmd("tap page-next");
  EXPECT_EQ(shop.cmd("tap add").value("ok", false), true) << shop.state().dump();
  shop.cmd("tap cart");
  shop.cmd("tap checkout");
  shop.cmd("tap continue");
  EXPECT_EQ(shop.cmd("tap pay:cash").value("ok", false), true) << shop.state().dump();
  json st;
  kh::test::eventually([&] { st = shop.state(); return st.value("screen", "") == "confirmation"; }, 20s);
  EXPECT_EQ(st.value("screen", ""), "confirmation") << st.dump() << shop.log() << hub.log();
  out.order_id = st.value("order_id", "");
  out.number = st.value("number", "");
  return out;
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& f) {
  std::ifstream in(f, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The ticket's QR (the order id) is on the paper once this is true.
bool ticket_printed(const std::filesystem::path& printed, const std::string& order_id) {
  const auto bytes = read_file(printed);
  if (bytes.empty()) return false;
  const auto r = p::render_escpos(bytes, p::printer_profile::mm80());
  std::vector<std::uint8_t> grey(r.image.pixels.size());
  for (std::size_t i = 0; i < grey.size(); ++i) grey[i] = r.image.pixels[i] ? 0 : 255;
  kh::hardware::frame_decoder d;
  const int h = r.image.height, w = r.image.width, slice = 1200;
  for (int y0 = 0; y0 < h; y0 += slice / 2) {
    auto v = kh::hardware::luminance_view::make(grey.data() + static_cast<std::size_t>(y0) * w, w, std::min(slice, h - y0), w);
    if (!v) continue;
    for (const auto& c : d.decode_thoroughly(*v))
      if (c.text == order_id) return true;
  }
  return false;
}

json wait_for(screen_process& k, const std::function<bool(const json&)>& pred, std::chrono::milliseconds t) {
  json st;
  kh::test::eventually([&] { st = k.state(); return pred(st); }, t);
  return st;
}

}  // namespace

TEST(kiosk_modes, shop_order_paid_in_cash_prepared_shown_on_the_board_and_handed_over_by_scanning_the_ticket) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  kh::test::temp_dir cam;
  const auto printed = cam.path() / "printed.bin";
  const auto frames = cam.path() / "frames";
  std::filesystem::create_directories(frames);
  screen_process shop(broker, hub, "kiosk-1", {"--printer", "sim:" + printed.string(), "--size", "1280x800", "--dpi", "150"});
  screen_process counter(broker, hub, "counter-1", {"--mode", "counter", "--camera", "replay:" + frames.string(), "--size", "1280x800", "--dpi", "150"});
  screen_process board(broker, hub, "board-1", {"--mode", "board", "--size", "1920x1080"});

  const auto order = order_at_the_shop(shop, hub);
  ASSERT_FALSE(order.order_id.empty());
  const auto& n = order.number;

  // Counter: the cash order waits in "to pay"; take a note bigger than the total.
  auto cs = wait_for(counter, [&](const json& s) { return in_lane(s, "to_pay", n); }, 5s);
  ASSERT_TRUE(in_lane(cs, "to_pay", n)) << cs.dump() << counter.log();
  EXPECT_TRUE(counter.cmd("tap cash:" + order.order_id).value("ok", false));
  std::string quick;
  const auto dialog = counter.state();
  for (const auto& t : dialog["targets"])
    if (t["id"].get<std::string>().rfind("quick:", 0) == 0) quick = t["id"];  // the largest
  ASSERT_FALSE(quick.empty()) << counter.state().dump().substr(0, 3000);
  const std::int64_t tendered = std::stoll(quick.substr(6));
  EXPECT_TRUE(counter.cmd("tap " + quick).value("ok", false));
  EXPECT_TRUE(counter.cmd("tap key:ok").value("ok", false));
  cs = wait_for(counter, [](const json& s) { return s.value("dialog", "") == "cash_done"; }, 5s);
  ASSERT_EQ(cs.value("dialog", ""), "cash_done") << cs.dump() << counter.log() << hub.log();
  kh::test::db db(hub.db_file());
  const std::int64_t total = std::stoll(db.scalar("SELECT total FROM orders WHERE id='" + order.order_id + "'").value_or("0"));
  EXPECT_EQ(cs["tendered"].get<std::int64_t>(), tendered);
  EXPECT_EQ(cs["change"].get<std::int64_t>(), tendered - total) << "the hub's change";
  counter.cmd("tap close");
  cs = wait_for(counter, [&](const json& s) { return in_lane(s, "paid", n); }, 5s);
  ASSERT_TRUE(in_lane(cs, "paid", n)) << cs.dump();

  // Preparing: counter lane and board column.
  EXPECT_TRUE(counter.cmd("tap step:" + order.order_id).value("ok", false));
  cs = wait_for(counter, [&](const json& s) { return in_lane(s, "preparing", n); }, 5s);
  EXPECT_TRUE(in_lane(cs, "preparing", n)) << cs.dump();
  auto bs = wait_for(board, [&](const json& s) { return contains_number(s["preparing"], n); }, 5s);
  ASSERT_TRUE(contains_number(bs["preparing"], n)) << bs.dump() << board.log();

  // Ready: the board highlights it (and chimes).
  const auto chimes = bs["chimes"].get<int>();
  EXPECT_TRUE(counter.cmd("tap step:" + order.order_id).value("ok", false));
  bs = wait_for(board, [&](const json& s) { return contains_number(s["ready"], n); }, 5s);
  ASSERT_TRUE(contains_number(bs["ready"], n)) << bs.dump();
  EXPECT_FALSE(contains_number(bs["preparing"], n));
  EXPECT_TRUE(bs["ready"][0].value("highlight", false)) << bs.dump();
  EXPECT_GT(bs["chimes"].get<int>(), chimes);
  board.cmd("screenshot " + (cam.path() / "board.png").string());

  // The ticket from the shop's printer, rendered, in front of the counter's camera.
  ASSERT_TRUE(kh::test::eventually([&] { return ticket_printed(printed, order.order_id); }, 10s)) << shop.log();
  ticket_png(read_file(printed), frames / "ticket-1.png");
  cs = wait_for(counter, [](const json& s) { return s["notice"].is_object() && s["notice"].value("kind", "") != "info"; }, 10s);
  ASSERT_TRUE(cs["notice"].is_object()) << cs.dump() << counter.log();
  EXPECT_EQ(cs["notice"].value("kind", ""), "ok") << cs.dump();
  EXPECT_EQ(cs["notice"].value("key", ""), "counter.collected");
  EXPECT_EQ(db.scalar("SELECT state FROM orders WHERE id='" + order.order_id + "'").value_or(""), "collected");
  bs = wait_for(board, [&](const json& s) { return !contains_number(s["ready"], n); }, 5s);
  EXPECT_FALSE(contains_number(bs["ready"], n)) << bs.dump();
  EXPECT_FALSE(contains_number(bs["preparing"], n));
  counter.cmd("screenshot " + (cam.path() / "counter-collected.png").string());

  // Second scan of the same ticket (out of view for longer than the scanner's 2 s dedupe).
  std::this_thread::sleep_for(2500ms);
  std::filesystem::copy_file(frames / "ticket-1.png", frames / "ticket-2.png");
  cs = wait_for(counter, [](const json& s) { return s["notice"].is_object() && s["notice"].value("key", "") == "counter.already_collected"; }, 10s);
  ASSERT_TRUE(cs["notice"].is_object()) << cs.dump() << counter.log();
  EXPECT_EQ(cs["notice"].value("kind", ""), "error");
  const std::string text = cs["notice"].value("text", "");
  EXPECT_NE(text.find("already collected at "), std::string::npos) << text;
  EXPECT_NE(text.find(" at counter-1"), std::string::npos) << text;
  EXPECT_EQ(cs["scans"].get<int>(), 2);
  counter.cmd("screenshot " + (cam.path() / "counter-already.png").string());
  if (const char* keep = std::getenv("KH_KEEP_SCREENS")) {
    for (const char* f : {"board.png", "counter-collected.png", "counter-already.png"})
      std::filesystem::copy_file(cam.path() / f, std::filesystem::path(keep) / f, std::filesystem::copy_options::overwrite_existing);
  }
  for (auto* k : {&shop, &counter, &board}) {
    k->proc().signal(SIGTERM);
    EXPECT_EQ(k->proc().wait(10s).value_or(-1), 0) << k->log();
  }
}

namespace {

// n cash orders from a raw shop device, paid (and optionally made ready) by a raw counter device
// through the hub's staff actions. Returns {order_id, number}.
std::vector<placed> paid_orders(kh::test::mosquitto& broker, kh::test::hub& hub, int n, bool ready) {
  kh::test::raw_device shop(broker, "kiosk-1");
  kh::test::raw_device staff(broker, "counter-9");
  const auto product = hub.product_with_stock(100);
  std::vector<placed> out;
  for (int i = 0; i < n; ++i) {
    auto body = kh::test::order_body({{product["id"], 1}});
    shop.send("order.submit", body);
    auto r = shop.next_for(body["order_id"]);
    EXPECT_TRUE(r && r->type == "order.accepted") << hub.log();
    if (!r) return out;
    const auto total = r->body()["total"];
    out.push_back({body["order_id"], r->body()["number"]});
    // take_cash, then (for ready orders) preparing and ready: this hub refuses paid → ready
    // ("invalid_transition") although docs/protocol.md allows skipping preparing.
    for (const char* action : {"take_cash", "preparing", "ready"}) {
      if (std::string(action) != "take_cash" && !ready) break;
      json a{{"action_id", kh::protocol::new_uuid()}, {"action", action}, {"order_id", body["order_id"]}};
      if (std::string(action) == "take_cash") a["tendered"] = total;
      staff.send("order.action", a);
      auto res = staff.next_for(body["order_id"]);
      EXPECT_TRUE(res && res->body().value("ok", false)) << (res ? res->body().dump() : "no answer") << hub.log();
    }
  }
  return out;
}

}  // namespace

TEST(kiosk_modes, two_counters_scanning_the_same_ticket_at_once_collect_it_once) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.add_device("counter-2", "counter");
  hub.add_device("counter-9", "counter");
  hub.serve();
  const auto orders = paid_orders(broker, hub, 1, true);
  ASSERT_EQ(orders.size(), 1u);
  screen_process c1(broker, hub, "counter-1", {"--mode", "counter", "--size", "1280x800"});
  screen_process c2(broker, hub, "counter-2", {"--mode", "counter", "--size", "1280x800"});
  const auto& o = orders[0];
  for (auto* c : {&c1, &c2})
    ASSERT_TRUE(in_lane(wait_for(*c, [&](const json& s) { return in_lane(s, "ready", o.number); }, 5s), "ready", o.number)) << c->log();
  std::thread t1([&] { c1.cmd("scan " + o.order_id); });
  std::thread t2([&] { c2.cmd("scan " + o.order_id); });
  t1.join();
  t2.join();
  auto done = [](const json& s) { return s["notice"].is_object() && s["notice"].value("kind", "") != "info"; };
  const auto s1 = wait_for(c1, done, 10s), s2 = wait_for(c2, done, 10s);
  ASSERT_TRUE(done(s1) && done(s2)) << s1.dump() << s2.dump();
  std::vector<std::string> keys{s1["notice"]["key"], s2["notice"]["key"]};
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"counter.already_collected", "counter.collected"})) << s1.dump() << s2.dump();
  kh::test::db db(hub.db_file());
  EXPECT_EQ(db.scalar("SELECT state FROM orders WHERE id='" + o.order_id + "'").value_or(""), "collected");
}

TEST(kiosk_modes, a_board_started_after_ten_orders_shows_them_all_within_a_second_of_connecting) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.add_device("counter-9", "counter");
  hub.serve();
  const auto orders = paid_orders(broker, hub, 10, false);
  ASSERT_EQ(orders.size(), 10u);
  screen_process board(broker, hub, "board-1", {"--mode", "board", "--size", "1920x1080"});
  // From the moment the board is online (its state says so), everything within 1 s.
  auto on = wait_for(board, [](const json& s) { return s.value("online", false); }, 15s);
  ASSERT_TRUE(on.value("online", false)) << board.log();
  const auto t0 = std::chrono::steady_clock::now();
  auto all = [&](const json& s) {
    for (const auto& o : orders)
      if (!contains_number(s["preparing"], o.number)) return false;
    return true;
  };
  const auto st = wait_for(board, all, 5s);
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(all(st)) << st.dump() << board.log();
  EXPECT_LE(took, 1s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

TEST(kiosk_modes, a_board_whose_broker_drops_while_orders_change_is_right_within_a_second_of_reconnecting) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.add_device("counter-9", "counter");
  hub.serve();
  auto orders = paid_orders(broker, hub, 3, false);
  ASSERT_EQ(orders.size(), 3u);
  screen_process board(broker, hub, "board-1", {"--mode", "board", "--size", "1920x1080", "--keepalive-seconds", "60"});
  ASSERT_TRUE(contains_number(wait_for(board, [&](const json& s) { return contains_number(s["preparing"], orders[2].number); }, 10s)["preparing"], orders[2].number));
  // The broker dies; while it is down nothing reaches the board. It comes back on the same port;
  // then, before the board has reconnected, orders change (two ready, one new).
  broker.restart();
  const auto more = paid_orders(broker, hub, 1, false);
  {
    kh::test::raw_device staff(broker, "counter-9");
    for (int i = 0; i < 2; ++i)
      for (const char* action : {"preparing", "ready"}) {
        staff.send("order.action", json{{"action_id", kh::protocol::new_uuid()}, {"action", action}, {"order_id", orders[static_cast<std::size_t>(i)].order_id}});
        auto r = staff.next_for(orders[static_cast<std::size_t>(i)].order_id);
        ASSERT_TRUE(r && r->body().value("ok", false)) << (r ? r->body().dump() : "") << hub.log();
      }
  }
  auto right = [&](const json& s) {
    return s.value("online", false) && contains_number(s["ready"], orders[0].number) && contains_number(s["ready"], orders[1].number) &&
           contains_number(s["preparing"], orders[2].number) && contains_number(s["preparing"], more[0].number) &&
           !contains_number(s["preparing"], orders[0].number);
  };
  auto on = wait_for(board, [](const json& s) { return s.value("online", false); }, 30s);
  const auto t0 = std::chrono::steady_clock::now();
  const auto st = wait_for(board, right, 5s);
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(right(st)) << st.dump() << board.log();
  EXPECT_LE(took, 1s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}
