// The touch shop end to end: real Mosquitto + kioskhub + the kiosk's window on SDL's offscreen
// driver, driven through its control socket (the same event path as a finger). The sim printer's
// bytes are rendered to a bitmap and read back with the scanner, as a person would read the paper.

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "hub_fixture.hpp"
#include "kh/hardware/frame.hpp"
#include "kh/hardware/printer/render.hpp"
#include "kh/hardware/scanner/scanner.hpp"

using namespace std::chrono_literals;
using kh::test::json;

namespace {

// A kiosk with a window (offscreen) and a control socket; answers are JSON lines.
class ui_kiosk {
 public:
  ui_kiosk(kh::test::mosquitto& broker, kh::test::hub& h, const std::string& device = "kiosk-1") {
    sock_path_ = dir_.path() / "ctl";
    printed_ = dir_.path() / "printed.bin";
    proc_ = std::make_unique<kh::test::process>(kh::test::process::options{
        .argv = {(kh::test::bin_dir() / "kiosk").string(), "--data", (dir_.path() / "data").string(),
                 "--device", device, "--mqtt", broker.url(), "--business", h.business_id(),
                 "--control", sock_path_.string(), "--printer", "sim:" + printed_.string(),
                 "--size", "1280x800", "--dpi", "150"},
        .env = {"SDL_VIDEODRIVER=offscreen"},
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
    for (const auto& t : state()["targets"])
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
  ui_kiosk k(broker, hub);
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
  if (k.has_target("type:pickup")) {
    k.cmd("tap type:pickup");
    for (const auto& t : k.state()["targets"])
      if (t["id"].get<std::string>().rfind("slot:", 0) == 0) { k.cmd("tap " + t["id"].get<std::string>()); break; }
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

  // The paper: the ticket's QR is the order id (what the counter scans).
  // Wait for the ticket itself (its QR), not for some bytes: the receipt prints first.
  std::vector<std::string> codes;
  EXPECT_TRUE(kh::test::eventually([&] {
    codes = qr_codes_on_paper(k.printed());
    return std::find(codes.begin(), codes.end(), order_id) != codes.end();
  }, 10s)) << "codes on paper: " << codes.size();

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
}
