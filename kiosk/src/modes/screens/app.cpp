#include "kh/kiosk/modes/screens/app.hpp"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <SDL.h>
#include <nlohmann/json.hpp>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include "kh/kiosk/modes/camera_feed.hpp"
#include "kh/hardware/printer/receipt_printer.hpp"
#include "kh/hardware/printer/sim_printer.hpp"
#include "kh/hardware/scanner/scanner.hpp"
#include "kh/kiosk/control/control_socket.hpp"
#include "modes/window_support.hpp"
#include "kh/kiosk/core/board.hpp"
#include "kh/kiosk/core/counter.hpp"
#include "kh/kiosk/modes/board/view.hpp"
#include "kh/kiosk/modes/counter/view.hpp"
#include "kh/kiosk/modes/screens/adapter.hpp"
#include "kh/kiosk/ui/draw.hpp"
#include "kh/kiosk/ui/sound.hpp"
#include "kh/protocol/ids.hpp"

namespace kh::kiosk::screens {

namespace hw = kh::hardware;
namespace hwp = kh::hardware::printer;
using json = nlohmann::json;

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

using window::task_queue;
using window::error_json;


// What the board and the counter share: window, fonts, languages, link, worker, control socket.
class screen_app {
 public:
  explicit screen_app(app_options o) : o_(std::move(o)), ui_tasks_(4096), work_(1024) {}
  virtual ~screen_app() = default;
  int run();

 protected:
  void post_ui(std::function<void()> f) {
    if (!ui_tasks_.push(std::move(f))) spdlog::warn("kiosk: UI queue full, event dropped");
    SDL_Event ev{};
    ev.type = wake_event_;
    SDL_PushEvent(&ev);
  }
  void post_work(std::function<void()> f) {
    if (!work_.push(std::move(f))) spdlog::warn("kiosk: worker queue full, task dropped");
  }
  const ui::strings& tr() const {
    auto it = strings_.find(language_);
    return it != strings_.end() ? it->second : strings_.begin()->second;
  }
  void redraw();
  void on_catalog();

  // Mode hooks (UI thread unless said otherwise).
  virtual const char* mode_title() const = 0;  // "board", "counter" (window title)
  virtual void on_link(const link_event& e) = 0;  // link thread: post only
  virtual const ui::scene& build(std::int64_t now) = 0;
  virtual json state_json() = 0;
  virtual void tapped(const std::string& id) = 0;
  virtual void scanned(const std::string& text) { (void)text; }
  virtual void tick() = 0;
  virtual bool animating() = 0;
  virtual int start_devices() { return 0; }
  virtual void stop_devices() {}
  virtual void catalog_changed(const catalog_view&) {}

  app_options o_;
  std::map<std::string, ui::strings> strings_;
  std::string language_ = "en";
  std::unique_ptr<ui::sdl_context> sdl_;
  std::unique_ptr<ui::fonts> fonts_;
  std::unique_ptr<ui::renderer> renderer_;
  std::unique_ptr<ui::sound> sound_;
  SDL_Window* win_ = nullptr;
  SDL_Renderer* sdl_r_ = nullptr;
  ui::layout layout_;
  const ui::scene* shown_ = nullptr;
  bool dirty_ = true;
  bool running_ = true;
  Uint32 wake_event_ = 0;
  task_queue ui_tasks_, work_;
  std::unique_ptr<link> link_;
  std::shared_ptr<const catalog_view> catalog_;  // UI thread
  std::string keyboard_scan_;  // a hardware (keyboard wedge) scanner types the code, then Enter
  ui::surface_ptr pending_shot_;
  std::deque<double> frame_ms_;  // last frame times (state: frame_p99_ms)

 private:
  std::string control(const std::string& line);
  std::string handle_control(const std::string& line);
};

void screen_app::redraw() {
  int w = 0, h = 0;
  SDL_GetRendererOutputSize(sdl_r_, &w, &h);
  const auto t0 = std::chrono::steady_clock::now();
  layout_.width = w;
  layout_.height = h;
  const auto& sc = build(steady_ms());
  shown_ = &sc;
  // A frame equal to the one on screen is neither drawn nor presented: the 250 ms tick and the
  // control socket's polling cost a scene build and a compare, not 2 million pixels.
  if (renderer_->draw_if_changed(sc)) {
    SDL_RenderPresent(sdl_r_);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    frame_ms_.push_back(ms);
    if (frame_ms_.size() > 240) frame_ms_.pop_front();
  }
  dirty_ = false;
}

void screen_app::on_catalog() {
  // Worker thread: the snapshot of the catalog, then the UI.
  auto v = link_->catalog();
  if (!v) return;
  post_ui([this, v] {
    catalog_ = v;
    const auto& c = v->catalog();
    if (o_.language.empty() && c.profile)
      for (const auto& l : c.profile->languages)
        if (strings_.count(l)) {
          language_ = l;
          break;
        }
    catalog_changed(*v);
    dirty_ = true;
  });
}

std::string screen_app::handle_control(const std::string& line) {
  std::istringstream in(line);
  std::string cmd, rest;
  in >> cmd;
  std::getline(in, rest);
  if (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
  redraw();  // the answer describes what is on screen now
  if (cmd == "state") {
    auto j = state_json();
    j["ok"] = true;
    j["language"] = language_;
    j["width"] = layout_.width;
    j["height"] = layout_.height;
    std::vector<double> f(frame_ms_.begin(), frame_ms_.end());
    std::sort(f.begin(), f.end());
    j["frame_p99_ms"] = f.empty() ? 0.0 : f[std::min(f.size() - 1, f.size() * 99 / 100)];
    j["frames_drawn"] = renderer_->drawn_frames();
    j["frames_skipped"] = renderer_->skipped_frames();
    json targets = json::array();
    for (const auto& t : shown_->targets)
      targets.push_back({{"id", t.id}, {"label", t.label}, {"x", t.r.x}, {"y", t.r.y}, {"w", t.r.w},
                         {"h", t.r.h}, {"enabled", t.enabled}});
    j["targets"] = targets;
    return j.dump();
  }
  if (cmd == "tap") {
    std::istringstream r(rest);
    int x = 0, y = 0;
    const ui::target* t = nullptr;
    if ((r >> x >> y) && r.eof()) t = shown_->hit(x, y);
    else t = shown_->find(rest);
    if (t == nullptr) return error_json("no_target", "nothing to tap at '" + rest + "'").dump();
    if (!t->enabled) return error_json("disabled", "target '" + t->id + "' is disabled").dump();
    const std::string id = t->id;
    tapped(id);
    redraw();
    return json{{"ok", true}, {"tapped", id}}.dump();
  }
  if (cmd == "scan") {
    if (rest.empty()) return error_json("bad_command", "scan needs the code's text").dump();
    scanned(rest);
    redraw();
    return json{{"ok", true}}.dump();
  }
  if (cmd == "screenshot") {
    if (rest.empty()) return error_json("bad_command", "screenshot needs a file name").dump();
    // What a renderer holds after a present is undefined (GPU back buffers): draw the frame
    // again, read it, then present it.
    renderer_->draw(*shown_);
    auto surf = renderer_->read_pixels(layout_.width, layout_.height);
    SDL_RenderPresent(sdl_r_);
    if (!surf) return error_json("screenshot_failed", SDL_GetError()).dump();
    pending_shot_ = std::move(surf);
    return json{{"ok", true}, {"file", rest}}.dump();
  }
  return error_json("bad_command", "unknown command '" + cmd + "' (state, tap, scan, screenshot)").dump();
}

std::string screen_app::control(const std::string& line) {
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

int screen_app::run() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium did not initialise");
  for (const auto& lang : ui::strings::available(o_.assets / "i18n"))
    strings_.emplace(lang, ui::strings::load(o_.assets / "i18n" / (lang + ".json"), lang));
  if (strings_.empty()) throw std::runtime_error("no language files in " + (o_.assets / "i18n").string());
  language_ = !o_.language.empty() && strings_.count(o_.language) ? o_.language
              : strings_.count("en")                              ? "en"
                                                                  : strings_.begin()->first;
  sdl_ = std::make_unique<ui::sdl_context>();
  fonts_ = std::make_unique<ui::fonts>();
  if (o_.sound) sound_ = std::make_unique<ui::sound>();
  wake_event_ = SDL_RegisterEvents(1);
  const std::string driver = SDL_GetCurrentVideoDriver() ? SDL_GetCurrentVideoDriver() : "";
  const bool headless_driver = driver == "offscreen" || driver == "dummy";
  Uint32 flags = SDL_WINDOW_SHOWN | SDL_WINDOW_ALLOW_HIGHDPI | SDL_WINDOW_RESIZABLE;
  if (o_.fullscreen && !headless_driver) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
  // The title says which screen this is (the demo opens three windows side by side).
  std::string title = std::string("Kioskhub ") + mode_title();
  if (!o_.link.engine.device_id.empty()) title += " — " + o_.link.engine.device_id;
  win_ = SDL_CreateWindow(title.c_str(), SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, o_.width, o_.height, flags);
  if (win_ == nullptr) throw std::runtime_error(std::string("SDL_CreateWindow: ") + SDL_GetError());
  sdl_r_ = headless_driver ? nullptr : SDL_CreateRenderer(win_, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
  if (sdl_r_ == nullptr) sdl_r_ = SDL_CreateRenderer(win_, -1, SDL_RENDERER_SOFTWARE);
  if (sdl_r_ == nullptr) throw std::runtime_error(std::string("SDL_CreateRenderer: ") + SDL_GetError());
  renderer_ = std::make_unique<ui::renderer>(sdl_r_, *fonts_);
  double dpi = o_.dpi;
  if (dpi <= 0) {
    float ddpi = 0;
    dpi = SDL_GetDisplayDPI(SDL_GetWindowDisplayIndex(win_), &ddpi, nullptr, nullptr) == 0 && ddpi > 0 ? ddpi : 96;
  }
  layout_.dpi = dpi;
  SDL_StartTextInput();

  std::filesystem::create_directories(o_.link.data_dir);
  auto opened = link::open(o_.link, [this](const link_event& e) {
    if (std::holds_alternative<kiosk::events::catalog>(e)) post_work([this] { on_catalog(); });
    on_link(e);
  });
  if (!opened) {
    spdlog::error("kiosk: {}", opened.error().message);
    return 1;
  }
  link_ = std::move(opened).value();
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
  auto stop_worker = [&] {
    work_.close();
    worker.join();
  };
  if (const int rc = start_devices(); rc != 0) {
    stop_worker();
    return rc;
  }
  post_work([this] { on_catalog(); });
  link_->start();
  std::unique_ptr<control_socket> ctl;
  if (!o_.control.empty()) {
    std::error_code ec;
    ctl = control_socket::open(o_.control, [this](const std::string& l) { return control(l); }, ec);
    if (!ctl) {
      spdlog::error("kiosk: control socket {}: {}", o_.control.string(), ec.message());
      stop_devices();
      link_->stop();
      stop_worker();
      return 2;
    }
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::int64_t last_tick = 0;
  while (running_ && !g_stop) {
    SDL_Event ev;
    if (SDL_WaitEventTimeout(&ev, animating() ? 16 : 200)) {
      do {
        if (ev.type == SDL_QUIT) {
          running_ = false;
        } else if (ev.type == SDL_MOUSEBUTTONDOWN || ev.type == SDL_FINGERDOWN) {
          if (ev.type == SDL_MOUSEBUTTONDOWN && ev.button.which == SDL_TOUCH_MOUSEID) continue;
          int x = 0, y = 0;
          if (ev.type == SDL_MOUSEBUTTONDOWN) {
            x = ev.button.x;
            y = ev.button.y;
          } else {
            x = static_cast<int>(ev.tfinger.x * layout_.width);
            y = static_cast<int>(ev.tfinger.y * layout_.height);
          }
          if (shown_ != nullptr)
            if (const auto* t = shown_->hit(x, y)) {
              const std::string id = t->id;
              tapped(id);
            }
        } else if (ev.type == SDL_TEXTINPUT) {
          if (keyboard_scan_.size() < 512) keyboard_scan_ += ev.text.text;
        } else if (ev.type == SDL_KEYDOWN && (ev.key.keysym.sym == SDLK_RETURN || ev.key.keysym.sym == SDLK_KP_ENTER)) {
          if (!keyboard_scan_.empty()) scanned(std::exchange(keyboard_scan_, {}));
        } else if (ev.type == SDL_WINDOWEVENT) {
          dirty_ = true;
          renderer_->invalidate();  // exposed or resized: what the window shows is not ours
        }
      } while (SDL_PollEvent(&ev));
    }
    for (auto& f : ui_tasks_.take_all()) f();
    const auto now = steady_ms();
    if (now - last_tick >= 250) {
      last_tick = now;
      tick();
      dirty_ = true;  // ages and timers move
    }
    if (dirty_ || animating()) redraw();
  }
  ctl.reset();
  stop_devices();
  link_->stop();
  stop_worker();
  renderer_.reset();
  sound_.reset();
  fonts_.reset();
  SDL_DestroyRenderer(sdl_r_);
  SDL_DestroyWindow(win_);
  return 0;
}

// ---------------------------------------------------------------- board

class board_app final : public screen_app {
 public:
  explicit board_app(app_options o) : screen_app(std::move(o)) {
    t_.highlight_ms = o_.highlight.count() * 1000;
    t_.ready_clear_ms = o_.ready_clear.count() * 1000;
    t_.keepalive_ms = o_.keepalive.count() * 1000;
  }

 private:
  void apply(const board::event& e) {
    for (const auto& f : board::step(s_, e, steady_ms(), t_)) {
      if (std::holds_alternative<board::effects::request_snapshot>(f)) {
        post_work([this, seq = s_.feed.seq()] { (void)link_->sync_orders(seq); });
      } else if (std::holds_alternative<board::effects::chime>(f)) {
        if (sound_) sound_->play(ui::ready_chime());
      }
    }
    dirty_ = true;
  }
  void on_link(const link_event& e) override {
    if (const auto* c = std::get_if<kiosk::events::connection>(&e)) {
      post_ui([this, on = c->connected] { apply(board::events::connection{on}); });
    } else if (const auto* sn = std::get_if<kiosk::events::orders_snapshot>(&e)) {
      post_ui([this, snap = sn->snapshot] {
        board::events::snapshot ev{snap.seq, {}};
        for (const auto& o : snap.orders) ev.orders.push_back(to_feed(o, nullptr));
        apply(ev);
      });
    } else if (const auto* st = std::get_if<kiosk::events::order_status>(&e)) {
      if (!st->status.seq) return;  // an older hub: the snapshot after reconnects is the truth
      post_ui([this, s = st->status] { apply(board::events::status{*s.seq, to_feed(s, nullptr)}); });
    }
  }
  void catalog_changed(const catalog_view& v) override {
    const auto& c = v.catalog();
    apply(board::events::profile{c.business_name, c.profile ? c.profile->banner : std::string()});
  }
  const ui::scene& build(std::int64_t now) override {
    const auto l = ui::make_layout(layout_.width, layout_.height, layout_.dpi);
    view_ = board::build_view(s_, l, tr(), *fonts_, now, t_);
    return view_.scene;
  }
  json state_json() override {
    const auto c = board::visible(s_, steady_ms(), t_);
    json prep = json::array(), ready = json::array();
    for (const auto& n : c.preparing) prep.push_back(n.number);
    for (const auto& n : c.ready) ready.push_back({{"number", n.number}, {"order_id", n.order_id}, {"highlight", n.highlight}});
    return {{"mode", "board"}, {"online", s_.online}, {"stale", s_.stale}, {"synced", s_.feed.synced()},
            {"resyncing", s_.resyncing}, {"seq", s_.feed.seq()}, {"preparing", prep}, {"ready", ready},
            {"chimes", s_.chimes}, {"store", s_.store_name}, {"banner", s_.banner},
            {"number_px", view_.number_px}, {"shown_preparing", view_.shown_preparing},
            {"shown_ready", view_.shown_ready}};
  }
  const char* mode_title() const override { return "board"; }
  void tapped(const std::string&) override {}
  void tick() override { apply(board::events::tick{}); }
  bool animating() override { return board::animating(s_, steady_ms(), t_); }

  board::state s_;
  board::timings t_;
  board::view_result view_;
};

// ---------------------------------------------------------------- counter

class counter_app final : public screen_app {
 public:
  explicit counter_app(app_options o) : screen_app(std::move(o)) {
    s_.cfg.device_id = o_.link.engine.device_id;
    s_.cfg.business_id = o_.link.engine.business_id;
    s_.cfg.categories = o_.categories;
    age_.flag_amber_s = o_.amber ? std::optional<std::int64_t>(o_.amber->count()) : std::nullopt;
    age_.flag_red_s = o_.red ? std::optional<std::int64_t>(o_.red->count()) : std::nullopt;
    counter::apply_age_thresholds(s_.cfg, age_);
    s_.large_text = o_.large_text;
  }

 private:
  struct in_flight {
    counter::answer::kind what;
    std::string order_id;
    std::int64_t sent_ms;
  };

  void apply(const counter::event& e) {
    for (const auto& f : counter::step(s_, e, wall_ms())) run_effect(f);
    dirty_ = true;
  }
  void send(protocol::order_action a, counter::answer::kind what, const std::string& order_id) {
    a.action_id = protocol::new_uuid();
    actions_[a.action_id] = {what, order_id, steady_ms()};
    post_work([this, a] {
      if (!link_->send_action(a)) post_ui([this, id = a.action_id] { fail(id, "not_sent"); });
    });
  }
  void fail(const std::string& action_id, const std::string& code) {
    auto it = actions_.find(action_id);
    if (it == actions_.end()) return;
    counter::answer a{it->second.what, it->second.order_id, {}, false, code};
    actions_.erase(it);
    apply(counter::events::answered{a});
  }
  void run_effect(const counter::effect& f) {
    using sa = protocol::staff_action;
    if (std::holds_alternative<counter::effects::request_snapshot>(f)) {
      post_work([this, seq = s_.feed.seq()] { (void)link_->sync_orders(seq); });
    } else if (const auto* a = std::get_if<counter::effects::advance>(&f)) {
      protocol::order_action m;
      m.order_id = a->order_id;
      switch (a->to) {
        case protocol::order_state::preparing: m.action = sa::preparing; break;
        case protocol::order_state::ready: m.action = sa::ready; break;
        case protocol::order_state::collected: m.action = sa::collect; break;
        case protocol::order_state::out_for_delivery: m.action = sa::out_for_delivery; break;
        case protocol::order_state::delivered: m.action = sa::delivered; break;
        default: return;
      }
      send(m, m.action == sa::collect ? counter::answer::kind::collect : counter::answer::kind::advance, a->order_id);
    } else if (const auto* c = std::get_if<counter::effects::collect>(&f)) {
      protocol::order_action m;
      m.action = sa::collect;
      m.ticket = c->payload;
      send(m, counter::answer::kind::collect, c->order_id);
    } else if (const auto* tc = std::get_if<counter::effects::take_cash>(&f)) {
      protocol::order_action m;
      m.action = sa::take_cash;
      m.order_id = tc->order_id;
      m.tendered = tc->tendered;
      cash_tendered_[tc->order_id] = tc->tendered;
      send(m, counter::answer::kind::cash, tc->order_id);
    } else if (const auto* cn = std::get_if<counter::effects::cancel>(&f)) {
      protocol::order_action m;
      m.action = sa::cancel;
      m.order_id = cn->order_id;
      m.reason = cn->reason;
      const auto* o = s_.feed.find(cn->order_id);
      // Units go back on the shelf when nothing was made yet and the goods are not the problem.
      m.restock = o != nullptr && (o->state == protocol::order_state::paid || o->state == protocol::order_state::pending_payment) &&
                  cn->reason != "out_of_stock";
      send(m, counter::answer::kind::cancel, cn->order_id);
    } else if (const auto* rp = std::get_if<counter::effects::reprint>(&f)) {
      const auto* o = s_.feed.find(rp->order_id);
      if (o == nullptr) return;
      hwp::pickup_ticket_doc t;
      t.business_name = catalog_ ? catalog_->catalog().business_name : std::string();
      t.order_number = o->number;
      t.order_type = tr().get(o->type == protocol::order_type::eat_in ? "type.eat_in"
                              : o->type == protocol::order_type::pickup ? "type.pickup"
                              : o->type == protocol::order_type::delivery ? "type.delivery" : "type.takeaway");
      t.qr_payload = o->order_id;
      post_work([this, t] {
        std::lock_guard lk(printer_mu_);
        if (!printer_) return;
        const auto res = printer_->print(t);
        if (res.error) spdlog::warn("kiosk: reprint failed: {}", res.error.message());
        ++reprints_;
      });
    } else if (const auto* v = std::get_if<counter::effects::verify_pin>(&f)) {
      post_work([this, pin = v->pin] {
        const bool ok = !o_.staff_pin_hash.empty() &&
                        crypto_pwhash_str_verify(o_.staff_pin_hash.c_str(), pin.c_str(), pin.size()) == 0;
        post_ui([this, ok] { apply(counter::events::pin_result{ok}); });
      });
    } else if (std::holds_alternative<counter::effects::tone>(f)) {
      if (sound_) sound_->play(ui::new_order_tone());
    }
  }
  void on_link(const link_event& e) override {
    if (const auto* c = std::get_if<kiosk::events::connection>(&e)) {
      post_ui([this, on = c->connected] {
        if (!on)
          for (auto it = actions_.begin(); it != actions_.end();) {
            counter::answer a{it->second.what, it->second.order_id, {}, false, "offline"};
            it = actions_.erase(it);
            apply(counter::events::answered{a});
          }
        apply(counter::events::connection{on});
      });
    } else if (const auto* sn = std::get_if<kiosk::events::orders_snapshot>(&e)) {
      post_ui([this, snap = sn->snapshot] {
        counter::events::snapshot ev{snap.seq, {}};
        for (const auto& o : snap.orders) ev.orders.push_back(to_feed(o, catalog_.get()));
        if (s_.cfg.business_id.empty()) s_.cfg.business_id = snap.business_id;
        apply(ev);
      });
    } else if (const auto* st = std::get_if<kiosk::events::order_status>(&e)) {
      if (!st->status.seq) return;
      post_ui([this, s = st->status] { apply(counter::events::status{*s.seq, to_feed(s, catalog_.get())}); });
    } else if (const auto* r = std::get_if<kiosk::events::action_result>(&e)) {
      post_ui([this, res = r->result] {
        auto it = actions_.find(res.action_id);
        if (it == actions_.end()) return;  // a late answer to an action we gave up on
        auto a = to_answer(res, it->second.what);
        if (a.order_id.empty()) a.order_id = it->second.order_id;
        if (a.what == counter::answer::kind::cash) {
          a.tendered = cash_tendered_[a.order_id];
          cash_tendered_.erase(a.order_id);
        }
        actions_.erase(it);
        apply(counter::events::answered{a});
      });
    }
  }
  const ui::scene& build(std::int64_t) override {
    const auto l = ui::make_layout(layout_.width, layout_.height, layout_.dpi, s_.large_text);
    view_ = counter::build_view(s_, l, ui::normal_theme(), tr(), *fonts_, wall_ms());
    return view_.scene;
  }
  json state_json() override {
    json lanes = json::object();
    const auto now = wall_ms();
    for (auto ln : counter::k_lanes) {
      json a = json::array();
      for (const auto* o : counter::lane_orders(s_, ln)) {
        json lines = json::array();
        for (const auto* l : counter::routed_lines(s_.cfg, *o)) lines.push_back({{"qty", l->qty}, {"name", l->name}});
        const auto age = counter::age_of(s_, *o, now);
        a.push_back({{"order_id", o->order_id}, {"number", o->number}, {"state", protocol::to_string(o->state)},
                     {"age", age == counter::age_level::red ? "red" : age == counter::age_level::amber ? "amber" : "fresh"},
                     {"lines", lines}, {"pending", s_.pending.count(o->order_id) > 0}});
      }
      lanes[counter::to_string(ln)] = a;
    }
    json all = json::array();
    for (const auto& [name, n] : counter::all_day(s_)) all.push_back({{"name", name}, {"qty", n}});
    json note = nullptr;
    if (!s_.note.key.empty())
      note = {{"kind", s_.note.how == counter::notice::kind::ok ? "ok" : s_.note.how == counter::notice::kind::error ? "error" : "info"},
              {"key", s_.note.key}, {"text", tr().format(s_.note.key, s_.note.args)}};
    return {{"mode", "counter"}, {"device", s_.cfg.device_id}, {"online", s_.online}, {"synced", s_.feed.synced()},
            {"resyncing", s_.resyncing}, {"seq", s_.feed.seq()}, {"lanes", lanes}, {"all_day", all},
            {"notice", note}, {"dialog", counter::to_string(s_.open)}, {"focus", s_.focus}, {"entry", s_.entry},
            {"tendered", s_.tendered.amount}, {"change", s_.change.amount}, {"tones", s_.tones},
            {"large_text", s_.large_text}, {"reprints", reprints_.load()}, {"scans", scans_.load()},
            {"categories", s_.cfg.categories}, {"age_amber_seconds", s_.cfg.amber_ms / 1000},
            {"age_red_seconds", s_.cfg.red_ms / 1000}};
  }
  void tapped(const std::string& id) override {
    auto it = view_.actions.find(id);
    if (it == view_.actions.end()) return;
    const auto a = it->second;
    apply(counter::events::tap{a});
  }
  const char* mode_title() const override { return "counter"; }
  void scanned(const std::string& text) override { apply(counter::events::scan{text}); }
  void catalog_changed(const catalog_view& v) override {
    // Per business: the store profile's thresholds (the flags, when given, still win).
    const auto& p = v.catalog().profile;
    age_.profile_amber_s = p ? std::optional<std::int64_t>(p->age_amber_seconds) : std::nullopt;
    age_.profile_red_s = p ? std::optional<std::int64_t>(p->age_red_seconds) : std::nullopt;
    counter::apply_age_thresholds(s_.cfg, age_);
  }
  void tick() override {
    const auto now = steady_ms();
    for (auto it = actions_.begin(); it != actions_.end();) {
      if (now - it->second.sent_ms > o_.action_timeout.count() * 1000) {
        counter::answer a{it->second.what, it->second.order_id, {}, false, "timeout"};
        it = actions_.erase(it);
        apply(counter::events::answered{a});
      } else {
        ++it;
      }
    }
    apply(counter::events::tick{});
  }
  bool animating() override { return false; }

  int start_devices() override {
    if (o_.printer != "none") {
      if (o_.printer.rfind("sim:", 0) == 0) {
        printer_ = std::make_unique<hwp::receipt_printer>(std::make_unique<hwp::sim_printer>(), hwp::printer_profile::mm80());
      } else {
        std::error_code ec;
        printer_ = hwp::receipt_printer::open(o_.printer, hwp::printer_profile::mm80(), ec);
        if (!printer_) {
          spdlog::error("kiosk: printer URI not understood: {}", o_.printer);
          return 2;
        }
      }
    }
    if (o_.camera == "none") return 0;
    camera_feed_options co;
    co.camera = o_.camera;
    co.scanner.decoder.formats = {true, false, false, false};  // tickets carry QR codes only
    camera_ = std::make_unique<camera_feed>(co, [this](const hw::scan_event& ev) {
      ++scans_;
      post_ui([this, text = ev.text] { scanned(text); });
    });
    camera_->start();
    return 0;
  }
  void stop_devices() override {
    if (camera_) camera_->stop();
  }

  counter::state s_;
  counter::age_sources age_;
  counter::view_result view_;
  std::map<std::string, in_flight> actions_;  // action_id → what it was (UI thread)
  std::map<std::string, protocol::money> cash_tendered_;
  std::mutex printer_mu_;
  std::unique_ptr<hwp::receipt_printer> printer_;
  std::atomic<int> reprints_{0};
  std::atomic<int> scans_{0};
  std::unique_ptr<camera_feed> camera_;  // capture thread + the scanner's decoder thread
};

}  // namespace

int run_board(app_options opts) {
  board_app a(std::move(opts));
  return a.run();
}

int run_counter(app_options opts) {
  counter_app a(std::move(opts));
  return a.run();
}

}  // namespace kh::kiosk::screens
