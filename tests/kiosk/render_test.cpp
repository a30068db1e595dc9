// Every shop screen at 1280×800, 1920×1080 and 1080×1920, in English and French, in the normal and
// the high-contrast theme, drawn with SDL's software renderer and written to PNG under the build
// folder (tests/kiosk/render/…), then checked: not blank, every text inside its box and the
// screen, every touch target at least 9 mm and not overlapping another, text contrast ≥ 4.5:1.

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include <SDL.h>

#include "kh/kiosk/modes/shop/view.hpp"
#include "kh/kiosk/ui/draw.hpp"
#include "shop_fixture.hpp"

namespace fs = std::filesystem;
using namespace kh::kiosk;

namespace {

struct resolution {
  int w, h;
  double dpi;  // a plausible panel: 10.1" 1280×800 ≈ 150 dpi, 21.5" 1080p ≈ 102 dpi
};
const resolution k_resolutions[] = {{1280, 800, 150}, {1920, 1080, 102}, {1080, 1920, 102}};

class render : public ::testing::Test {
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
ui::sdl_context* render::sdl_ = nullptr;
ui::fonts* render::fonts_ = nullptr;

ui::strings load(const std::string& lang) {
  return ui::strings::load(fs::path(KH_KIOSK_ASSETS) / "i18n" / (lang + ".json"), lang);
}

// Draws `s` at `r`; returns the PNG path (empty when `png` is false) and checks everything.
void check_screen(ui::fonts& f, const shop::state& s, const resolution& r, const ui::strings& tr,
                  bool hc, const fs::path& png) {
  const auto th = hc ? ui::high_contrast_theme() : ui::normal_theme();
  const auto l = ui::make_layout(r.w, r.h, r.dpi, hc, s.reach);
  auto v = shop::build_view(s, l, th, tr, f, 0);
  const std::string where = std::string(shop::to_string(s.current)) + " " + std::to_string(r.w) +
                            "x" + std::to_string(r.h) + " " + tr.language() + (hc ? " hc" : "") +
                            (s.reach ? " reach" : "") + (s.online ? "" : " offline");
  const ui::rect screen{0, 0, r.w, r.h};
  ASSERT_FALSE(v.scene.texts.empty()) << where;
  for (const auto& t : v.scene.texts) {
    EXPECT_TRUE(t.box.inside(screen)) << where << ": text box outside the screen: " << t.utf8;
    EXPECT_LE(f.width(t.utf8, t.size, t.bold), t.box.w) << where << ": too wide: " << t.utf8;
    EXPECT_LE(f.line_height(t.size), t.box.h + 2) << where << ": too tall: " << t.utf8;
    EXPECT_GE(ui::contrast_ratio(t.fg, t.bg), 4.5) << where << ": low contrast: " << t.utf8;
    EXPECT_FALSE(tr.has(t.utf8) && t.utf8.find('.') != std::string::npos)
        << where << ": untranslated key shown: " << t.utf8;
  }
  const int min_px = static_cast<int>(std::ceil(ui::min_target_mm * l.px_per_mm)) - 1;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < v.scene.targets.size(); ++i) {
    const auto& a = v.scene.targets[i];
    EXPECT_TRUE(ids.insert(a.id).second) << where << ": duplicate target id " << a.id;
    EXPECT_GE(a.r.w, min_px) << where << ": target narrower than 9 mm: " << a.id;
    EXPECT_GE(a.r.h, min_px) << where << ": target lower than 9 mm: " << a.id;
    EXPECT_TRUE(a.r.inside(screen)) << where << ": target off screen: " << a.id;
    if (s.reach) { EXPECT_GE(a.r.y, r.h / 2) << where << ": reach mode target in the upper half: " << a.id; }
    for (std::size_t k = i + 1; k < v.scene.targets.size(); ++k)
      EXPECT_FALSE(a.r.overlaps(v.scene.targets[k].r))
          << where << ": targets overlap: " << a.id << " / " << v.scene.targets[k].id;
  }
  // Draw it and make sure something other than the background is there.
  SDL_Surface* surf = SDL_CreateRGBSurfaceWithFormat(0, r.w, r.h, 32, SDL_PIXELFORMAT_ARGB8888);
  ASSERT_NE(surf, nullptr);
  SDL_Renderer* sr = SDL_CreateSoftwareRenderer(surf);
  ASSERT_NE(sr, nullptr);
  {
    ui::renderer rd(sr, f);
    rd.draw(v.scene);
    SDL_RenderPresent(sr);
  }
  const auto* px = static_cast<const std::uint32_t*>(surf->pixels);
  const std::uint32_t bg = px[0];
  std::size_t differ = 0;
  for (int y = 0; y < r.h; y += 2)
    for (int x = 0; x < r.w; x += 2)
      if (px[static_cast<std::size_t>(y) * (surf->pitch / 4) + x] != bg) ++differ;
  EXPECT_GT(differ, static_cast<std::size_t>(r.w * r.h / 4 / 100)) << where << ": (nearly) blank";
  if (!png.empty()) {
    fs::create_directories(png.parent_path());
    EXPECT_EQ(ui::save_png(surf, png), "") << png;
  }
  SDL_DestroyRenderer(sr);
  SDL_FreeSurface(surf);
}

}  // namespace

TEST_F(render, every_screen_at_three_sizes_and_two_languages_fits_and_is_readable) {
  const fs::path out = fs::current_path() / "render";
  for (const auto& lang : {"en", "fr"}) {
    const auto tr = load(lang);
    for (const auto& r : k_resolutions)
      for (auto sc : shop_testing::all_screens()) {
        auto s = shop_testing::state_on(sc);
        s.language = lang;
        const std::string dir = std::to_string(r.w) + "x" + std::to_string(r.h) + "-" + lang;
        check_screen(*fonts_, s, r, tr, false, out / dir / (std::string(shop::to_string(sc)) + ".png"));
      }
  }
}

TEST_F(render, high_contrast_large_text_offline_and_reach_variants_fit_too) {
  const fs::path out = fs::current_path() / "render";
  for (const auto& lang : {"en", "fr"}) {
    const auto tr = load(lang);
    for (const auto& r : k_resolutions)
      for (auto sc : shop_testing::all_screens()) {
        auto s = shop_testing::state_on(sc);
        s.language = lang;
        s.high_contrast = true;
        const std::string dir = std::to_string(r.w) + "x" + std::to_string(r.h) + "-" + lang + "-hc";
        // PNGs of the high-contrast set for one size (looked at by people), checks for all.
        check_screen(*fonts_, s, r, tr, true,
                     r.w == 1920 ? out / dir / (std::string(shop::to_string(sc)) + ".png") : fs::path{});
        auto off = shop_testing::state_on(sc, false);
        off.language = lang;
        check_screen(*fonts_, off, r, tr, false, {});
        if (r.h > r.w) {
          auto reach = shop_testing::state_on(sc);
          reach.language = lang;
          reach.reach = true;
          check_screen(*fonts_, reach, r, tr, false,
                       lang == std::string("en") ? out / "reach" / (std::string(shop::to_string(sc)) + ".png") : fs::path{});
        }
      }
  }
}

TEST_F(render, keyboards_on_the_product_and_order_type_screens_fit) {
  const auto tr = load("fr");
  for (const auto& r : k_resolutions) {
    auto s = shop_testing::state_on(shop::screen::product);
    s.language = "fr";
    s.editing = shop::text_field::note;
    check_screen(*fonts_, s, r, tr, false, fs::current_path() / "render" / "keyboard" /
                                               ("note-" + std::to_string(r.w) + ".png"));
    auto t = shop_testing::state_on(shop::screen::order_type);
    t.type = kh::protocol::order_type::eat_in;
    t.editing = shop::text_field::table;
    check_screen(*fonts_, t, r, tr, false, {});
  }
}

TEST(i18n, both_languages_have_the_same_keys_and_format_money_their_way) {
  const auto en = load("en"), fr = load("fr");
  for (const auto& [k, v] : en.all()) EXPECT_TRUE(fr.has(k)) << "fr lacks " << k;
  for (const auto& [k, v] : fr.all()) EXPECT_TRUE(en.has(k)) << "en lacks " << k;
  EXPECT_EQ(fr.money({360, "EUR"}), "3,60\u00a0€");
  EXPECT_EQ(en.money({360, "EUR"}), "€3.60");
  EXPECT_EQ(en.money({5, "EUR"}), "€0.05");
  EXPECT_EQ(fr.money({-1250, "EUR"}), "-12,50\u00a0€");
  EXPECT_EQ(en.money({1200, "CHF"}), "CHF\u00a012.00");
  EXPECT_EQ(en.money({500, "JPY"}), "JPY\u00a0500");
  EXPECT_EQ(fr.format("nav.page", {"2", "5"}), "Page 2 sur 5");
}

TEST(theme, every_text_colour_pair_of_both_themes_is_at_least_aa) {
  for (const auto& t : {ui::normal_theme(), ui::high_contrast_theme()}) {
    const double need = t.high_contrast ? 7.0 : 4.5;
    EXPECT_GE(ui::contrast_ratio(t.text, t.background), need);
    EXPECT_GE(ui::contrast_ratio(t.text, t.surface), need);
    EXPECT_GE(ui::contrast_ratio(t.muted, t.background), need);
    EXPECT_GE(ui::contrast_ratio(t.muted, t.surface), need);
    EXPECT_GE(ui::contrast_ratio(t.on_primary, t.primary), need);
    EXPECT_GE(ui::contrast_ratio(t.on_secondary, t.secondary), need);
    EXPECT_GE(ui::contrast_ratio(t.on_selected, t.selected), need);
    EXPECT_GE(ui::contrast_ratio(t.on_danger, t.danger), need);
    EXPECT_GE(ui::contrast_ratio(t.on_banner, t.banner), need);
  }
  EXPECT_NEAR(ui::contrast_ratio({0, 0, 0}, {255, 255, 255}), 21.0, 1e-9);
}
