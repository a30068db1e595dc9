#pragma once
// Private state of the web app, shared by app.cpp (core, accounts, assets), portal.cpp (owner
// pages) and shop.cpp (phone shop).

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kh/hub/storage/sqlite.hpp"
#include "kh/hub/web/escape.hpp"
#include "kh/hub/web/web.hpp"
#include "web/sse.hpp"
#include "web/util.hpp"

namespace kh::hub::web {

/// Read-only connections, one per concurrent request, reused.
class read_pool {
 public:
  explicit read_pool(std::string path) : path_(std::move(path)) {}
  class lease {
   public:
    lease(read_pool& p, std::unique_ptr<sqlite::connection> c) : p_(p), c_(std::move(c)) {}
    ~lease() { p_.put(std::move(c_)); }
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    sqlite::connection& operator*() { return *c_; }
    sqlite::connection* operator->() { return c_.get(); }

   private:
    read_pool& p_;
    std::unique_ptr<sqlite::connection> c_;
  };
  lease get();

 private:
  void put(std::unique_ptr<sqlite::connection> c);
  std::string path_;
  std::mutex mu_;
  std::vector<std::unique_ptr<sqlite::connection>> free_;
};

struct session {
  std::string owner_id;
  std::string business_id;
  std::string email;
  std::string role;  ///< "owner" | "staff"
  std::string csrf;
  std::string business_name;
  std::string slug;
  std::string lang = "en";  ///< the store's default language: how staff pages write money ("€3.60", "3,60 €")
  bool owner() const { return role == "owner"; }
  std::string actor() const { return role + ":" + owner_id; }
};

/// A bad form field: answered 400 with the field named, nothing written.
struct field_error {
  std::string field;
  std::string message;
};

struct static_asset {
  std::string content_type;
  std::string raw, gz, br;
};

struct app::impl {
  impl(web_options o, store& w, order_service& ord, web_hooks h);

  web_options opts;
  store& writer;
  order_service& orders;
  web_hooks hooks;
  read_pool reads;
  std::mutex assets_mu;
  std::map<std::string, std::shared_ptr<static_asset>> assets;  // by URL path, loaded on first use

  // Sign-in failures: key "a:<email>" or "i:<address>" → failure times (ms).
  std::mutex limits_mu;
  std::map<std::string, std::vector<std::int64_t>> failures;
  // Phone orders per browser session (shop.cpp): times (ms) of the last minute.
  std::mutex phone_mu;
  std::map<std::string, std::vector<std::int64_t>> phone_orders;
  // Customer support messages per client address (support.cpp): times (ms).
  std::mutex support_mu;
  std::map<std::string, std::vector<std::int64_t>> support_posts;

  // ---- core ------------------------------------------------------------------------------
  /// Runs `f` inside a write transaction on the writer thread; rethrows what `f` threw.
  void write(const std::function<void(sqlite::connection&)>& f);
  /// Runs `f` on the writer thread without a transaction (order_service opens its own).
  void on_writer(const std::function<void()>& f);
  std::string base_url(const http_request& req) const;
  http_response page(const http_request& req, int status, const std::string& title, const safe_html& body,
                     const session* s, const std::string& scripts = {});
  http_response error_page(const http_request& req, int status, const std::string& message, const session* s);
  http_response bad_field(const http_request& req, const field_error& e, const session* s);
  http_response not_found(const http_request& req, const session* s = nullptr);
  http_response finish(const http_request& req, http_response r);

  // ---- accounts --------------------------------------------------------------------------
  std::optional<session> current(const http_request& req);
  /// Session required (else redirect to /login); for POST, the CSRF token too (else 403).
  std::optional<http_response> require(const http_request& req, std::optional<session>& s, bool owner_only);
  bool csrf_ok(const http_request& req, const std::map<std::string, std::string>& form, const session* s);
  std::string pre_csrf(const http_request& req, http_response& r);
  std::string start_session(const std::string& owner_id, http_response& r);
  /// nullopt: allowed; else the 429 message.
  std::optional<std::string> login_blocked(const std::string& email, const std::string& addr);
  void login_failed(const std::string& email, const std::string& addr);
  std::optional<std::map<std::string, std::string>> form(const http_request& req);

  http_response get_home(const http_request& req);
  http_response get_register(const http_request& req, const std::string& error = {});
  http_response post_register(const http_request& req);
  http_response get_login(const http_request& req, const std::string& error = {}, int status = 200);
  http_response post_login(const http_request& req);
  http_response post_logout(const http_request& req);
  http_response get_static(const http_request& req);
  http_response get_image(const http_request& req);
  http_response get_tracking_redirect(const http_request& req);

  // ---- portal (portal.cpp) ---------------------------------------------------------------
  http_response portal(const http_request& req);
  http_response portal_home(const http_request& req, const session& s);
  http_response portal_store(const http_request& req, const session& s);
  http_response portal_categories(const http_request& req, const session& s);
  http_response portal_products(const http_request& req, const session& s);
  http_response portal_product(const http_request& req, const session& s, const std::string& id,
                               const std::vector<std::string>& rest);
  http_response portal_discounts(const http_request& req, const session& s);
  http_response portal_products_csv(const http_request& req, const session& s);
  http_response portal_import(const http_request& req, const session& s);
  http_response portal_staff(const http_request& req, const session& s);
  http_response portal_orders(const http_request& req, const session& s, const std::vector<std::string>& rest);
  http_response portal_qr(const http_request& req, const session& s, const std::vector<std::string>& rest);
  void catalog_changed(const std::string& business_id);

  // ---- shop (shop.cpp) -------------------------------------------------------------------
  http_response shop(const http_request& req);

  // ---- live orders (orders_live.cpp) -----------------------------------------------------
  std::shared_ptr<sse_hub> sse;  // made in the constructor (window and timer from opts and hooks)
  std::unique_ptr<staff_service> own_staff;  // when hooks.staff is not given
  staff_service& staff();                    // writer thread only
  http_response live(const http_request& req, const session& s, const std::vector<std::string>& rest);
  http_response live_board(const http_request& req, const session& s, bool counter);
  http_response live_events(const http_request& req, const session& s);
  http_response live_detail(const http_request& req, const session& s, const std::string& order_id);
  http_response live_action(const http_request& req, const session& s, const std::string& order_id);
  http_response live_print(const http_request& req, const session& s, const std::string& order_id);
};

/// <option>s of every IANA zone tzdata knows (portal_store.cpp), `selected` chosen.
safe_html time_zone_options(const std::string& selected);

/// The shared page shell's CSRF hidden input.
safe_html csrf_input(const session& s);

}  // namespace kh::hub::web
