#pragma once
// Drawing a scene with SDL2 (+ SDL2_ttf for text, SDL2_image for PNG, ZXing for QR codes). All of
// it runs on the render thread and never waits on I/O: images arrive already decoded (set_image),
// text and QR textures are cached.

#include <cstdint>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "kh/kiosk/ui/scene.hpp"

struct SDL_Renderer;
struct SDL_Surface;
struct SDL_Texture;
typedef struct _TTF_Font TTF_Font;

namespace kh::kiosk::ui {

/// SDL_Init(VIDEO) + TTF_Init + IMG_Init, undone in reverse. Throws std::runtime_error with SDL's
/// message when the video driver cannot start (bad configuration).
class sdl_context {
 public:
  sdl_context();
  ~sdl_context();
  sdl_context(const sdl_context&) = delete;
  sdl_context& operator=(const sdl_context&) = delete;
};

/// The Debian fonts the kiosk draws with (default: DejaVu Sans and DejaVu Sans Bold, which cover
/// Latin, Greek and Cyrillic with € and every French accent).
struct font_files {
  std::filesystem::path regular = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  std::filesystem::path bold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
};

/// Opened TTF fonts by size and weight (needs TTF_Init: an sdl_context).
class fonts final : public text_measurer {
 public:
  /// Throws std::runtime_error naming the file when a font cannot be opened.
  explicit fonts(font_files files = {});
  ~fonts() override;
  fonts(const fonts&) = delete;
  fonts& operator=(const fonts&) = delete;
  TTF_Font* get(int size, bool bold);
  int width(std::string_view utf8, int size, bool bold) override;
  int line_height(int size) override;

 private:
  static constexpr std::size_t k_max_widths = 16384;  ///< measured widths kept (then forgotten)
  font_files files_;
  std::map<std::pair<int, bool>, TTF_Font*> open_;
  std::unordered_map<std::string, int> widths_;
};

/// Owns an ARGB8888 SDL surface (freed with SDL_FreeSurface).
struct surface_deleter {
  void operator()(SDL_Surface* s) const noexcept;
};
using surface_ptr = std::unique_ptr<SDL_Surface, surface_deleter>;

class renderer {
 public:
  renderer(SDL_Renderer* r, fonts& f);
  ~renderer();
  renderer(const renderer&) = delete;
  renderer& operator=(const renderer&) = delete;

  /// Clears and draws the scene (does not present). Opaque boxes are plain fills (no per-pixel
  /// blending), items wholly outside the output are skipped, text comes from a bounded texture
  /// cache keyed by (text, size, weight, colour).
  void draw(const scene& s);
  /// Draws the scene unless it equals the last one drawn by this call and no image arrived since
  /// (then what is on the output is already right: the caller need not present again). Returns
  /// whether it drew. After invalidate() (window exposed, resized, output lost) it always draws.
  bool draw_if_changed(const scene& s);
  void invalidate() noexcept { have_last_ = false; }
  /// Frames draw_if_changed skipped / drew (tests, the control socket).
  std::uint64_t skipped_frames() const noexcept { return skipped_; }
  std::uint64_t drawn_frames() const noexcept { return drawn_; }
  /// Hands a decoded image over (render thread only); replaces an older one with the same key.
  /// Pictures are bounded by bytes (set_image_budget): past it, the least recently drawn ones not
  /// on the current screen are dropped, and one that is wanted on screen again shows its
  /// placeholder and is listed by take_wanted_images() for the caller to hand over again.
  void set_image(const std::string& key, surface_ptr image);
  bool has_image(const std::string& key) const { return images_.count(key) != 0 || pending_images_.count(key) != 0; }
  /// Bytes of pictures held at most (textures and surfaces waiting; default 40 MiB).
  void set_image_budget(std::size_t bytes);
  std::size_t image_bytes() const noexcept { return resident_bytes_ + pending_bytes_; }
  /// Keys of dropped pictures that a drawn scene showed (each once until it has been drawn again).
  std::vector<std::string> take_wanted_images();
  /// Reads back what was drawn as an ARGB8888 surface (null on failure).
  surface_ptr read_pixels(int w, int h);
  /// Textures in the text cache (for tests of the bound).
  std::size_t cached_texts() const noexcept { return text_cache_.size(); }

 private:
  struct tex {
    SDL_Texture* t = nullptr;
    int w = 0, h = 0;
    std::uint64_t used = 0;  // frame it was last drawn in (pictures)
  };
  static std::size_t bytes_of(int w, int h) { return static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 4; }
  void trim_images();
  /// `opaque`: the text pre-composited onto its `bg` (drawn as a plain copy, no blending); only
  /// when the renderer checked that `bg` is exactly what lies under it.
  tex text_texture(const text_item& t, bool opaque = false);
  bool solid_under(const scene& s, const rect& d, color bg) const;
  tex qr_texture(const std::string& text);
  void fill_rect(const rect& r, color c);
  void blend(bool on);
  SDL_Renderer* r_;
  int blend_ = -1;  // SDL blend mode last set for fills (-1: unknown)
  int out_w_ = 0, out_h_ = 0;
  scene last_;
  bool have_last_ = false;
  std::uint64_t skipped_ = 0, drawn_ = 0;
  std::string key_;  // reused text-cache key buffer
  fonts& fonts_;
  std::unordered_map<std::string, tex> text_cache_;
  std::list<std::string> text_lru_;
  std::unordered_map<std::string, std::list<std::string>::iterator> text_pos_;
  std::unordered_map<std::string, tex> qr_cache_;
  std::unordered_map<std::string, tex> images_;
  std::unordered_map<std::string, surface_ptr> pending_images_;
  std::size_t image_budget_ = std::size_t{40} << 20;
  std::size_t resident_bytes_ = 0, pending_bytes_ = 0;
  std::uint64_t frame_ = 0;
  std::unordered_map<std::string, bool> dropped_;  // key -> already listed as wanted
  std::vector<std::string> wanted_;
};

/// Writes a surface as PNG (IMG_SavePNG). Takes ~40 ms at 1280×800: call it off the render
/// thread. Returns SDL's error message, empty on success.
std::string save_png(SDL_Surface* s, const std::filesystem::path& file);
/// Loads PNG/JPEG from memory into an ARGB8888 surface (null when it does not decode).
surface_ptr decode_image(const void* data, std::size_t size);

}  // namespace kh::kiosk::ui
