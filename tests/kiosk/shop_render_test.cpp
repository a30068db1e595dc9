// Shop drawing details the screen-by-screen render test does not look at: the maintenance camera
// view (the preview picture with the scanner's detections outlined and their text listed) and the
// menu's product names (one font size, two lines at most, never shrunk).

#include <gtest/gtest.h>

#include <filesystem>
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
