// Shop drawing details the screen-by-screen render test does not look at: the maintenance camera
// view (the preview picture with the scanner's detections outlined and their text listed) and the
// menu's product names (one font size, two lines at most, never shrunk).

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include <SDL.h>

#include "kh/kiosk/modes/shop/view.hpp"
#include "kh/kiosk/ui/draw.hpp"
#include "shop_fixture.hpp"

namespace fs = std::filesystem;
using namespace kh::kiosk;

namespace {

class shop_render : public ::testing::Test {
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
ui::sdl_context* shop_render::sdl_ = nullptr;
ui::fonts* shop_render::fonts_ = nullptr;

ui::strings load(const std::string& lang) {
  return ui::strings::load(fs::path(KH_KIOSK_ASSETS) / "i18n" / (lang + ".json"), lang);
}

std::uint32_t pixel(SDL_Surface* s, int x, int y) {
  return static_cast<const std::uint32_t*>(s->pixels)[static_cast<std::size_t>(y) * (s->pitch / 4) + x];
}

}  // namespace

TEST_F(shop_render, the_camera_view_shows_the_picture_with_each_detection_outlined_and_its_text) {
  for (auto [w, h] : {std::pair{1280, 800}, std::pair{1080, 1920}}) {
    auto s = shop_testing::state_on(shop::screen::maintenance);
    const auto tr = load("en");
    const auto l = ui::make_layout(w, h, w == 1280 ? 150 : 102);
    const auto v = shop::build_view(s, l, ui::normal_theme(), tr, *fonts_, 0);
    const ui::image_item* pic = nullptr;
    for (const auto& im : v.scene.images)
      if (im.key == "camera:view") pic = &im;
    ASSERT_NE(pic, nullptr) << w;
    EXPECT_NEAR(pic->r.w * 3, pic->r.h * 4, 4) << "the picture keeps the preview's 4:3 (not cropped)";
    for (const auto& t : v.scene.targets) {
      EXPECT_FALSE(t.r.overlaps(pic->r)) << t.id << " under the camera view";
    }
    // The code at (110,70)-(210,170) of the 320×240 preview: one outline at the same place.
    ASSERT_EQ(v.scene.overlays.size(), 1u);
    const auto& box = v.scene.overlays[0].r;
    const double sc = static_cast<double>(pic->r.w) / 320;
    EXPECT_NEAR(box.x, pic->r.x + 110 * sc, 4);
    EXPECT_NEAR(box.y, pic->r.y + 70 * sc, 4);
    EXPECT_NEAR(box.w, 100 * sc, 6);
    bool listed = false;
    for (const auto& t : v.scene.texts) listed = listed || t.utf8.find("khd:WELCOME10") != std::string::npos;
    EXPECT_TRUE(listed) << "the decoded text is shown";

    // Drawn: a grey preview picture, the green outline over it.
    SDL_Surface* surf = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer* sr = SDL_CreateSoftwareRenderer(surf);
    {
      ui::renderer rd(sr, *fonts_);
      SDL_Surface* prev = SDL_CreateRGBSurfaceWithFormat(0, 320, 240, 32, SDL_PIXELFORMAT_ARGB8888);
      SDL_FillRect(prev, nullptr, 0xFF808080u);
      rd.set_image("camera:view", ui::surface_ptr(prev));
      rd.draw(v.scene);
      SDL_RenderPresent(sr);
    }
    EXPECT_EQ(pixel(surf, pic->r.x + 5, pic->r.y + pic->r.h - 5) & 0xFFFFFFu, 0x808080u) << "the picture";
    EXPECT_EQ(pixel(surf, box.x + 1, box.y + box.h / 2) & 0xFFFFFFu, 0x00C850u) << "the outline";
    fs::create_directories(fs::current_path() / "render" / "camera");
    EXPECT_EQ(ui::save_png(surf, fs::current_path() / "render" / "camera" / ("maintenance-" + std::to_string(w) + ".png")), "");
    SDL_DestroyRenderer(sr);
    SDL_FreeSurface(surf);
  }
}

TEST_F(shop_render, a_long_product_name_wraps_to_two_lines_in_the_cards_one_font_size) {
  for (const auto& lang : {"en", "fr"})
    for (auto [w, h, dpi] : {std::tuple{1280, 800, 150.0}, std::tuple{1920, 1080, 102.0}, std::tuple{1080, 1920, 102.0}}) {
      auto s = shop_testing::state_on(shop::screen::menu);
      s.language = lang;
      s.category_id = "hot";
      const auto tr = load(lang);
      const auto l = ui::make_layout(w, h, dpi);
      const auto v = shop::build_view(s, l, ui::normal_theme(), tr, *fonts_, 0);
      const ui::target* card = v.scene.find("product:p-chocolate");
      ASSERT_NE(card, nullptr);
      std::vector<const ui::text_item*> name;
      std::set<int> sizes;
      for (const auto& t : v.scene.texts)
        if (t.box.inside(card->r) && t.bold) {
          name.push_back(&t);
          sizes.insert(t.size);
        }
      ASSERT_FALSE(name.empty());
      EXPECT_LE(name.size(), 2u);
      ASSERT_EQ(sizes.size(), 1u) << "one size on the card";
      EXPECT_EQ(*sizes.begin(), l.font_body) << "the card's size, not a shrunk one";
      for (const auto* t : name) {
        EXPECT_LE(fonts_->width(t->utf8, t->size, true), t->box.w) << t->utf8;
      }
      // A short name beside it has the same size.
      const ui::target* latte = v.scene.find("product:p-latte");
      ASSERT_NE(latte, nullptr);
      for (const auto& t : v.scene.texts)
        if (t.box.inside(latte->r) && t.bold) {
          EXPECT_EQ(t.size, l.font_body) << t.utf8;
        }
    }
}

// The renderer holds pictures within its byte budget: pictures handed over for another screen
// wait only while there is room, the least recently drawn ones off the screen go first, and one
// that is wanted on screen again draws its placeholder, is asked for once, and is drawn again
// once handed back. A picture on the screen is never dropped.
TEST_F(shop_render, pictures_stay_within_the_budget_and_a_dropped_one_is_asked_for_when_shown_again) {
  SDL_Surface* out = SDL_CreateRGBSurfaceWithFormat(0, 400, 100, 32, SDL_PIXELFORMAT_ARGB8888);
  SDL_Renderer* sr = SDL_CreateSoftwareRenderer(out);
  auto tile = [](std::uint32_t argb) {
    SDL_Surface* p = SDL_CreateRGBSurfaceWithFormat(0, 64, 64, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_FillRect(p, nullptr, argb);
    return ui::surface_ptr(p);
  };
  const std::map<std::string, std::uint32_t> colour{
      {"a", 0xFF0000u}, {"b", 0x00FF00u}, {"c", 0x0000FFu}, {"d", 0xFFFF00u}};
  const std::size_t one = 64 * 64 * 4;
  auto screen = [](std::vector<std::string> keys) {
    ui::scene s;
    s.background = {0, 0, 0, 255};
    int x = 0;
    for (auto& k : keys) {
      s.images.push_back({{x, 0, 90, 90}, k, "", {0x20, 0x20, 0x20, 255}, {255, 255, 255, 255}});
      x += 100;
    }
    return s;
  };
  auto at = [&](int x) { return pixel(out, x + 45, 45) & 0xFFFFFFu; };
  {
    ui::renderer rd(sr, *fonts_);
    rd.set_image_budget(3 * one);
    auto give = [&](const std::string& k) { rd.set_image(k, tile(0xFF000000u | colour.at(k))); };
    give("a");
    give("b");
    rd.draw(screen({"a", "b"}));
    EXPECT_EQ(at(0), colour.at("a"));
    EXPECT_EQ(at(100), colour.at("b"));
    give("c");
    give("d");  // four pictures, room for three; a and b are on screen
    EXPECT_LE(rd.image_bytes(), 3 * one);
    EXPECT_TRUE(rd.has_image("a") && rd.has_image("b")) << "the screen's pictures stay";
    ASSERT_NE(rd.has_image("c"), rd.has_image("d")) << "one of the waiting ones had to go";
    const std::string gone = rd.has_image("c") ? "d" : "c", kept = gone == "c" ? "d" : "c";
    rd.draw(screen({"c", "d", "b"}));
    EXPECT_EQ(at(gone == "c" ? 0 : 100), 0x202020u) << "the placeholder while it comes back";
    EXPECT_EQ(at(kept == "c" ? 0 : 100), colour.at(kept));
    EXPECT_EQ(rd.take_wanted_images(), std::vector<std::string>{gone});
    rd.draw(screen({"c", "d", "b"}));
    EXPECT_TRUE(rd.take_wanted_images().empty()) << "asked for once";
    give(gone);  // handed back: a, off the screen and drawn least recently, makes room
    EXPECT_FALSE(rd.has_image("a"));
    EXPECT_LE(rd.image_bytes(), 3 * one);
    rd.draw(screen({"c", "d", "b"}));
    EXPECT_EQ(at(0), colour.at("c"));
    EXPECT_EQ(at(100), colour.at("d"));
    EXPECT_EQ(at(200), colour.at("b"));
    EXPECT_TRUE(rd.take_wanted_images().empty()) << "a is not on screen: nobody needs it yet";
    rd.draw(screen({"a"}));
    EXPECT_EQ(at(0), 0x202020u);
    EXPECT_EQ(rd.take_wanted_images(), std::vector<std::string>{"a"});
    give("a");
    rd.draw(screen({"a"}));
    EXPECT_EQ(at(0), colour.at("a")) << "handed back, drawn again";
    EXPECT_LE(rd.image_bytes(), 3 * one);
  }
  {
    // A picture larger than the whole budget never fits: it is asked for once when shown, and
    // when handed back (and dropped again) not on every frame after that.
    ui::renderer rd(sr, *fonts_);
    rd.set_image_budget(one);
    SDL_Surface* big = SDL_CreateRGBSurfaceWithFormat(0, 128, 128, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_FillRect(big, nullptr, 0xFFFF0000u);
    rd.set_image("big", ui::surface_ptr(big));
    EXPECT_FALSE(rd.has_image("big"));
    EXPECT_EQ(rd.image_bytes(), 0u);
    rd.draw(screen({"big"}));
    EXPECT_EQ(at(0), 0x202020u);
    EXPECT_EQ(rd.take_wanted_images(), std::vector<std::string>{"big"});
    SDL_Surface* again = SDL_CreateRGBSurfaceWithFormat(0, 128, 128, 32, SDL_PIXELFORMAT_ARGB8888);
    rd.set_image("big", ui::surface_ptr(again));
    for (int i = 0; i < 3; ++i) {
      rd.draw(screen({"big"}));
      EXPECT_TRUE(rd.take_wanted_images().empty()) << "frame " << i << ": no reload loop";
    }
  }
  SDL_DestroyRenderer(sr);
  SDL_FreeSurface(out);
}
