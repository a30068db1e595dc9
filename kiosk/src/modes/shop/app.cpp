#include "kh/kiosk/modes/shop/app.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <deque>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <SDL.h>
#include <date/tz.h>
#include <nlohmann/json.hpp>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include "kh/hardware/printer/receipt_printer.hpp"
#include "kh/hardware/printer/sim_printer.hpp"
#include "kh/kiosk/control/control_socket.hpp"
#include "kh/kiosk/modes/camera_feed.hpp"
#include "modes/window_support.hpp"
#include "kh/kiosk/link/image_cache.hpp"
#include "kh/kiosk/core/shop.hpp"
#include "kh/kiosk/modes/shop/view.hpp"
#include "kh/kiosk/print/journal.hpp"
#include "kh/kiosk/ui/draw.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/time.hpp"

namespace kh::kiosk::shop {

namespace hwp = kh::hardware::printer;
using json = nlohmann::json;

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

using window::task_queue;
using window::error_json;

// Wall-clock helpers in the store's IANA time zone (the catalog's profile), whatever zone the
// kiosk's own clock is set to: tickets, ETAs and pickup slots show the store's time, DST included
// (tzdata through Howard Hinnant's date library, as the hub does). Unknown zone: UTC.
const date::time_zone* store_zone(const std::string& name) {
  try {
    return date::locate_zone(name.empty() ? "UTC" : name);
  } catch (const std::exception&) {
    return date::locate_zone("UTC");
  }
}
std::atomic<const date::time_zone*> g_zone{nullptr};
const date::time_zone* zone() {
  const auto* z = g_zone.load();
  return z ? z : store_zone("UTC");
}
using sys_s = date::sys_seconds;
sys_s now_s() { return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()); }
std::string local_hhmm(sys_s t) { return date::format("%H:%M", date::zoned_time<std::chrono::seconds>{zone(), t}); }
std::string local_day() { return date::format("%Y-%m-%d", date::zoned_time<std::chrono::seconds>{zone(), now_s()}); }
// "HH:MM" today in the store's zone as RFC 3339 with that zone's offset, e.g. 2026-12-01T12:30:00+01:00.
std::string slot_rfc3339(const std::string& hhmm) {
  const date::zoned_time<std::chrono::seconds> now{zone(), now_s()};
  const auto day = date::floor<date::days>(now.get_local_time());
  const auto local = day + std::chrono::hours(std::stoi(hhmm.substr(0, 2))) + std::chrono::minutes(std::stoi(hhmm.substr(3, 2)));
  const date::zoned_time<std::chrono::seconds> at{zone(), local, date::choose::latest};
  std::string out = date::format("%Y-%m-%dT%H:%M:%S%z", at);
  out.insert(out.size() - 2, ":");
  return out;
}
// The hub's RFC 3339 ETA as "HH:MM" in the store's zone; empty when absent or malformed.
std::string eta_hhmm(const std::string& rfc) {
  const auto tp = protocol::parse_rfc3339(rfc);
  if (!tp) return {};
  return local_hhmm(std::chrono::time_point_cast<std::chrono::seconds>(*tp));
}

std::vector<std::string> pickup_slots(const protocol::order_type_offer& o) {
  const int len = std::max(5, o.slot_minutes > 0 ? o.slot_minutes : 15);
  const date::zoned_time<std::chrono::seconds> at{zone(), now_s() + std::chrono::minutes(o.lead_minutes)};
  const auto lt = at.get_local_time();
  const auto since_midnight = std::chrono::duration_cast<std::chrono::minutes>(lt - date::floor<date::days>(lt));
  int minute = static_cast<int>(since_midnight.count());
  minute = (minute + len - 1) / len * len;
  std::vector<std::string> out;
  for (int i = 0; i < 8 && minute < 24 * 60; ++i, minute += len) {
    char b[16];
    std::snprintf(b, sizeof b, "%02d:%02d", (minute / 60) % 24, minute % 60);
    out.push_back(b);
  }
  return out;
}

struct printer_box {
  std::unique_ptr<hwp::receipt_printer> printer;
  hwp::sim_printer* sim = nullptr;  // set for sim: printers (fault injection over the control socket)
  std::filesystem::path sim_file;   // sim:FILE appends every job's bytes there
};

printer_box open_printer(const std::string& uri) {
  printer_box b;
  if (uri == "none") return b;
  if (uri.rfind("sim:", 0) == 0) {
    auto sim = std::make_unique<hwp::sim_printer>();
    b.sim = sim.get();
    b.sim_file = uri.substr(4);
    b.printer = std::make_unique<hwp::receipt_printer>(std::move(sim), hwp::printer_profile::mm80());
    return b;
  }
  std::error_code ec;
  b.printer = hwp::receipt_printer::open(uri, hwp::printer_profile::mm80(), ec);
  if (!b.printer) throw std::invalid_argument("printer URI not understood: " + uri);
  return b;
}

protocol::printer_state printer_state_of(const std::error_code& ec) {
  if (!ec) return protocol::printer_state::ok;
  if (ec == hwp::errc::paper_out) return protocol::printer_state::paper_out;
  if (ec == hwp::errc::cover_open) return protocol::printer_state::cover_open;
  return protocol::printer_state::offline;
}

const char* type_label_key(protocol::order_type t) {
  switch (t) {
    case protocol::order_type::eat_in: return "type.eat_in";
    case protocol::order_type::takeaway: return "type.takeaway";
    case protocol::order_type::pickup: return "type.pickup";
    case protocol::order_type::delivery: return "type.delivery";
  }
  return "type.takeaway";
}

// What a print job needs, copied from the state when the order was confirmed.
struct print_job {
  std::string order_id, number, business, eta, tracking_url, type_label, payment_label;
  std::vector<hwp::doc_line> lines;
  std::string total, footer;
};

class app {
 public:
  explicit app(app_options o) : o_(std::move(o)), ui_tasks_(4096), work_(1024) {}

  int run();

 private:
  // ---- threads
  void post_ui(std::function<void()> f) {
    if (!ui_tasks_.push(std::move(f))) spdlog::warn("kiosk: UI queue full, event dropped");
    SDL_Event ev{};
    ev.type = wake_event_;
    SDL_PushEvent(&ev);
  }
  void post_work(std::function<void()> f) {
    if (!work_.push(std::move(f))) spdlog::warn("kiosk: worker queue full, task dropped");
  }
  void apply(const event& e) {
    const auto fx = step(s_, e, now_ms(), t_);
    dirty_ = true;
    for (const auto& f : fx) run_effect(f);
  }
  void run_effect(const effect& f);
  void on_link_event(const link_event& e);
  void set_catalog(std::shared_ptr<const catalog_view> v);
  void load_image(const std::string& url, const std::filesystem::path& file);
  void print(print_job job, bool force);
  void report_status();
  const ui::strings& tr() const { return strings_.count(s_.language) ? strings_.at(s_.language) : strings_.begin()->second; }
  std::string control(const std::string& line);
  std::string handle_control(const std::string& line);
  json state_json() const;
  void redraw();
  int screenshots();

  app_options o_;
  state s_;
  timings t_;
  std::map<std::string, ui::strings> strings_;
  // Declared before fonts and renderer: destroyed after them (TTF_CloseFont needs TTF alive).
  std::unique_ptr<ui::sdl_context> sdl_;
  std::unique_ptr<ui::fonts> fonts_;
  std::unique_ptr<ui::renderer> renderer_;
  SDL_Window* win_ = nullptr;
  SDL_Renderer* sdl_r_ = nullptr;
  ui::layout layout_;
  view_result view_;
  bool dirty_ = true;
  bool running_ = true;
  Uint32 wake_event_ = 0;
  task_queue ui_tasks_, work_;
  std::unique_ptr<link> link_;
  std::unique_ptr<print_journal> journal_;
  printer_box printer_;  // worker thread only
  std::mutex printer_mu_;  // control socket sets sim faults
  std::unique_ptr<image_cache> images_;
  std::map<std::string, std::vector<std::string>> image_users_;  // url → product ids (UI thread)
  std::mutex image_mu_;
  std::map<std::string, std::vector<std::string>> image_users_shared_;  // copy for the worker
  protocol::printer_state last_reported_printer_ = protocol::printer_state::absent;
  std::atomic<std::size_t> outbox_{0};
  std::atomic<bool> connected_{false};
  ui::surface_ptr pending_shot_;  // set by handle_control (UI thread), saved by control()
  std::unique_ptr<camera_feed> camera_;  // capture thread + the scanner's decoder thread
  std::atomic<int> camera_scans_{0};
  void start_camera();
  void on_preview(camera_preview p);
};

void app::start_camera() {
  if (o_.camera == "none") return;
  camera_feed_options co;
  co.camera = o_.camera;
  // Product barcodes (EAN-13/UPC-A/Code 128) and the kiosk's QR codes: every format.
  camera_ = std::make_unique<camera_feed>(
      co,
      [this](const hardware::scan_event& ev) {
        ++camera_scans_;
        // The same event path as the control socket's `scan`.
        post_ui([this, text = ev.text] { apply(events::scan{text}); });
      },
      [this](camera_preview p) { on_preview(std::move(p)); });
  camera_->start();
}

// Capture thread: the preview becomes an ARGB surface here, the render thread only swaps it in.
void app::on_preview(camera_preview p) {
  SDL_Surface* surf = SDL_CreateRGBSurfaceWithFormat(0, p.width, p.height, 32, SDL_PIXELFORMAT_ARGB8888);
  if (surf == nullptr) return;
  for (int y = 0; y < p.height; ++y) {
    auto* row = reinterpret_cast<Uint32*>(static_cast<Uint8*>(surf->pixels) + y * surf->pitch);
    for (int x = 0; x < p.width; ++x) {
      const Uint32 v = p.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(p.width) + static_cast<std::size_t>(x)];
      row[x] = 0xFF000000u | (v << 16) | (v << 8) | v;
    }
  }
  camera_view cv;
  cv.width = p.width;
  cv.height = p.height;
  for (const auto& c : p.codes) {
    camera_view::code k;
    for (std::size_t i = 0; i < 4; ++i) k.corners[i] = {c.corners[i].x, c.corners[i].y};
    k.text = c.text;
    cv.codes.push_back(std::move(k));
  }
  auto shared = std::make_shared<ui::surface_ptr>(surf);
  post_ui([this, shared, cv = std::move(cv)]() mutable {
    renderer_->set_image("camera:view", std::move(*shared));
    cv.status = camera_ ? camera_->state() : "none";
    s_.camera = std::move(cv);
    dirty_ = true;
  });
}

void app::report_status() {
  // Worker thread. The link sends device.status when this changes (and after every connect).
  protocol::printer_state ps;
  {
    std::lock_guard lk(printer_mu_);
    ps = !printer_.printer ? protocol::printer_state::absent : last_reported_printer_;
  }
  protocol::camera_state cs = protocol::camera_state::absent;
  if (camera_) cs = camera_->state() == "ok" ? protocol::camera_state::ok : protocol::camera_state::error;
  if (link_) link_->report_status(ps, cs, {});
}

void app::print(print_job job, bool force) {
  // Worker thread: journal first, then the printer; never more than once per order and document.
  std::lock_guard lk(printer_mu_);
  if (!printer_.printer) {
    post_ui([this, id = job.order_id] { apply(events::printed{id, protocol::printer_state::absent, false}); });
    return;
  }
  // The same composition the hub's order page previews (hardware's customer_receipt).
  const hwp::receipt_doc r = hwp::customer_receipt({.business = job.business,
                                                     .order_number = job.number,
                                                     .order_type = job.type_label,
                                                     .date_time = local_day() + " " + local_hhmm(now_s()),
                                                     .lines = job.lines,
                                                     .total = job.total,
                                                     .payment_method = job.payment_label,
                                                     .eta = job.eta,
                                                     .tracking_url = job.tracking_url,
                                                     .thanks = job.footer,
                                                     .order_id = job.order_id});
  hwp::pickup_ticket_doc t;
  t.business_name = job.business;
  t.order_number = job.number;
  t.order_type = job.type_label;
  t.qr_payload = job.order_id;
  bool ok = true;
  std::error_code last;
  for (const char* doc : {"receipt", "ticket"}) {
    if (!force && !job.order_id.empty()) {
      const auto c = journal_ ? journal_->begin(job.order_id, doc) : print_journal::claim::print;
      if (c == print_journal::claim::already_printed) continue;
      if (c == print_journal::claim::uncertain) continue;  // cut by a crash: staff reprint only
      if (c == print_journal::claim::storage_error) { ok = false; continue; }
    }
    const auto res = std::string(doc) == "receipt" ? printer_.printer->print(r) : printer_.printer->print(t);
    if (res.error) last = res.error;
    if (!force && journal_ && !job.order_id.empty()) journal_->finish(job.order_id, doc, !res.error);
    ok = ok && !res.error;
    if (!res.error && printer_.sim && !printer_.sim_file.empty()) {
      std::ofstream f(printer_.sim_file, std::ios::binary | std::ios::app);
      const auto& bytes = printer_.sim->printed();
      f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      printer_.sim->clear();
    }
  }
  const auto ps = printer_state_of(last);
  if (ps != last_reported_printer_) {
    last_reported_printer_ = ps;
    post_work([this] { report_status(); });
  }
  if (!ok) spdlog::warn("kiosk: printing order {} failed: {}", job.order_id, last.message());
  post_ui([this, id = job.order_id, ps, ok] { apply(events::printed{id, ps, ok}); });
}

void app::run_effect(const effect& f) {
  if (const auto* sub = std::get_if<effects::submit>(&f)) {
    protocol::order_submit o;
    o.order_id = protocol::new_uuid();
    o.type = sub->type;
    o.payment = sub->payment;
    o.lines = s_.cart.order_lines();
    o.discount_code = sub->discount_code;
    if (sub->type == protocol::order_type::eat_in) o.table = sub->table;
    if (sub->type == protocol::order_type::delivery) o.delivery_address = sub->address;
    if (sub->type == protocol::order_type::pickup && !sub->pickup_slot.empty())
      o.pickup_at = slot_rfc3339(sub->pickup_slot);
    const bool offline = !s_.online;
    post_work([this, o = std::move(o), offline]() mutable {
      std::string number;
      if (offline) {
        // Offline: the kiosk numbers the order itself; the hub keeps that number.
        if (auto n = link_->take_local_number()) {
          number = *n;
          o.local_number = number;
          o.placed_at = protocol::format_rfc3339(protocol::clock::now());
        }
      }
      auto r = link_->submit_order(o, [this](const std::string& id) {
        post_ui([this, id] { apply(events::queued{id}); });
      });
      if (!r) {
        post_ui([this, code = std::string(to_string(r.error().code))] { apply(events::submit_failed{code}); });
        return;
      }
      outbox_ = link_->status().outbox_pending;
      if (!number.empty())
        post_ui([this, id = *r, number] { apply(events::local_number{id, number}); });
    });
  } else if (const auto* p = std::get_if<effects::print_order>(&f)) {
    print_job job;
    job.order_id = p->order_id;
    job.number = s_.number;
    job.business = s_.business_name;
    job.eta = s_.eta.empty() ? "" : tr().format("confirm.eta", {s_.eta});
    job.tracking_url = s_.tracking_url;
    job.type_label = tr().get(type_label_key(s_.type));
    job.payment_label = tr().get("pay.counter");
    for (const auto& l : s_.cart.lines()) {
      protocol::money m = l.unit_price;
      m.amount *= l.qty;
      hwp::doc_line d{l.qty, l.name, {}, tr().money(m)};
      if (const auto* prod = s_.catalog ? s_.catalog->find_id(l.product_id) : nullptr)
        for (const auto& o : l.options)
          for (const auto& g : prod->option_groups)
            if (g.id == o.group_id)
              for (const auto& c : g.options)
                if (c.id == o.option_id) d.notes.push_back(c.name);
      if (!l.note.empty()) d.notes.push_back(l.note);
      job.lines.push_back(std::move(d));
    }
    job.total = tr().money(s_.total.amount ? s_.total : s_.cart.estimated_total());
    job.footer = tr().get("confirm.thanks");
    post_work([this, job = std::move(job)]() mutable { print(std::move(job), false); });
  } else if (std::holds_alternative<effects::print_test>(f)) {
    print_job job;
    job.number = "TEST";
    job.business = s_.business_name;
    job.type_label = "Test print";
    job.lines = {{1, "Test line", {}, tr().money({0, "EUR"})}};
    job.total = tr().money({0, "EUR"});
    post_work([this, job = std::move(job)]() mutable { print(std::move(job), true); });
  } else if (const auto* rp = std::get_if<effects::reprint>(&f)) {
    print_job job;
    job.order_id = rp->order_id;
    job.number = s_.number.empty() ? "REPRINT" : s_.number;
    job.business = s_.business_name;
    job.type_label = "Reprint";
    job.total = "";
    post_work([this, job = std::move(job)]() mutable { print(std::move(job), true); });
  } else if (const auto* v = std::get_if<effects::verify_pin>(&f)) {
    post_work([this, pin = v->pin] {
      // argon2id verification takes ~90 ms: on the worker, never the render thread.
      const bool ok = !o_.staff_pin_hash.empty() &&
                      crypto_pwhash_str_verify(o_.staff_pin_hash.c_str(), pin.c_str(), pin.size()) == 0;
      post_ui([this, ok] { apply(events::pin_result{ok}); });
    });
  } else if (const auto* fb = std::get_if<effects::feedback>(&f)) {
    protocol::feedback m;
    m.order_id = fb->order_id;
    m.rating = fb->rating;
    post_work([this, m] { (void)link_->send_feedback(m); });
  } else if (const auto* sq = std::get_if<effects::send_quote>(&f)) {
    protocol::order_quote q = sq->q;
    q.quote_id = protocol::new_uuid();
    if (q.type == protocol::order_type::pickup && !s_.pickup_slot.empty())
      q.pickup_at = slot_rfc3339(s_.pickup_slot);
    apply(events::quote_sent{q.quote_id, s_.quote_in_flight_rev});
    // The link's call waits on its worker: never on the render thread. The hub's order.quoted
    // comes back as a link event; an unsent quote times out in the core and is asked again.
    post_work([this, q = std::move(q)] {
      if (auto r = link_->quote(q); !r) spdlog::debug("kiosk: quote not sent: {}", r.error().message);
    });
  } else if (std::holds_alternative<effects::quit>(f)) {
    running_ = false;
  }
}

void app::load_image(const std::string& url, const std::filesystem::path& file) {
  // Worker / image-cache thread: read and decode here, hand a surface to the render thread.
  std::ifstream f(file, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(f), {}};
  auto surf = ui::decode_image(bytes.data(), bytes.size());
  if (!surf) return;
  std::vector<std::string> ids;
  {
    std::lock_guard lk(image_mu_);
    ids = image_users_shared_[url];
  }
  auto shared = std::make_shared<ui::surface_ptr>(std::move(surf));
  post_ui([this, ids, shared] {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      // One surface per product key (the renderer owns them).
      ui::surface_ptr copy(i + 1 == ids.size() ? shared->release()
                                               : SDL_DuplicateSurface(shared->get()));
      renderer_->set_image(ids[i], std::move(copy));
    }
    dirty_ = true;
  });
}

void app::set_catalog(std::shared_ptr<const catalog_view> v) {
  if (!v) return;
  const auto& c = v->catalog();
  if (images_) {
    std::map<std::string, std::vector<std::string>> users;
    std::vector<std::string> urls;
    for (const auto& p : c.products)
      if (!p.image_url.empty()) {
        if (users[p.image_url].empty()) urls.push_back(p.image_url);
        users[p.image_url].push_back(p.id);
      }
    {
      std::lock_guard lk(image_mu_);
      image_users_shared_ = users;
    }
    image_users_ = users;
    post_work([this, urls] {
      for (const auto& u : urls)
        if (auto file = images_->get(u)) load_image(u, *file);
      images_->prefetch(urls);
    });
  }
  s_.business_name = c.business_name;
  if (c.profile) {
    const auto& p = *c.profile;
    g_zone.store(store_zone(p.time_zone));
    s_.banner = p.banner;
    s_.types_offered.clear();
    s_.pickup_slots.clear();
    for (const auto& o : p.order_types) {
      s_.types_offered.push_back(o.type);
      if (o.type == protocol::order_type::pickup) s_.pickup_slots = pickup_slots(o);
    }
    s_.payments_offered = p.payment_methods;
    std::vector<std::string> langs;
    for (const auto& l : p.languages)
      if (strings_.count(l)) langs.push_back(l);
    if (!langs.empty()) s_.languages = langs;
  }
  if (s_.types_offered.empty()) s_.types_offered = {protocol::order_type::takeaway};
  if (s_.payments_offered.empty()) s_.payments_offered = {protocol::payment_method::cash};
  apply(events::catalog{std::move(v)});
}

void app::on_link_event(const link_event& e) {
  // Link thread: never call back into the link here; hand over to the worker or the UI.
  if (const auto* c = std::get_if<kiosk::events::connection>(&e)) {
    connected_ = c->connected;
    post_ui([this, on = c->connected] { apply(shop::events::connection{on}); });
    if (c->connected) post_work([this] { report_status(); });
  } else if (std::holds_alternative<kiosk::events::catalog>(e)) {
    post_work([this] {
      auto v = link_->catalog();
      post_ui([this, v] { set_catalog(v); });
    });
  } else if (const auto* q = std::get_if<kiosk::events::quoted>(&e)) {
    post_ui([this, q = q->quote] { apply(shop::events::quoted{q}); });
  } else if (const auto* a = std::get_if<kiosk::events::order_answer>(&e)) {
    post_work([this] { outbox_ = link_->status().outbox_pending; report_status(); });
    if (a->outcome == kiosk::events::order_answer::kind::accepted && a->accepted) {
      const auto& acc = *a->accepted;
      post_ui([this, ev = shop::events::accepted{acc.order_id, acc.number, eta_hhmm(acc.eta), acc.tracking_url, acc.total}] {
        apply(ev);
      });
    } else {
      std::string code = a->rejection ? protocol::to_string(a->rejection->code) : "rejected";
      post_ui([this, id = a->order_id, code] { apply(shop::events::rejected{id, code}); });
    }
  }
}

json app::state_json() const {
  json j;
  j["ok"] = true;
  j["screen"] = to_string(s_.current);
  j["language"] = s_.language;
  j["online"] = s_.online;
  j["high_contrast"] = s_.high_contrast;
  j["reach"] = s_.reach;
  j["notice"] = s_.notice;
  j["order_id"] = s_.order_id;
  j["number"] = s_.number;
  j["local_number"] = s_.local_number;
  j["ticket_failed"] = s_.ticket_failed;
  j["printer"] = protocol::to_string(s_.printer);
  j["reject_code"] = s_.reject_code;
  j["editing"] = static_cast<int>(s_.editing);
  json cart = json::array();
  for (const auto& l : s_.cart.lines()) {
    json opts = json::array();
    for (const auto& o : l.options) opts.push_back(o.group_id + "/" + o.option_id);
    cart.push_back({{"product_id", l.product_id}, {"name", l.name}, {"qty", l.qty}, {"note", l.note},
                    {"options", opts}, {"unit_price", l.unit_price.amount}});
  }
  j["cart"] = cart;
  j["cart_total"] = s_.cart.estimated_total().amount;
  j["scans"] = camera_scans_.load();
  j["discount_code"] = s_.discount_code;
  {
    json codes = json::array();
    for (const auto& c : s_.camera.codes) codes.push_back(c.text);
    j["camera"] = {{"status", camera_ ? camera_->state() : std::string("none")},
                   {"preview", {s_.camera.width, s_.camera.height}}, {"codes", codes}};
  }
  {
    // What the cart screen shows: the hub's quote or the offline estimate (source says which).
    const auto& q = s_.quote.q;
    auto problems = [](const std::vector<protocol::issue>& v) {
      json a = json::array();
      for (const auto& i : v) a.push_back(protocol::to_string(i.code));
      return a;
    };
    json lines = json::array();
    for (const auto& l : q.lines)
      lines.push_back({{"line", l.line}, {"unit_price", l.unit_price.amount},
                       {"line_total", l.line_total.amount}, {"problems", problems(l.problems)}});
    j["quote"] = {{"source", to_string(s_.quote.from)}, {"current", s_.quote.rev == s_.cart_rev},
                  {"ok", q.ok}, {"subtotal", q.subtotal.amount}, {"discount", q.discount.amount},
                  {"tax", q.tax.amount}, {"delivery_fee", q.delivery_fee.amount},
                  {"total", q.total.amount}, {"lines", lines}, {"problems", problems(q.problems)}};
  }
  json targets = json::array();
  for (const auto& t : view_.scene.targets)
    targets.push_back({{"id", t.id}, {"label", t.label}, {"x", t.r.x}, {"y", t.r.y}, {"w", t.r.w},
                       {"h", t.r.h}, {"enabled", t.enabled}});
  j["targets"] = targets;
  j["width"] = layout_.width;
  j["height"] = layout_.height;
  return j;
}


// Runs on the UI thread.
std::string app::handle_control(const std::string& line) {
  std::istringstream in(line);
  std::string cmd;
  in >> cmd;
  std::string rest;
  std::getline(in, rest);
  if (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
  redraw();  // the answer describes what is on screen now
  if (cmd == "state") return state_json().dump();
  if (cmd == "tap") {
    std::istringstream r(rest);
    int x = 0, y = 0;
    const ui::target* t = nullptr;
    if ((r >> x >> y) && r.eof()) t = view_.scene.hit(x, y);
    else t = view_.scene.find(rest);
    if (t == nullptr) return error_json("no_target", "nothing to tap at '" + rest + "'").dump();
    if (!t->enabled) return error_json("disabled", "target '" + t->id + "' is disabled").dump();
    const std::string id = t->id;  // t points into the scene the redraw below replaces
    auto it = view_.actions.find(id);
    if (it == view_.actions.end()) return error_json("no_target", "target has no action").dump();
    apply(events::tap{it->second});
    redraw();
    return json{{"ok", true}, {"tapped", id}, {"screen", to_string(s_.current)}}.dump();
  }
  if (cmd == "type") {
    apply(events::text{rest});
    return json{{"ok", true}}.dump();
  }
  if (cmd == "scan") {
    if (rest.empty()) return error_json("bad_command", "scan needs the code's text").dump();
    apply(events::scan{rest});
    redraw();
    return json{{"ok", true}, {"screen", to_string(s_.current)}, {"notice", s_.notice}}.dump();
  }
  if (cmd == "screenshot") {
    if (rest.empty()) return error_json("bad_command", "screenshot needs a file name").dump();
    auto surf = renderer_->read_pixels(layout_.width, layout_.height);
    if (!surf) return error_json("screenshot_failed", SDL_GetError()).dump();
    // Saving takes tens of ms: the control thread does it (see control()).
    pending_shot_ = std::move(surf);
    return json{{"ok", true}, {"file", rest}}.dump();
  }
  if (cmd == "printer") {
    std::lock_guard lk(printer_mu_);
    if (printer_.sim == nullptr) return error_json("not_sim", "only a sim: printer takes faults").dump();
    printer_.sim->set_paper_out(rest == "paper_out");
    printer_.sim->set_cover_open(rest == "cover_open");
    printer_.sim->set_offline(rest == "offline");
    if (rest != "ok" && rest != "paper_out" && rest != "cover_open" && rest != "offline")
      return error_json("bad_command", "printer ok|paper_out|cover_open|offline").dump();
    return json{{"ok", true}, {"printer", rest}}.dump();
  }
  return error_json("bad_command", "unknown command '" + cmd + "' (state, tap, type, scan, screenshot, printer)").dump();
}

// Runs on the control socket's thread: the command goes through the UI thread's event path.
std::string app::control(const std::string& line) {
  auto done = std::make_shared<std::promise<std::string>>();
  auto fut = done->get_future();
  post_ui([this, line, done] {
    try {
      done->set_value(handle_control(line));
    } catch (const std::exception& e) {
      done->set_value(error_json("internal", e.what()).dump());
    }
  });
  if (fut.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
    return error_json("timeout", "the UI did not answer within 10 s").dump();
  std::string answer = fut.get();
  if (pending_shot_) {
    auto shot = std::move(pending_shot_);
    const auto j = json::parse(answer, nullptr, false);
    const std::string file = j.is_object() ? j.value("file", std::string()) : std::string();
    const auto err = ui::save_png(shot.get(), file);
    if (!err.empty()) return error_json("screenshot_failed", err).dump();
  }
  return answer;
}

void app::redraw() {
  int w = 0, h = 0;
  SDL_GetRendererOutputSize(sdl_r_, &w, &h);
  const auto l = ui::make_layout(w, h, layout_.dpi, s_.high_contrast, s_.reach);
  layout_ = l;
  const auto now = now_ms();
  view_ = build_view(s_, layout_, s_.high_contrast ? ui::high_contrast_theme() : ui::normal_theme(), tr(),
                     *fonts_, now);
  if (s_.page > view_.last_page) s_.page = view_.last_page;
  renderer_->draw(view_.scene);
  SDL_RenderPresent(sdl_r_);
  dirty_ = false;
  // Pictures the renderer dropped for its memory budget and now shows again: read them back from
  // the disk cache on the worker (the placeholder shows meanwhile).
  if (images_) {
    for (const auto& id : renderer_->take_wanted_images()) {
      for (const auto& [url, ids] : image_users_) {
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
        post_work([this, url = url] {
          if (auto file = images_->get(url)) load_image(url, *file);
        });
        break;
      }
    }
  }
}

// --screenshots DIR: every screen of the current catalog, both languages, as PNG.
int app::screenshots() {
  std::filesystem::create_directories(o_.screenshots);
  const auto base = s_;
  const char* names[] = {"attract", "menu", "product", "cart", "order_type", "payment", "processing",
                         "confirmation", "rating", "still_there", "staff_pin", "maintenance"};
  for (const auto& [lang, str] : strings_) {
    for (int i = 0; i <= static_cast<int>(screen::maintenance); ++i) {
      s_ = base;
      s_.language = lang;
      s_.current = static_cast<screen>(i);
      s_.pressed_ms = -1'000'000;
      s_.cart_changed_ms = -1'000'000;
      s_.screen_since_ms = now_ms();
      if (s_.catalog) {
        const auto& ps = s_.catalog->catalog().products;
        int added = 0;
        for (const auto& p : ps) {
          if (!p.available || added >= 3) continue;
          std::vector<protocol::line_option> opts;
          for (const auto& g : p.option_groups)
            for (const auto& c : g.options)
              if (c.preselected) opts.push_back({g.id, c.id});
          if (s_.cart.add(p, added + 1, {}, opts)) ++added;
          if (s_.current == screen::product && s_.draft.product_id.empty() && !p.option_groups.empty())
            s_.draft = {p.id, 1, {}, opts};
        }
        if (s_.current == screen::product && s_.draft.product_id.empty() && !ps.empty())
          s_.draft = {ps.front().id, 1, {}, {}};
      }
      if (s_.current == screen::confirmation) {
        s_.order_id = "7f9c2b1e-4d3a-4c8b-9e21-5a6f0d1c2b3a";
        s_.number = "A-042";
        s_.eta = "12:40";
        s_.tracking_url = "http://127.0.0.1/o/7f9c2b1e-4d3a-4c8b-9e21-5a6f0d1c2b3a";
      }
      if (s_.current == screen::order_type && !s_.pickup_slots.empty()) {
        s_.type = protocol::order_type::pickup;
        s_.pickup_slot = s_.pickup_slots.front();
      }
      redraw();
      auto surf = renderer_->read_pixels(layout_.width, layout_.height);
      const auto file = o_.screenshots / (lang + "-" + names[i] + ".png");
      const auto err = ui::save_png(surf.get(), file);
      if (!err.empty()) {
        spdlog::error("kiosk: {}: {}", file.string(), err);
        return 1;
      }
      std::printf("%s\n", file.c_str());
    }
  }
  return 0;
}

int app::run() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium did not initialise");
  // Languages from the data files.
  for (const auto& lang : ui::strings::available(o_.assets / "i18n"))
    strings_.emplace(lang, ui::strings::load(o_.assets / "i18n" / (lang + ".json"), lang));
  if (strings_.empty()) throw std::runtime_error("no language files in " + (o_.assets / "i18n").string());
  s_.languages.clear();
  for (const auto& [k, v] : strings_) s_.languages.push_back(k);
  if (strings_.count("en")) { s_.languages.erase(std::find(s_.languages.begin(), s_.languages.end(), "en")); s_.languages.insert(s_.languages.begin(), "en"); }
  s_.language = !o_.language.empty() && strings_.count(o_.language) ? o_.language : s_.languages.front();
  t_.idle_ms = std::chrono::duration_cast<std::chrono::milliseconds>(o_.idle).count();
  o_.link.engine.local_prefix = o_.local_prefix.empty() ? local_prefix(o_.link.engine.device_id) : o_.local_prefix;

  sdl_ = std::make_unique<ui::sdl_context>();
  fonts_ = std::make_unique<ui::fonts>();
  wake_event_ = SDL_RegisterEvents(1);
  const std::string driver = SDL_GetCurrentVideoDriver() ? SDL_GetCurrentVideoDriver() : "";
  const bool headless_driver = driver == "offscreen" || driver == "dummy";
  Uint32 flags = SDL_WINDOW_SHOWN | SDL_WINDOW_ALLOW_HIGHDPI;
  if (o_.fullscreen && !headless_driver) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
  win_ = SDL_CreateWindow("Kioskhub", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, o_.width, o_.height, flags);
  if (win_ == nullptr) throw std::runtime_error(std::string("SDL_CreateWindow: ") + SDL_GetError());
  sdl_r_ = headless_driver ? nullptr : SDL_CreateRenderer(win_, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
  if (sdl_r_ == nullptr) sdl_r_ = SDL_CreateRenderer(win_, -1, SDL_RENDERER_SOFTWARE);
  if (sdl_r_ == nullptr) throw std::runtime_error(std::string("SDL_CreateRenderer: ") + SDL_GetError());
  renderer_ = std::make_unique<ui::renderer>(sdl_r_, *fonts_);
  double dpi = o_.dpi;
  if (dpi <= 0) {
    float ddpi = 0;
    if (SDL_GetDisplayDPI(SDL_GetWindowDisplayIndex(win_), &ddpi, nullptr, nullptr) == 0 && ddpi > 0) dpi = ddpi;
    else dpi = 96;
  }
  layout_.dpi = dpi;
  s_.last_input_ms = now_ms();

  // The link, the journal and the printer.
  std::filesystem::create_directories(o_.link.data_dir);
  auto opened = link::open(o_.link, [this](const link_event& e) { on_link_event(e); });
  if (!opened) {
    spdlog::error("kiosk: {}", opened.error().message);
    return 1;
  }
  link_ = std::move(opened).value();
  std::error_code ec;
  journal_ = print_journal::open(o_.link.data_dir / "kiosk.db", ec);
  if (!journal_) spdlog::error("kiosk: print journal unavailable ({}): tickets print without it", ec.message());
  printer_ = open_printer(o_.printer);
  try {
    images_ = std::make_unique<image_cache>(
        image_cache_options{.dir = o_.image_cache.empty() ? o_.link.data_dir / "images" : o_.image_cache,
                            .max_bytes = o_.image_cache_mb * 1024 * 1024},
        [this](const image_ready& r) { post_work([this, r] { load_image(r.url, r.file); }); });
  } catch (const std::exception& e) {
    spdlog::warn("kiosk: no image cache ({}): products show placeholders", e.what());
  }
  last_reported_printer_ = printer_.printer ? protocol::printer_state::ok : protocol::printer_state::absent;
  s_.printer = last_reported_printer_;
  std::thread worker([this] {
    std::function<void()> f;
    while (work_.pop(f)) {
      try {
        f();
      } catch (const std::exception& e) {
        spdlog::error("kiosk worker: {}", e.what());
      }
    }
  });
  if (auto v = link_->catalog()) set_catalog(v);  // offline browsing from the cache at once
  link_->start();

  start_camera();
  std::unique_ptr<control_socket> ctl;
  if (!o_.control.empty()) {
    ctl = control_socket::open(o_.control, [this](const std::string& l) { return control(l); }, ec);
    if (!ctl) {
      spdlog::error("kiosk: control socket {}: {}", o_.control.string(), ec.message());
      work_.close();
      worker.join();
      return 2;
    }
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  int rc = 0;
  if (!o_.screenshots.empty()) {
    // Wait (bounded) for a catalog so the screens show the store's products.
    for (int i = 0; i < 100 && !s_.catalog && !g_stop; ++i) {
      SDL_Delay(100);
      for (auto& f : ui_tasks_.take_all()) f();
    }
    rc = screenshots();
    running_ = false;
  }
  std::int64_t last_info = 0;
  while (running_ && !g_stop) {
    SDL_Event ev;
    const bool anim = animating(s_, now_ms());
    if (SDL_WaitEventTimeout(&ev, anim ? 16 : 200)) {
      do {
        if (ev.type == SDL_QUIT) running_ = false;
        else if (ev.type == SDL_MOUSEBUTTONDOWN || ev.type == SDL_FINGERDOWN) {
          int x = 0, y = 0;
          if (ev.type == SDL_MOUSEBUTTONDOWN) { x = ev.button.x; y = ev.button.y; }
          else { x = static_cast<int>(ev.tfinger.x * layout_.width); y = static_cast<int>(ev.tfinger.y * layout_.height); }
          if (ev.type == SDL_MOUSEBUTTONDOWN && ev.button.which == SDL_TOUCH_MOUSEID) continue;  // the finger event counts
          if (const auto* t = view_.scene.hit(x, y)) {
            auto it = view_.actions.find(t->id);
            if (it != view_.actions.end()) {
              const action a = it->second;  // apply() may rebuild the view
              apply(events::tap{a});
            }
          } else {
            s_.last_input_ms = now_ms();
          }
        } else if (ev.type == SDL_TEXTINPUT) {
          apply(events::text{ev.text.text});
        } else if (ev.type == SDL_WINDOWEVENT) {
          dirty_ = true;
        }
      } while (SDL_PollEvent(&ev));
    }
    for (auto& f : ui_tasks_.take_all()) f();
    const auto now = now_ms();
    apply(events::tick{});
    if (now - last_info > 1000) {
      last_info = now;
      s_.staff_info = {{"info.device", o_.link.engine.device_id},
                       {"info.firmware", std::string("kiosk ") + KH_KIOSK_FIRMWARE},
                       {"info.broker", connected_ ? "connected" : "offline"},
                       {"info.outbox", std::to_string(outbox_.load())},
                       {"info.printer", protocol::to_string(s_.printer)},
                       {"info.camera", camera_ ? o_.camera + " (" + camera_->state() + ", " +
                                                     std::to_string(camera_scans_.load()) + " scans)"
                                               : o_.camera},
                       {"info.language", s_.language},
                       {"info.catalog", s_.catalog ? std::to_string(s_.catalog->version()) : "-"}};
    }
    if (camera_) {
      // The camera view's preview frames run only while the maintenance screen shows them.
      camera_->set_preview(s_.current == screen::maintenance);
      if (s_.current == screen::maintenance) s_.camera.status = camera_->state();
    }
    if (dirty_ || animating(s_, now)) redraw();
  }
  ctl.reset();
  if (camera_) camera_->stop();
  link_->stop();
  work_.close();
  worker.join();
  images_.reset();
  renderer_.reset();
  fonts_.reset();  // before TTF_Quit (the sdl_context below goes out of scope first)
  SDL_DestroyRenderer(sdl_r_);
  SDL_DestroyWindow(win_);
  return rc;
}

}  // namespace

int run_app(app_options opts) {
  app a(std::move(opts));
  return a.run();
}

}  // namespace kh::kiosk::shop
