// The board and the counter at 1280×800, 1920×1080 and 1080×1920 with 0, 5 and 60 open orders, in
// English and French, drawn with SDL's software renderer and written to PNG under the build folder
// (tests/kiosk/render/board|counter/…), then checked: every text inside its box and the screen, no
// cards or numbers overlapping, touch targets ≥ 9 mm and apart, text contrast ≥ 4.5:1, and the
// board's digits at least 8 % of the screen height at 1920×1080 (measured in the drawn pixels).

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <SDL.h>

#include "kh/kiosk/modes/board/view.hpp"
#include "kh/kiosk/modes/counter/view.hpp"
#include "kh/kiosk/ui/draw.hpp"
#include "modes_fixture.hpp"

namespace fs = std::filesystem;
using namespace kh::kiosk;
using st = kh::protocol::order_state;

namespace {

struct resolution {
  int w, h;
  double dpi;
};
const resolution k_resolutions[] = {{1280, 800, 150}, {1920, 1080, 102}, {1080, 1920, 102}};
constexpr std::int64_t k_now = 1'800'000'000'000;

class modes_render : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setenv("SDL_VIDEODRIVER", "dummy", 0);
    sdl_ = new ui::sdl_context();
    fonts_ = new ui::fonts();
  }
  static void TearDownTestSuite() {
    delete fonts_;
    delete sdl_;
  }
  static ui::sdl_context* sdl_;
  static ui::fonts* fonts_;
};
ui::sdl_context* modes_render::sdl_ = nullptr;
ui::fonts* modes_render::fonts_ = nullptr;

ui::strings load(const std::string& lang) {
  return ui::strings::load(fs::path(KH_KIOSK_ASSETS) / "i18n" / (lang + ".json"), lang);
}

void check_scene(ui::fonts& f, const ui::scene& sc, const ui::layout& l, const ui::strings& tr,
                 const std::string& where) {
  const ui::rect screen{0, 0, l.width, l.height};
  ASSERT_FALSE(sc.texts.empty()) << where;
  for (const auto& t : sc.texts) {
    EXPECT_TRUE(t.box.inside(screen)) << where << ": text box outside the screen: " << t.utf8;
    EXPECT_LE(f.width(t.utf8, t.size, t.bold), t.box.w) << where << ": too wide: " << t.utf8;
    EXPECT_LE(f.line_height(t.size), t.box.h + 2) << where << ": too tall: " << t.utf8;
    EXPECT_GE(ui::contrast_ratio(t.fg, t.bg), 4.5) << where << ": low contrast: " << t.utf8;
    EXPECT_FALSE(tr.has(t.utf8) && t.utf8.find('.') != std::string::npos)
        << where << ": untranslated key shown: " << t.utf8;
    EXPECT_EQ(t.utf8.find('{'), std::string::npos) << where << ": unfilled placeholder: " << t.utf8;
    // Cut with "…" by the painter (it did not fit), unless the string itself ends so.
    if (t.utf8.size() >= 3 && t.utf8.compare(t.utf8.size() - 3, 3, "…") == 0) {
      bool own = false;
      for (const auto& [k, v] : tr.all()) {
        if (v.size() < 3 || v.compare(v.size() - 3, 3, "…") != 0) continue;
        const auto head = v.substr(0, std::min(v.find('{'), v.size() - 3));
        const auto tail = v.substr(v.find('}') == std::string::npos ? 0 : v.find('}') + 1);
        if (t.utf8.rfind(head, 0) == 0 && t.utf8.size() >= tail.size() &&
            t.utf8.compare(t.utf8.size() - tail.size(), tail.size(), tail) == 0) own = true;
      }
      EXPECT_TRUE(own) << where << ": text cut to fit: " << t.utf8;
    }
  }
  // Nothing overlaps: the drawn extent of every text (its width where its alignment puts it, one
  // line high, centred in its box) is apart from every other text's.
  std::vector<ui::rect> ink;
  for (const auto& t : sc.texts) {
    const int w = f.width(t.utf8, t.size, t.bold), lh = f.line_height(t.size);
    int x = t.box.x;
    if (t.how == ui::align::center) x = t.box.x + (t.box.w - w) / 2;
    if (t.how == ui::align::right) x = t.box.x + t.box.w - w;
    // One pixel less at each edge: line skips of neighbouring rows may touch.
    ink.push_back({x + 1, t.box.y + (t.box.h - lh) / 2 + 1, std::max(1, w - 2), std::max(1, lh - 2)});
  }
  for (std::size_t i = 0; i < ink.size(); ++i)
    for (std::size_t k = i + 1; k < ink.size(); ++k)
      EXPECT_FALSE(ink[i].overlaps(ink[k])) << where << ": texts overlap: '" << sc.texts[i].utf8 << "' / '"
                                            << sc.texts[k].utf8 << "'";
  const int min_px = static_cast<int>(std::ceil(ui::min_target_mm * l.px_per_mm)) - 1;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < sc.targets.size(); ++i) {
    const auto& a = sc.targets[i];
    EXPECT_TRUE(ids.insert(a.id).second) << where << ": duplicate target id " << a.id;
    EXPECT_GE(a.r.w, min_px) << where << ": target narrower than 9 mm: " << a.id;
    EXPECT_GE(a.r.h, min_px) << where << ": target lower than 9 mm: " << a.id;
    EXPECT_TRUE(a.r.inside(screen)) << where << ": target off screen: " << a.id;
    for (std::size_t k = i + 1; k < sc.targets.size(); ++k)
      EXPECT_FALSE(a.r.overlaps(sc.targets[k].r)) << where << ": targets overlap: " << a.id << " / " << sc.targets[k].id;
  }
}

void no_overlaps(const std::vector<ui::rect>& v, const ui::rect& screen, const std::string& where, const char* what) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    EXPECT_TRUE(v[i].inside(screen)) << where << ": " << what << " " << i << " off screen";
    for (std::size_t k = i + 1; k < v.size(); ++k)
      EXPECT_FALSE(v[i].overlaps(v[k])) << where << ": " << what << "s " << i << " and " << k << " overlap";
  }
}

// Draws the scene; writes the PNG; returns the surface (caller frees).
SDL_Surface* draw(ui::fonts& f, const ui::scene& sc, int w, int h, const fs::path& png) {
  SDL_Surface* surf = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
  SDL_Renderer* sr = SDL_CreateSoftwareRenderer(surf);
  {
    ui::renderer rd(sr, f);
    rd.draw(sc);
    SDL_RenderPresent(sr);
  }
  SDL_DestroyRenderer(sr);
  if (!png.empty()) {
    fs::create_directories(png.parent_path());
    EXPECT_EQ(ui::save_png(surf, png), "") << png;
  }
  return surf;
}

// Height in pixels of the ink of one text drawn alone (the digits' real height on screen).
int ink_height(ui::fonts& f, const std::string& text, int size) {
  ui::scene sc;
  sc.background = {0, 0, 0};
  const int w = f.width(text, size, true) + 20, h = f.line_height(size) + 20;
  sc.texts.push_back({{10, 10, w - 20, h - 20}, text, size, true, {255, 255, 255}, {0, 0, 0}, ui::align::left});
  SDL_Surface* s = draw(f, sc, w, h, {});
  int top = h, bottom = -1;
  const auto* px = static_cast<const std::uint32_t*>(s->pixels);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      if ((px[static_cast<std::size_t>(y) * (s->pitch / 4) + x] & 0xff) > 128) {
        top = std::min(top, y);
        bottom = std::max(bottom, y);
      }
  SDL_FreeSurface(s);
  return bottom - top + 1;
}

std::string name(const resolution& r, int n, const std::string& lang, const char* extra = "") {
  return std::to_string(r.w) + "x" + std::to_string(r.h) + "-" + std::to_string(n) + "-" + lang + extra;
}

}  // namespace

TEST_F(modes_render, board_at_three_sizes_with_0_5_and_60_orders_fits_and_numbers_are_big) {
  const fs::path out = fs::current_path() / "render" / "board";
  for (const auto& lang : {"en", "fr"}) {
    const auto tr = load(lang);
    for (const auto& r : k_resolutions) {
      for (int n : {0, 5, 60}) {
        board::state s;
        board::step(s, board::events::connection{true}, k_now);
        board::step(s, board::events::profile{"Café Lumière", "Fresh pastries every morning"}, k_now);
        board::step(s, board::events::snapshot{1, test::mixed_orders(n, k_now)}, k_now - 60'000);
        // One number just turned ready: highlighted.
        if (n > 0) board::step(s, board::events::status{2, test::make_order(n + 1, st::ready)}, k_now);
        const auto l = ui::make_layout(r.w, r.h, r.dpi);
        const auto v = board::build_view(s, l, tr, *fonts_, k_now);
        const std::string where = "board " + name(r, n, lang);
        check_scene(*fonts_, v.scene, l, tr, where);
        no_overlaps(v.number_cells, {0, 0, r.w, r.h}, where, "number cell");
        const auto cols = board::visible(s, k_now);
        if (n == 5) {
          EXPECT_EQ(v.shown_preparing, static_cast<int>(cols.preparing.size())) << where << ": all fit";
          EXPECT_EQ(v.shown_ready, static_cast<int>(cols.ready.size())) << where << ": all fit";
        }
        if (n == 60) {
          // As many as fit (at least three per column), the rest counted in the last cell's "+N".
          EXPECT_GE(v.shown_preparing, r.w == 1920 ? 8 : 3) << where;
          EXPECT_GE(v.shown_ready, r.w == 1920 ? 8 : 3) << where;
          std::vector<int> plus;
          for (const auto& t : v.scene.texts)
            if (t.utf8.size() > 1 && t.utf8[0] == '+') plus.push_back(std::stoi(t.utf8.substr(1)));
          ASSERT_EQ(plus.size(), 2u) << where;
          EXPECT_EQ(plus[0] + v.shown_preparing, static_cast<int>(cols.preparing.size())) << where;
          EXPECT_EQ(plus[1] + v.shown_ready, static_cast<int>(cols.ready.size())) << where;
        }
        // Numbers are never shrunk to fit.
        for (const auto& t : v.scene.texts)
          if (t.utf8.rfind("A-", 0) == 0) { EXPECT_EQ(t.size, v.number_px) << where << ": " << t.utf8; }
        SDL_Surface* drawn = draw(*fonts_, v.scene, r.w, r.h, out / (name(r, n, lang) + ".png"));
        if (r.w == 1920 && n > 0) {
          // The numbers' height as drawn on this screen: white ink rows in the first Preparing cell.
          ASSERT_FALSE(v.number_cells.empty()) << where;
          const auto cell = v.number_cells.front();
          const auto* px = static_cast<const std::uint32_t*>(drawn->pixels);
          int top = cell.h, bottom = -1;
          for (int y = 0; y < cell.h; ++y)
            for (int x = 0; x < cell.w; ++x) {
              const auto p = px[static_cast<std::size_t>(cell.y + y) * (drawn->pitch / 4) + cell.x + x];
              if (((p >> 16) & 0xff) > 200 && ((p >> 8) & 0xff) > 200 && (p & 0xff) > 200) {
                top = std::min(top, y);
                bottom = std::max(bottom, y);
              }
            }
          EXPECT_GE(bottom - top + 1, static_cast<int>(std::ceil(0.08 * 1080)))
              << where << ": a drawn number is less than 8 % of the screen height";
        }
        SDL_FreeSurface(drawn);
      }
    }
  }
  const auto l = ui::make_layout(1920, 1080, 102);
  const int digits = ink_height(*fonts_, "0123456789", board::number_font_px(l));
  EXPECT_GE(digits, static_cast<int>(std::ceil(0.08 * 1080))) << "digits must be ≥ 8 % of 1080 px";
}

TEST_F(modes_render, board_offline_and_stale_show_the_reconnecting_mark_and_no_orders) {
  const auto tr = load("en");
  for (const auto& r : k_resolutions) {
    board::state s;
    board::step(s, board::events::connection{true}, 0);
    board::step(s, board::events::snapshot{1, test::mixed_orders(5)}, 0);
    board::step(s, board::events::connection{false}, 0);
    board::step(s, board::events::tick{}, 60'000);
    const auto l = ui::make_layout(r.w, r.h, r.dpi);
    const auto v = board::build_view(s, l, tr, *fonts_, 60'000);
    const std::string where = "board stale " + name(r, 5, "en");
    check_scene(*fonts_, v.scene, l, tr, where);
    bool mark = false;
    for (const auto& t : v.scene.texts) {
      mark = mark || t.utf8 == tr.get("board.reconnecting");
      EXPECT_NE(t.utf8.rfind("A-", 0), 0u) << where << ": stale number shown: " << t.utf8;
    }
    EXPECT_TRUE(mark) << where;
    SDL_FreeSurface(draw(*fonts_, v.scene, r.w, r.h, fs::current_path() / "render" / "board" / (name(r, 5, "en", "-stale") + ".png")));
  }
}

TEST_F(modes_render, counter_at_three_sizes_with_0_5_and_60_orders_fits_and_nothing_overlaps) {
  const fs::path out = fs::current_path() / "render" / "counter";
  for (const auto& lang : {"en", "fr"}) {
    const auto tr = load(lang);
    for (const auto& r : k_resolutions) {
      for (int n : {0, 5, 60}) {
        for (bool large : {false, true}) {
          counter::state s;
          s.cfg.device_id = "counter-1";
          counter::step(s, counter::events::connection{true}, k_now);
          counter::step(s, counter::events::snapshot{1, test::mixed_orders(n, k_now)}, k_now);
          s.large_text = large;
          if (n == 5) counter::step(s, counter::events::scan{test::uuid_for(99)}, k_now);
          if (n == 5) counter::step(s, counter::events::answered{{counter::answer::kind::collect, test::uuid_for(99), "A-099",
                                                                 false, "already_collected", st::collected, {}, {}, "12:41", "counter-1"}}, k_now);
          const auto l = ui::make_layout(r.w, r.h, r.dpi, large);
          const auto th = large ? ui::high_contrast_theme() : ui::normal_theme();
          const auto v = counter::build_view(s, l, th, tr, *fonts_, k_now);
          const std::string where = "counter " + name(r, n, lang, large ? "-large" : "");
          check_scene(*fonts_, v.scene, l, tr, where);
          no_overlaps(v.cards, {0, 0, r.w, r.h}, where, "card");
          int shown = 0;
          for (const auto& [ln, k] : v.shown) shown += k;
          if (n == 5 && !large) {
            EXPECT_EQ(shown, 5) << where << ": five orders all fit";
          }
          if (n == 60) {
            EXPECT_GE(shown, 6) << where;
            int hidden = 0;
            for (const auto& [ln, k] : v.hidden) hidden += k;
            EXPECT_EQ(shown + hidden, 60) << where << ": every order is shown or counted in +N";
          }
          // Every card's step button has its action.
          for (const auto& t : v.scene.targets) EXPECT_TRUE(v.actions.count(t.id)) << where << ": " << t.id;
          SDL_FreeSurface(draw(*fonts_, v.scene, r.w, r.h, out / (name(r, n, lang, large ? "-large" : "") + ".png")));
        }
      }
    }
  }
}

TEST_F(modes_render, counter_dialogs_fit_at_three_sizes) {
  const auto tr = load("fr");
  for (const auto& r : k_resolutions) {
    for (auto d : {counter::dialog::detail, counter::dialog::cash, counter::dialog::cash_done,
                   counter::dialog::cancel_pin, counter::dialog::cancel_reason}) {
      counter::state s;
      counter::step(s, counter::events::connection{true}, k_now);
      auto orders = test::mixed_orders(5, k_now);
      orders[3].lines.push_back({3, "p-tea", "Earl Grey tea", "c-tea", {"Lemon", "Honey"}, "no sugar"});
      counter::step(s, counter::events::snapshot{1, orders}, k_now);
      s.open = d;
      s.focus = orders[3].order_id;
      s.entry = d == counter::dialog::cash ? "2000" : d == counter::dialog::cancel_pin ? "12" : "";
      s.tendered = {2000, "EUR"};
      s.change = {1640, "EUR"};
      const auto l = ui::make_layout(r.w, r.h, r.dpi);
      const auto v = counter::build_view(s, l, ui::normal_theme(), tr, *fonts_, k_now);
      const std::string where = std::string("counter dialog ") + counter::to_string(d) + " " + name(r, 5, "fr");
      check_scene(*fonts_, v.scene, l, tr, where);
      bool has_close = false;
      for (const auto& t : v.scene.targets) {
        has_close = has_close || t.id == "close";
        EXPECT_EQ(t.id.rfind("step:", 0), std::string::npos) << where << ": the screen below takes taps: " << t.id;
      }
      EXPECT_TRUE(has_close) << where;
      SDL_FreeSurface(draw(*fonts_, v.scene, r.w, r.h,
                           fs::current_path() / "render" / "counter" / (std::string("dialog-") + counter::to_string(d) + "-" + name(r, 5, "fr") + ".png")));
    }
  }
}

TEST_F(modes_render, counter_amber_and_red_ages_differ_without_colour_in_both_themes) {
  const auto tr = load("en");
  for (const auto& r : k_resolutions) {
    for (bool hc : {false, true}) {
      counter::state s;
      counter::step(s, counter::events::connection{true}, k_now);
      // One fresh (1 min), one amber (6 min) and one red (12 min) order in each lane that has one.
      std::vector<feed_order> orders;
      int i = 1;
      for (auto state : {st::paid, st::preparing})
        for (int mins : {1, 6, 12}) orders.push_back(test::make_order(i++, state, k_now - mins * 60'000LL));
      counter::step(s, counter::events::snapshot{1, orders}, k_now);
      const auto l = ui::make_layout(r.w, r.h, r.dpi, hc);
      const auto th = hc ? ui::high_contrast_theme() : ui::normal_theme();
      const auto v = counter::build_view(s, l, th, tr, *fonts_, k_now);
      const std::string where = std::string("counter ages ") + (hc ? "high contrast " : "") + name(r, 6, "en");
      check_scene(*fonts_, v.scene, l, tr, where);
      SDL_FreeSurface(draw(*fonts_, v.scene, r.w, r.h,
                           fs::current_path() / "render" / "counter" / ("ages-" + name(r, 6, "en", hc ? "-hc" : "") + ".png")));
      // Each card's border: fresh one pixel, amber one thick band, red a double band.
      std::map<counter::age_level, int> seen;
      for (const auto& a : v.ages) {
        ++seen[a.age];
        if (a.age == counter::age_level::fresh) {
          EXPECT_EQ(a.band_px, 1) << where;
        }
        if (a.age == counter::age_level::amber) {
          EXPECT_GE(a.band_px, 3) << where;
          EXPECT_FALSE(a.double_band) << where;
        }
        if (a.age == counter::age_level::red) {
          EXPECT_GE(a.band_px, 3) << where;
          EXPECT_TRUE(a.double_band) << where << ": red needs its second band";
        }
      }
      // Oldest first: the two fresh cards may be in "+N more" on short screens in large text.
      int hidden = 0;
      for (const auto& [ln, k] : v.hidden) hidden += k;
      EXPECT_EQ(seen[counter::age_level::fresh] + hidden, 2) << where;
      EXPECT_EQ(seen[counter::age_level::amber], 2) << where;
      EXPECT_EQ(seen[counter::age_level::red], 2) << where;
      // Each chip's text says which: "⚠ 6 min" (amber), "‼ 12 min" (red), readable on its chip,
      // and amber and red chips differ in lightness (not only in hue) by at least 3:1.
      const ui::color* amber_fill = nullptr;
      const ui::color* red_fill = nullptr;
      for (const auto& c : v.chips) {
        const ui::text_item* text = nullptr;
        for (const auto& t : v.scene.texts)
          if (t.box == c.r) text = &t;
        ASSERT_NE(text, nullptr) << where << ": a chip without its text";
        EXPECT_GE(ui::contrast_ratio(text->fg, text->bg), 4.5) << where << ": " << text->utf8;
        EXPECT_EQ(text->bg, c.fill) << where;
        if (c.age == counter::age_level::amber) {
          EXPECT_EQ(text->utf8, tr.format("counter.age_amber", {"6"})) << where;
          EXPECT_EQ(text->utf8.rfind("⚠", 0), 0u) << where;
          amber_fill = &c.fill;
        } else if (c.age == counter::age_level::red) {
          EXPECT_EQ(text->utf8, tr.format("counter.age_red", {"12"})) << where;
          EXPECT_EQ(text->utf8.rfind("‼", 0), 0u) << where;
          red_fill = &c.fill;
        } else {
          EXPECT_EQ(text->utf8, tr.format("counter.age_min", {"1"})) << where;
        }
      }
      ASSERT_NE(amber_fill, nullptr) << where;
      ASSERT_NE(red_fill, nullptr) << where;
      EXPECT_GE(ui::contrast_ratio(*amber_fill, *red_fill), 3.0) << where << ": amber and red chips alike in lightness";
    }
  }
}
