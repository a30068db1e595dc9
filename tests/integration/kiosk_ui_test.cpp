// The touch shop end to end: real Mosquitto + kioskhub + the kiosk's window on SDL's offscreen
// driver, driven through its control socket (the same event path as a finger). The sim printer's
// bytes are rendered to a bitmap and read back with the scanner, as a person would read the paper.

#include <date/tz.h>
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "hub_fixture.hpp"
#include "corpus.hpp"
#include "kh/hardware/camera/image_file.hpp"
#include "kh/hardware/frame.hpp"
#include "kh/hardware/printer/render.hpp"
#include "kh/hardware/scanner/scanner.hpp"

using namespace std::chrono_literals;
using kh::test::json;

namespace {

// A kiosk with a window (offscreen) and a control socket; answers are JSON lines.
class ui_kiosk {
 public:
  /// `tz`: the kiosk's own clock zone (TZ), which must not matter: it shows the store's.
  ui_kiosk(kh::test::mosquitto& broker, kh::test::hub& h, const std::string& device = "kiosk-1",
           const std::string& tz = "UTC", std::vector<std::string> extra = {}) {
    sock_path_ = dir_.path() / "ctl";
    printed_ = dir_.path() / "printed.bin";
    std::vector<std::string> argv = {(kh::test::bin_dir() / "kiosk").string(), "--data", (dir_.path() / "data").string(),
                                     "--device", device, "--mqtt", broker.url(), "--business", h.business_id(),
                                     "--control", sock_path_.string(), "--printer", "sim:" + printed_.string(),
                                     "--size", "1280x800", "--dpi", "150"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<kh::test::process>(kh::test::process::options{
        .argv = argv,
        .env = {"SDL_VIDEODRIVER=offscreen", "TZ=" + tz},
        .stderr_file = dir_.path() / "kiosk.stderr"});
    kh::test::eventually([&] { return connect(); }, 15s);
  }
  ~ui_kiosk() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connect() {
    if (fd_ >= 0) return true;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", sock_path_.c_str());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      return false;
    }
    fd_ = fd;
    return true;
  }
  json cmd(const std::string& line) {
    if (fd_ < 0) return json();
    const std::string l = line + "\n";
    if (::send(fd_, l.data(), l.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(l.size())) return json();
    std::string out;
    char c = 0;
    while (::recv(fd_, &c, 1, 0) == 1 && c != '\n') out += c;
    return json::parse(out, nullptr, false);
  }
  json state() { return cmd("state"); }
  bool has_target(const std::string& id) {
    const json s = state();  // not `state()["targets"]` in the loop: the temporary would be gone
    for (const auto& t : s["targets"])
      if (t["id"] == id) return true;
    return false;
  }
  json wait_screen(const std::string& screen, std::chrono::milliseconds timeout) {
    json s;
    kh::test::eventually([&] { s = state(); return s.value("screen", "") == screen; }, timeout);
    return s;
  }
  std::vector<std::uint8_t> printed() {
    std::ifstream f(printed_, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
  }
  std::string log() const {
    std::ifstream f(dir_.path() / "kiosk.stderr");
    return {std::istreambuf_iterator<char>(f), {}};
  }
  kh::test::process& proc() { return *proc_; }

 private:
  kh::test::temp_dir dir_;
  std::filesystem::path sock_path_, printed_;
  std::unique_ptr<kh::test::process> proc_;
  int fd_ = -1;
};

// Every QR code on the printed paper, read back by the scanner from the rendered bitmap.
std::vector<std::string> qr_codes_on_paper(const std::vector<std::uint8_t>& bytes) {
  namespace p = kh::hardware::printer;
  const auto r = p::render_escpos(bytes, p::printer_profile::mm80());
  std::vector<std::uint8_t> grey(r.image.pixels.size());
  for (std::size_t i = 0; i < grey.size(); ++i) grey[i] = r.image.pixels[i] ? 0 : 255;
  std::vector<std::string> out;
  // Decode in slices of paper (one document each is at most ~1500 rows).
  const int h = r.image.height, w = r.image.width, slice = 1200;
  kh::hardware::frame_decoder d;
  for (int y0 = 0; y0 < h; y0 += slice / 2) {
    const int sh = std::min(slice, h - y0);
    auto v = kh::hardware::luminance_view::make(grey.data() + static_cast<std::size_t>(y0) * w, w, sh, w);
    if (!v) continue;
    for (const auto& c : d.decode_thoroughly(*v))
      if (std::find(out.begin(), out.end(), c.text) == out.end()) out.push_back(c.text);
  }
  return out;
}

// Taps through the product screen: every required group gets its first available choice, and an
// optional group its first too (so the order carries options whenever the catalog has them).
void add_product(ui_kiosk& k, const json& product) {
  const std::string id = product["id"];
  ASSERT_EQ(k.cmd("tap product:" + id).value("screen", ""), "product") << k.log();
  for (const auto& g : product.value("option_groups", json::array())) {
    const std::string gid = g["id"];
    bool chosen = false;
    for (const auto& o : g["options"]) if (o.value("default", false)) chosen = true;
    if (chosen) continue;
    for (const auto& o : g["options"]) {
      if (!o.value("available", true)) continue;
      ASSERT_TRUE(k.cmd("tap option:" + gid + "/" + o["id"].get<std::string>()).value("ok", false));
      break;
    }
  }
  const auto added = k.cmd("tap add");
  ASSERT_EQ(added.value("screen", ""), "menu") << added.dump() << k.log();
}

std::vector<json> orderable(kh::test::hub& h) {
  std::vector<json> out;
  for (const auto& p : h.products())
    if (p["available"] == true && (!p.contains("stock") || p["stock"].is_null() || p["stock"] >= 5))
      out.push_back(p);
  // Products with options first: the journey should carry options when the store has them.
  std::stable_sort(out.begin(), out.end(), [](const json& a, const json& b) {
    return a.value("option_groups", json::array()).size() > b.value("option_groups", json::array()).size();
  });
  return out;
}

void open_category_of(ui_kiosk& k, const json& p) {
  k.cmd("tap category:" + p["category_id"].get<std::string>());
  for (int i = 0; i < 10 && !k.has_target("product:" + p["id"].get<std::string>()); ++i) k.cmd("tap page-next");
}

}  // namespace

TEST(kiosk_ui, a_customer_orders_two_products_pays_at_the_counter_and_gets_the_hubs_number_on_paper) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  // The kiosk's clock is 13 hours off the store's zone: slots and times must still be the store's.
  ui_kiosk k(broker, hub, "kiosk-1", "Pacific/Kiritimati");
  ASSERT_TRUE(kh::test::eventually([&] { auto s = k.state(); return s.value("online", false) && s["targets"].size() > 2; }, 20s))
      << k.log();
  EXPECT_EQ(k.cmd("tap start").value("screen", ""), "menu");
  const auto products = orderable(hub);
  ASSERT_GE(products.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    open_category_of(k, products[static_cast<std::size_t>(i)]);
    add_product(k, products[static_cast<std::size_t>(i)]);
  }
  auto st = k.state();
  ASSERT_EQ(st["cart"].size(), 2u) << st.dump();
  EXPECT_EQ(k.cmd("tap cart").value("screen", ""), "cart");
  EXPECT_EQ(k.cmd("tap checkout").value("screen", ""), "order_type");
  // Pickup with the first slot when the store offers it, else whatever comes first.
  std::string slot;
  if (k.has_target("type:pickup")) {
    k.cmd("tap type:pickup");
    const json now = k.state();
    for (const auto& t : now["targets"])
      if (t["id"].get<std::string>().rfind("slot:", 0) == 0) {
        slot = t["id"].get<std::string>().substr(5);
        k.cmd("tap " + t["id"].get<std::string>());
        break;
      }
  }
  EXPECT_EQ(k.cmd("tap continue").value("screen", ""), "payment") << k.state().dump();
  EXPECT_EQ(k.cmd("tap pay:cash").value("screen", ""), "processing");
  st = k.wait_screen("confirmation", 20s);
  ASSERT_EQ(st.value("screen", ""), "confirmation") << st.dump() << k.log() << hub.log();
  const std::string order_id = st["order_id"], number = st["number"];
  EXPECT_FALSE(st["local_number"].get<bool>());
  EXPECT_FALSE(st["ticket_failed"].get<bool>());

  // The hub has it under the number the screen shows.
  kh::test::db db(hub.db_file());
  EXPECT_EQ(db.scalar("SELECT number FROM orders WHERE id='" + order_id + "'").value_or(""), number);
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM order_lines WHERE order_id='" + order_id + "'"), 2);
  if (!slot.empty()) {
    // The slot the customer tapped is that wall-clock time in the store's zone.
    const auto ms = std::stoll(db.scalar("SELECT pickup_at_ms FROM order_details WHERE order_id='" + order_id + "'").value_or("0"));
    const auto zone = db.scalar("SELECT b.time_zone FROM orders o JOIN businesses b ON b.id = o.business_id WHERE o.id='" + order_id + "'").value_or("UTC");
    const date::zoned_time<std::chrono::seconds> at{zone, date::sys_seconds{std::chrono::seconds(ms / 1000)}};
    EXPECT_EQ(date::format("%H:%M", at), slot) << zone;
  }

  // The paper: the ticket's QR is the order id (what the counter scans).
  // Wait for the ticket itself (its QR decoded off the paper), not for some bytes: the receipt
  // and the ticket are separate jobs and may arrive apart.
  std::vector<std::string> codes;
  EXPECT_TRUE(kh::test::eventually([&] {
    codes = qr_codes_on_paper(k.printed());
    return std::find(codes.begin(), codes.end(), order_id) != codes.end();
  }, 15s)) << "codes on paper: " << codes.size();

  // A screenshot through the same socket.
  const auto shot = std::filesystem::temp_directory_path() / ("kiosk-ui-" + order_id + ".png");
  EXPECT_TRUE(k.cmd("screenshot " + shot.string()).value("ok", false));
  EXPECT_GT(std::filesystem::file_size(shot), 1000u);
  std::filesystem::remove(shot);
  k.proc().signal(SIGTERM);
  EXPECT_EQ(k.proc().wait(10s).value_or(-1), 0) << k.log();
}

TEST(kiosk_ui, printer_out_of_paper_tells_the_customer_to_ask_staff_and_the_order_still_goes_through) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  ui_kiosk k(broker, hub);
  ASSERT_TRUE(kh::test::eventually([&] { auto s = k.state(); return s.value("online", false) && s["targets"].size() > 2; }, 20s))
      << k.log();
  ASSERT_TRUE(k.cmd("printer paper_out").value("ok", false));
  k.cmd("tap start");
  const auto products = orderable(hub);
  open_category_of(k, products.back());
  add_product(k, products.back());
  k.cmd("tap cart");
  k.cmd("tap checkout");
  k.cmd("tap type:takeaway");
  k.cmd("tap continue");
  k.cmd("tap pay:cash");
  auto st = k.wait_screen("confirmation", 20s);
  ASSERT_EQ(st.value("screen", ""), "confirmation") << k.log();
  ASSERT_TRUE(kh::test::eventually([&] { st = k.state(); return st["ticket_failed"] == true; }, 10s)) << st.dump();
  EXPECT_EQ(st["printer"], "paper_out");
  kh::test::db db(hub.db_file());
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM orders WHERE id='" + st["order_id"].get<std::string>() + "'"), 1);
  EXPECT_TRUE(k.printed().empty());
  // The kiosk told the hub (device.status): staff see the printer's state in the stored status.
  EXPECT_TRUE(kh::test::eventually([&] {
    return db.scalar("SELECT printer FROM device_status WHERE device_id = 'kiosk-1'").value_or("") == "paper_out";
  }, 10s)) << hub.log();
}

TEST(kiosk_ui, an_order_placed_while_the_broker_is_down_gets_a_local_number_prints_and_reaches_the_hub_once) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  ui_kiosk k(broker, hub);
  ASSERT_TRUE(kh::test::eventually([&] { auto s = k.state(); return s.value("online", false) && s["targets"].size() > 2; }, 20s))
      << k.log();
  const auto products = orderable(hub);
  ASSERT_FALSE(products.empty());
  broker.kill();  // mid-session: the customer is on the attract screen with a cached catalog
  ASSERT_TRUE(kh::test::eventually([&] { return k.state().value("online", true) == false; }, 15s)) << k.log();
  EXPECT_EQ(k.cmd("tap start").value("screen", ""), "menu");
  open_category_of(k, products.front());
  add_product(k, products.front());
  k.cmd("tap cart");
  EXPECT_EQ(k.cmd("tap checkout").value("screen", ""), "order_type");
  k.cmd("tap type:takeaway");
  EXPECT_EQ(k.cmd("tap continue").value("screen", ""), "payment");
  EXPECT_TRUE(k.has_target("pay:cash")) << k.state().dump();  // offline: pay at the counter only
  EXPECT_FALSE(k.has_target("pay:card_present"));
  k.cmd("tap pay:cash");
  auto st = k.wait_screen("confirmation", 30s);
  ASSERT_EQ(st.value("screen", ""), "confirmation") << st.dump() << k.log();
  EXPECT_TRUE(st["local_number"].get<bool>());
  const std::string order_id = st["order_id"], number = st["number"];
  EXPECT_EQ(number.rfind("K1-", 0), 0u) << number;
  // The ticket prints offline, with the order id the counter scans.
  std::vector<std::string> codes;
  EXPECT_TRUE(kh::test::eventually([&] {
    codes = qr_codes_on_paper(k.printed());
    return std::find(codes.begin(), codes.end(), order_id) != codes.end();
  }, 15s)) << "codes on paper: " << codes.size();
  kh::test::db db(hub.db_file());
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM orders WHERE id='" + order_id + "'"), 0);
  broker.revive();
  // The outbox delivers it once the link is back; the hub keeps the kiosk's number.
  ASSERT_TRUE(kh::test::eventually([&] {
    return db.count("SELECT COUNT(*) FROM orders WHERE id='" + order_id + "'") == 1;
  }, 30s)) << k.log() << hub.log();
  EXPECT_EQ(db.scalar("SELECT number FROM orders WHERE id='" + order_id + "'").value_or(""), number);
  EXPECT_TRUE(kh::test::eventually([&] { return k.state().value("online", false); }, 15s));
  // Exactly once: a reconnect more does not place it again.
  broker.restart();
  ASSERT_TRUE(kh::test::eventually([&] { return k.state().value("online", false); }, 30s)) << k.log();
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM orders WHERE device_id = 'kiosk-1'"), 1);
  k.proc().signal(SIGTERM);
  EXPECT_EQ(k.proc().wait(10s).value_or(-1), 0) << k.log();
}

TEST(kiosk_ui, the_cart_shows_the_hubs_quote_with_the_discount_and_a_product_sold_out_meanwhile) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.add_device("kiosk-2");
  hub.serve();
  ui_kiosk k(broker, hub);
  ASSERT_TRUE(kh::test::eventually([&] { auto s = k.state(); return s.value("online", false) && s["targets"].size() > 2; }, 20s))
      << k.log();
  // Two croissants (2.40 each, 5 in stock) scanned by their barcode, and the welcome code.
  EXPECT_TRUE(k.cmd("scan BK-CRO").value("ok", false));
  EXPECT_TRUE(k.cmd("scan BK-CRO").value("ok", false));
  EXPECT_TRUE(k.cmd("scan khd:WELCOME10").value("ok", false));
  EXPECT_EQ(k.cmd("tap cart").value("screen", ""), "cart");
  // The kiosk's own estimate knows no discount codes; the hub's quote has 10 % off 4.80 and
  // the tax included in what is left: round(432 × 1000 / 11000) = 0.39.
  json st;
  ASSERT_TRUE(kh::test::eventually([&] { st = k.state(); return st["quote"]["source"] == "hub"; }, 10s))
      << st.dump() << k.log() << hub.log();
  EXPECT_EQ(st["quote"]["subtotal"], 480);
  EXPECT_EQ(st["quote"]["discount"], 48);
  EXPECT_EQ(st["quote"]["tax"], 39);
  EXPECT_EQ(st["quote"]["total"], 432);
  EXPECT_TRUE(st["quote"]["ok"].get<bool>());
  ASSERT_EQ(st["quote"]["lines"].size(), 1u);
  EXPECT_TRUE(st["quote"]["lines"][0]["problems"].empty());

  // Another kiosk buys the last five croissants meanwhile.
  kh::test::raw_device other(broker, "kiosk-2");
  json order = kh::test::order_body({{"croissant", 5}});
  other.send("order.submit", order);
  auto acc = other.next_for(order["order_id"]);
  ASSERT_TRUE(acc) << hub.log();
  ASSERT_EQ(acc->type, "order.accepted") << acc->envelope.dump();
  // The next change of this cart is quoted again: the hub reports the line sold out.
  EXPECT_TRUE(k.cmd("tap line-:0").value("ok", false));
  ASSERT_TRUE(kh::test::eventually([&] {
    st = k.state();
    return st["quote"]["source"] == "hub" && st["cart"].size() == 1 && st["cart"][0]["qty"] == 1 &&
           !st["quote"]["lines"].empty() && !st["quote"]["lines"][0]["problems"].empty();
  }, 10s)) << st.dump() << k.log();
  EXPECT_EQ(st["quote"]["lines"][0]["problems"][0], "out_of_stock");
  EXPECT_FALSE(st["quote"]["ok"].get<bool>());
  EXPECT_EQ(st["quote"]["total"], 0) << "a line with a problem counts 0";
  bool checkout_enabled = true;
  for (const auto& t : st["targets"])
    if (t["id"] == "checkout") checkout_enabled = t["enabled"].get<bool>();
  EXPECT_FALSE(checkout_enabled) << "the customer removes the sold-out line first";
  k.proc().signal(SIGTERM);
  EXPECT_EQ(k.proc().wait(10s).value_or(-1), 0) << k.log();
}

TEST(kiosk_ui, the_shop_camera_adds_a_product_applies_a_discount_code_and_loads_a_cart_from_rendered_codes) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  kh::test::temp_dir cam;
  const auto frames = cam.path() / "frames";
  std::filesystem::create_directories(frames);
  ui_kiosk k(broker, hub, "kiosk-1", "UTC", {"--camera", "replay:" + frames.string()});
  ASSERT_TRUE(kh::test::eventually([&] { auto s = k.state(); return s.value("online", false) && s["targets"].size() > 2; }, 20s))
      << k.log();
  namespace sc = kh::scan_corpus;
  using kh::hardware::code_format;
  // The camera sees a frame: a code drawn as a label would print it, dropped into the replay folder.
  auto show = [&](const std::string& name, code_format f, const std::string& text) {
    const auto img = sc::render_code(f, text, f == code_format::qr ? 6 : 3);
    ASSERT_FALSE(kh::hardware::write_png(frames / (name + ".png"), *img.view())) << name;
  };
  EXPECT_EQ(k.state()["camera"]["status"], "ok") << k.state().dump();

  // 1. The croissant's Code 128 label (its SKU): added, the attract screen gives way to the menu.
  show("01-croissant", code_format::code128, "BK-CRO");
  json st;
  ASSERT_TRUE(kh::test::eventually([&] { st = k.state(); return st["cart"].size() == 1; }, 15s)) << st.dump() << k.log();
  EXPECT_EQ(st["cart"][0]["product_id"], "croissant");
  EXPECT_EQ(st["screen"], "menu");
  EXPECT_EQ(st["notice"], "notice.added");

  // 2. A discount-code QR: the code is applied (the hub's quote then carries its 10 %).
  show("02-discount", code_format::qr, "khd:WELCOME10");
  ASSERT_TRUE(kh::test::eventually([&] { st = k.state(); return st.value("discount_code", "") == "WELCOME10"; }, 15s))
      << st.dump() << k.log();
  EXPECT_EQ(st["notice"], "notice.discount_applied");
  ASSERT_TRUE(kh::test::eventually([&] { st = k.state(); return st["quote"]["source"] == "hub"; }, 10s)) << st.dump();
  EXPECT_EQ(st["quote"]["discount"], 24) << "10 % of 2.40";

  // 3. A cart QR (as the phone shop makes it): the cart is replaced and shown.
  show("03-cart", code_format::qr, "khc:1:muffin*2,cookie*1");
  ASSERT_TRUE(kh::test::eventually([&] { st = k.state(); return st.value("screen", "") == "cart"; }, 15s)) << st.dump() << k.log();
  ASSERT_EQ(st["cart"].size(), 2u) << st.dump();
  EXPECT_EQ(st["cart"][0]["product_id"], "muffin");
  EXPECT_EQ(st["cart"][0]["qty"], 2);
  EXPECT_EQ(st["cart"][1]["product_id"], "cookie");
  EXPECT_EQ(st["scans"], 3) << "each code read once";
  k.proc().signal(SIGTERM);
  EXPECT_EQ(k.proc().wait(10s).value_or(-1), 0) << k.log();
}

TEST(kiosk_ui, the_maintenance_camera_view_shows_the_codes_the_camera_reads) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  auto hashed = kh::test::run({(kh::test::bin_dir() / "kiosk").string(), "--hash-pin", "2468"});
  ASSERT_EQ(hashed.code, 0);
  std::string hash = hashed.out;
  while (!hash.empty() && (hash.back() == '\n' || hash.back() == '\r')) hash.pop_back();
  kh::test::temp_dir cam;
  const auto frames = cam.path() / "frames";
  std::filesystem::create_directories(frames);
  ui_kiosk k(broker, hub, "kiosk-1", "UTC", {"--camera", "replay:" + frames.string(), "--staff-pin-hash", hash});
  ASSERT_TRUE(kh::test::eventually([&] { auto s = k.state(); return s["targets"].size() > 2; }, 20s)) << k.log();
  // The hidden gesture, the PIN, and the maintenance screen with its camera view.
  for (int i = 0; i < 5; ++i) k.cmd("tap staff");
  ASSERT_EQ(k.state().value("screen", ""), "staff_pin");
  for (const char* d : {"2", "4", "6", "8"}) k.cmd(std::string("tap pin:") + d);
  k.cmd("tap key-done");
  ASSERT_EQ(k.wait_screen("maintenance", 10s).value("screen", ""), "maintenance") << k.log();
  const auto img = kh::scan_corpus::render_code(kh::hardware::code_format::qr, "khd:STAFFTEST", 6);
  ASSERT_FALSE(kh::hardware::write_png(frames / "01.png", *img.view()));
  json st;
  ASSERT_TRUE(kh::test::eventually([&] { st = k.state(); return !st["camera"]["codes"].empty(); }, 15s)) << st.dump() << k.log();
  EXPECT_EQ(st["camera"]["codes"][0], "khd:STAFFTEST");
  EXPECT_GT(st["camera"]["preview"][0].get<int>(), 0);
  EXPECT_EQ(st.value("discount_code", "x"), "") << "a code read on the staff screen is not applied to a cart";
  k.proc().signal(SIGTERM);
  EXPECT_EQ(k.proc().wait(10s).value_or(-1), 0) << k.log();
}
