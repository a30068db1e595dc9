#pragma once
// The hub's web: the owner portal (accounts, store setup, products, stock, discounts, QR codes,
// a plain staff orders page) and the phone shop under /s/{slug}. Server-rendered HTML, every
// asset served by the hub. Routes: docs/web.md.
//
// Threading: page reads run on the web's own read-only SQLite connections; every write is
// handed to `web_hooks::on_writer`, which runs it on the writer's thread (the one that owns the
// `store`) and returns when it is done. Handlers are safe to run on any thread(s).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kh/hub/http/http_server.hpp"
#include "kh/hub/orders/order_service.hpp"
#include "kh/hub/orders/staff_service.hpp"
#include "kh/hub/storage/store.hpp"

namespace kh::hub::web {

struct web_options {
  /// Base URL that QR codes and links carry, without a trailing slash ("https://shop.example").
  /// Empty: taken from the request's Host header.
  std::string public_url;
  std::string db_path;   ///< the database file (read-only connections are opened on it)
  std::string data_dir;  ///< uploaded images go to DIR/images
  /// Where Debian's libjs-bootstrap5 installs Bootstrap (served under /static/bootstrap/).
  std::string bootstrap_dir = "/usr/share/javascript/bootstrap5";
  /// Failed sign-ins allowed per account and per window before 429 (default 5 per 15 min);
  /// per address it is 4× that.
  int login_failures_per_account = 5;
  std::chrono::seconds login_window{15 * 60};
  std::chrono::hours session_lifetime{24 * 14};  ///< default 14 days
  /// Largest image upload (default 4 MiB) and its largest pixel count (default 24 MP): larger
  /// images (decompression bombs included) are refused before decoding.
  std::size_t max_image_bytes = 4 * 1024 * 1024;
  std::int64_t max_image_pixels = 24'000'000;
  /// Largest ordinary form body (default 64 KiB).
  std::size_t max_form_bytes = 64 * 1024;
  bool secure_cookies = false;  ///< adds `Secure` (behind TLS)
  /// Phones all order as the business' device web-<business>, whose cap on unpaid units
  /// (--unpaid-hold-limit, default 100) is the business-wide ceiling. Each browser session (its
  /// `kh_pre` cookie) may hold at most this many stock-tracked units in unpaid orders (default
  /// 20; 0: no cap) and place this many orders a minute (default 6; 0: no limit).
  std::int64_t phone_session_hold_units = 20;
  int phone_session_orders_per_minute = 6;
  /// Live streams: events within this window of a fan-out go out together at its end, one write
  /// per stream (0: each event at once).
  std::chrono::milliseconds live_coalesce{100};
};

struct web_hooks {
  /// Runs `f` on the writer's thread and returns once it ran. Default: runs it inline (the HTTP
  /// server shares the writer's thread).
  std::function<void(const std::function<void()>& f)> on_writer;
  /// A business' catalog changed: republish it (called on the writer's thread).
  std::function<void(const std::string& business_id)> catalog_changed;
  /// A phone order was placed (accepted or rejected), on the writer's thread.
  std::function<void(const placement& p)> order_placed;
  /// Staff moved an order to another state, on the writer's thread.
  std::function<void(const transition_outcome& t)> order_changed;
  /// Staff actions (the counter's rules and answers), used only inside `on_writer`. Default none:
  /// the web makes its own on `orders`.
  staff_service* staff = nullptr;
  /// Runs `f` on the HTTP thread soon (the live stream's fan-out); default: runs it inline.
  std::function<void(std::function<void()> f)> on_http;
  /// Runs `f` on the HTTP thread after `delay` (the live streams' coalescing window); default
  /// none: every event goes out at once.
  std::function<void(std::chrono::milliseconds delay, std::function<void()> f)> on_http_after;
};

class app {
 public:
  /// `writer` and `orders` are used only inside `hooks.on_writer`.
  app(web_options opts, store& writer, order_service& orders, web_hooks hooks);
  ~app();
  app(const app&) = delete;
  app& operator=(const app&) = delete;
  /// Registers every web route (docs/web.md) on `router`.
  void add_routes(http_router& router);
  /// The id of the device that phone orders of `business_id` are placed as ("web-<business>").
  static std::string web_device_id(const std::string& business_id);
  /// Every order event the hub published (writer thread, after the commit, in seq order per
  /// business): fanned out to the dashboard's open live streams on the HTTP thread.
  void order_event(const std::string& business_id, const protocol::order_status& st);
  /// Live streams open for the business (tests, bench).
  std::size_t live_streams(const std::string& business_id);

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace kh::hub::web
