#include "kh/kiosk/ui/draw.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>
#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

namespace kh::kiosk::ui {

namespace {
constexpr std::size_t k_text_cache = 600;  // distinct strings on screen at once, with slack
}

sdl_context::sdl_context() {
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0)
    throw std::runtime_error(std::string("SDL_Init: ") + SDL_GetError());
  if (TTF_Init() != 0) {
    SDL_Quit();
    throw std::runtime_error(std::string("TTF_Init: ") + TTF_GetError());
  }
  IMG_Init(IMG_INIT_PNG | IMG_INIT_JPG);
}

sdl_context::~sdl_context() {
  IMG_Quit();
  TTF_Quit();
  SDL_Quit();
}

fonts::fonts(font_files files) : files_(std::move(files)) {
  for (const auto& p : {files_.regular, files_.bold})
    if (!std::filesystem::exists(p)) throw std::runtime_error("font not found: " + p.string());
}

fonts::~fonts() {
  for (auto& [k, f] : open_) TTF_CloseFont(f);
}

TTF_Font* fonts::get(int size, bool bold) {
  size = std::max(size, 6);
  auto key = std::make_pair(size, bold);
  auto it = open_.find(key);
  if (it != open_.end()) return it->second;
  TTF_Font* f = TTF_OpenFont((bold ? files_.bold : files_.regular).c_str(), size);
  if (f == nullptr) throw std::runtime_error(std::string("TTF_OpenFont: ") + TTF_GetError());
  open_[key] = f;
  return f;
}

int fonts::width(std::string_view utf8, int size, bool bold) {
  // Views measure the same strings every frame (fitting, grids): keep the answers, bounded.
  std::string key;
  key.reserve(utf8.size() + 8);
  key += std::to_string(size);
  key += bold ? 'b' : 'r';
  key += utf8;
  if (auto it = widths_.find(key); it != widths_.end()) return it->second;
  int w = 0, h = 0;
  const std::string s(utf8);
  if (TTF_SizeUTF8(get(size, bold), s.c_str(), &w, &h) != 0) return 1 << 20;
  if (widths_.size() >= k_max_widths) widths_.clear();
  widths_.emplace(std::move(key), w);
  return w;
}

int fonts::line_height(int size) { return TTF_FontLineSkip(get(size, false)); }

void surface_deleter::operator()(SDL_Surface* s) const noexcept { SDL_FreeSurface(s); }

renderer::renderer(SDL_Renderer* r, fonts& f) : r_(r), fonts_(f) { blend(true); }

void renderer::blend(bool on) {
  // An opaque fill with blending on costs a multiply per pixel in SDL's software renderer; with
  // it off the fill is a memset (a 1920×1080 box: ~10 ms vs ~0.5 ms on this machine kind).
  const int want = on ? SDL_BLENDMODE_BLEND : SDL_BLENDMODE_NONE;
  if (want == blend_) return;
  SDL_SetRenderDrawBlendMode(r_, static_cast<SDL_BlendMode>(want));
  blend_ = want;
}

void renderer::fill_rect(const rect& r, color c) {
  if (c.a == 0 || r.w <= 0 || r.h <= 0) return;
  if (r.x >= out_w_ || r.y >= out_h_ || r.x + r.w <= 0 || r.y + r.h <= 0) return;
  blend(c.a != 255);
  SDL_SetRenderDrawColor(r_, c.r, c.g, c.b, c.a);
  SDL_Rect rr{r.x, r.y, r.w, r.h};
  SDL_RenderFillRect(r_, &rr);
}

bool renderer::draw_if_changed(const scene& s) {
  if (have_last_ && pending_images_.empty() && s == last_) {
    ++skipped_;
    return false;
  }
  draw(s);
  last_ = s;
  have_last_ = true;
  ++drawn_;
  return true;
}

renderer::~renderer() {
  for (auto* m : {&text_cache_, &qr_cache_, &images_})
    for (auto& [k, t] : *m) SDL_DestroyTexture(t.t);
}

void renderer::set_image(const std::string& key, surface_ptr image) {
  if (!image) return;
  auto& slot = pending_images_[key];
  if (slot) pending_bytes_ -= bytes_of(slot->w, slot->h);
  pending_bytes_ += bytes_of(image->w, image->h);
  slot = std::move(image);
  trim_images();
}

void renderer::set_image_budget(std::size_t bytes) {
  image_budget_ = bytes;
  trim_images();
}

std::vector<std::string> renderer::take_wanted_images() { return std::exchange(wanted_, {}); }

void renderer::trim_images() {
  if (resident_bytes_ + pending_bytes_ <= image_budget_) return;
  // Least recently drawn textures first; never one drawn in the current frame.
  std::vector<std::pair<std::uint64_t, std::string>> order;
  order.reserve(images_.size());
  for (const auto& [k, t] : images_)
    if (t.used < frame_ || frame_ == 0) order.emplace_back(t.used, k);
  std::sort(order.begin(), order.end());
  for (const auto& [used, k] : order) {
    if (resident_bytes_ + pending_bytes_ <= image_budget_) return;
    auto it = images_.find(k);
    resident_bytes_ -= bytes_of(it->second.w, it->second.h);
    SDL_DestroyTexture(it->second.t);
    images_.erase(it);
    dropped_.emplace(k, false);
  }
  // Still over: surfaces waiting for the next frame are dropped too (wanted again when shown).
  for (auto it = pending_images_.begin(); it != pending_images_.end() && resident_bytes_ + pending_bytes_ > image_budget_;) {
    pending_bytes_ -= bytes_of(it->second->w, it->second->h);
    dropped_.emplace(it->first, false);
    it = pending_images_.erase(it);
  }
}

renderer::tex renderer::text_texture(const text_item& t, bool opaque) {
  // Key: text, then size, weight and colour as raw bytes (no formatting per lookup).
  std::string& key = key_;
  key.assign(t.utf8);
  key += '\x1f';
  const char tail[] = {static_cast<char>(t.size & 0xff), static_cast<char>((t.size >> 8) & 0xff),
                       t.bold ? 'b' : 'r', static_cast<char>(t.fg.r), static_cast<char>(t.fg.g),
                       static_cast<char>(t.fg.b), opaque ? 'o' : 'a',
                       static_cast<char>(opaque ? t.bg.r : 0), static_cast<char>(opaque ? t.bg.g : 0),
                       static_cast<char>(opaque ? t.bg.b : 0)};
  key.append(tail, sizeof tail);
  auto it = text_cache_.find(key);
  if (it != text_cache_.end()) {
    auto pos = text_pos_.find(key);
    if (pos->second != text_lru_.begin()) text_lru_.splice(text_lru_.begin(), text_lru_, pos->second);
    return it->second;
  }
  SDL_Color c{t.fg.r, t.fg.g, t.fg.b, 255};
  SDL_Surface* s = TTF_RenderUTF8_Blended(fonts_.get(t.size, t.bold), t.utf8.c_str(), c);
  tex out;
  if (s != nullptr && opaque) {
    // Blend the glyphs onto their background once, here, instead of per pixel every frame (a
    // board's 40 numbers at 124 px are 1.7 million blended pixels a frame in software).
    SDL_Surface* o = SDL_CreateRGBSurfaceWithFormat(0, s->w, s->h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (o != nullptr) {
      SDL_FillRect(o, nullptr, SDL_MapRGBA(o->format, t.bg.r, t.bg.g, t.bg.b, 255));
      SDL_SetSurfaceBlendMode(s, SDL_BLENDMODE_BLEND);
      SDL_BlitSurface(s, nullptr, o, nullptr);
      SDL_FreeSurface(s);
      s = o;
    }
  }
  if (s != nullptr) {
    out.t = SDL_CreateTextureFromSurface(r_, s);
    if (out.t != nullptr && opaque) SDL_SetTextureBlendMode(out.t, SDL_BLENDMODE_NONE);
    out.w = s->w;
    out.h = s->h;
    SDL_FreeSurface(s);
  }
  if (text_cache_.size() >= k_text_cache) {  // evict the least recently drawn
    const std::string old = text_lru_.back();
    text_lru_.pop_back();
    SDL_DestroyTexture(text_cache_[old].t);
    text_cache_.erase(old);
    text_pos_.erase(old);
  }
  text_lru_.push_front(key);
  text_pos_[key] = text_lru_.begin();
  text_cache_[key] = out;
  return out;
}

renderer::tex renderer::qr_texture(const std::string& text) {
  auto it = qr_cache_.find(text);
  if (it != qr_cache_.end()) return it->second;
  tex out;
  try {
    const auto m = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
                       .setMargin(0)
                       .setEccLevel(2)
                       .encode(text, 0, 0);
    const int n = m.width(), quiet = 4;
    SDL_Surface* s = SDL_CreateRGBSurfaceWithFormat(0, n + 2 * quiet, m.height() + 2 * quiet, 32,
                                                    SDL_PIXELFORMAT_ARGB8888);
    if (s != nullptr) {
      SDL_FillRect(s, nullptr, SDL_MapRGB(s->format, 255, 255, 255));
      for (int y = 0; y < m.height(); ++y)
        for (int x = 0; x < n; ++x)
          if (m.get(x, y)) {
            SDL_Rect px{x + quiet, y + quiet, 1, 1};
            SDL_FillRect(s, &px, SDL_MapRGB(s->format, 0, 0, 0));
          }
      out.t = SDL_CreateTextureFromSurface(r_, s);
      out.w = s->w;
      out.h = s->h;
      SDL_FreeSurface(s);
    }
  } catch (const std::exception&) {
    // Text the writer cannot encode: no QR (the caption still says what to do).
  }
  if (qr_cache_.size() > 16) {
    for (auto& [k, t] : qr_cache_) SDL_DestroyTexture(t.t);
    qr_cache_.clear();
  }
  qr_cache_[text] = out;
  return out;
}

bool renderer::solid_under(const scene& s, const rect& d, color bg) const {
  // What the layers below texts (background, boxes, images, QR codes) put at `d` must be one
  // opaque colour equal to `bg`; anything else (a picture, a translucent or different box, an
  // outline crossing it) keeps the blended path.
  if (bg.a != 255) return false;
  for (const auto& im : s.images)
    if (im.r.overlaps(d)) return false;
  for (const auto& q : s.qrs)
    if (q.r.overlaps(d)) return false;
  for (auto it = s.boxes.rbegin(); it != s.boxes.rend(); ++it) {
    const box_item& b = *it;
    if (!b.r.overlaps(d)) continue;
    if (b.outline.a != 0 && b.outline_px > 0) {
      const int t = b.outline_px;
      const rect inner{b.r.x + t, b.r.y + t, b.r.w - 2 * t, b.r.h - 2 * t};
      if (!d.inside(inner)) return false;  // the outline crosses the text
    }
    if (b.fill.a == 0) continue;  // an outline only, not under the text
    return b.fill.a == 255 && b.fill.r == bg.r && b.fill.g == bg.g && b.fill.b == bg.b && d.inside(b.r);
  }
  return s.background.r == bg.r && s.background.g == bg.g && s.background.b == bg.b;
}

void renderer::draw(const scene& s) {
  ++frame_;
  for (auto& [key, surf] : pending_images_) {
    SDL_Texture* t = SDL_CreateTextureFromSurface(r_, surf.get());
    if (t == nullptr) continue;
    auto& slot = images_[key];
    if (slot.t != nullptr) {
      SDL_DestroyTexture(slot.t);
      resident_bytes_ -= bytes_of(slot.w, slot.h);
    }
    slot = tex{t, surf->w, surf->h, 0};  // "used" once drawn
    resident_bytes_ += bytes_of(surf->w, surf->h);
  }
  pending_images_.clear();
  pending_bytes_ = 0;

  SDL_GetRendererOutputSize(r_, &out_w_, &out_h_);
  const rect screen{0, 0, out_w_, out_h_};
  auto set = [&](color c) { SDL_SetRenderDrawColor(r_, c.r, c.g, c.b, c.a); };
  blend(false);
  set(s.background);
  SDL_RenderClear(r_);
  auto fill = [&](const box_item& b) {
    fill_rect(b.r, b.fill);
    if (b.outline.a && b.outline_px > 0) {
      // Four bands instead of outline_px nested one-pixel rectangles.
      const int t = std::min({b.outline_px, b.r.w / 2 + 1, b.r.h / 2 + 1});
      fill_rect({b.r.x, b.r.y, b.r.w, t}, b.outline);
      fill_rect({b.r.x, b.r.y + b.r.h - t, b.r.w, t}, b.outline);
      fill_rect({b.r.x, b.r.y + t, t, b.r.h - 2 * t}, b.outline);
      fill_rect({b.r.x + b.r.w - t, b.r.y + t, t, b.r.h - 2 * t}, b.outline);
    }
  };
  for (const auto& b : s.boxes) fill(b);
  for (const auto& im : s.images) {
    if (!im.r.overlaps(screen)) continue;
    auto it = images_.find(im.key);
    SDL_Rect dst{im.r.x, im.r.y, im.r.w, im.r.h};
    if (it == images_.end()) {
      // A picture dropped for the budget is on screen again: ask for it (once).
      if (auto d = dropped_.find(im.key); d != dropped_.end() && !d->second) {
        d->second = true;
        wanted_.push_back(im.key);
      }
    }
    if (it != images_.end() && it->second.t != nullptr) {
      it->second.used = frame_;
      // Drawn: if it is dropped later it may be asked for again. A picture that is dropped again
      // before it was ever drawn (the screen's pictures alone fill the budget, or one is larger
      // than all of it) is not asked for again: that would reload it on every frame.
      if (!dropped_.empty()) dropped_.erase(im.key);
      // Cover the tile, cropping the image's longer side (no distortion).
      const double sx = static_cast<double>(im.r.w) / it->second.w;
      const double sy = static_cast<double>(im.r.h) / it->second.h;
      const double sc = std::max(sx, sy);
      const int cw = static_cast<int>(im.r.w / sc), ch = static_cast<int>(im.r.h / sc);
      SDL_Rect src{(it->second.w - cw) / 2, (it->second.h - ch) / 2, cw, ch};
      SDL_RenderCopy(r_, it->second.t, &src, &dst);
    } else {
      fill_rect(im.r, im.fill);
      if (!im.placeholder.empty()) {
        text_item t{im.r, im.placeholder, std::max(8, im.r.h / 3), true, im.fg, im.fill, align::center};
        const auto tt = text_texture(t);
        if (tt.t) {
          SDL_Rect d{im.r.x + (im.r.w - tt.w) / 2, im.r.y + (im.r.h - tt.h) / 2, tt.w, tt.h};
          SDL_RenderCopy(r_, tt.t, nullptr, &d);
        }
      }
    }
  }
  for (const auto& q : s.qrs) {
    const auto t = qr_texture(q.text);
    if (t.t == nullptr) continue;
    // Whole pixels per module keep the code crisp and scannable.
    const int scale = std::max(1, std::min(q.r.w / t.w, q.r.h / t.h));
    SDL_Rect d{q.r.x + (q.r.w - t.w * scale) / 2, q.r.y + (q.r.h - t.h * scale) / 2, t.w * scale,
               t.h * scale};
    SDL_RenderCopy(r_, t.t, nullptr, &d);
  }
  std::vector<rect> drawn;  // texts so far: a text over another one is blended
  drawn.reserve(s.texts.size());
  for (const auto& t : s.texts) {
    if (!t.box.overlaps(screen)) continue;
    // Where it lands, from the measured width and the font height (the texture's size).
    const int w = fonts_.width(t.utf8, t.size, t.bold);
    const int h = TTF_FontHeight(fonts_.get(t.size, t.bold));
    int dx = t.box.x;
    if (t.how == align::center) dx = t.box.x + (t.box.w - w) / 2;
    if (t.how == align::right) dx = t.box.x + t.box.w - w;
    const rect dest{dx, t.box.y + (t.box.h - h) / 2, w, h};
    bool opaque = solid_under(s, dest, t.bg);
    for (const auto& o : drawn) opaque = opaque && !o.overlaps(dest);
    drawn.push_back(dest);
    const auto tt = text_texture(t, opaque);
    if (tt.t == nullptr) continue;
    int x = t.box.x;
    if (t.how == align::center) x = t.box.x + (t.box.w - tt.w) / 2;
    if (t.how == align::right) x = t.box.x + t.box.w - tt.w;
    SDL_Rect d{x, t.box.y + (t.box.h - tt.h) / 2, tt.w, tt.h};
    SDL_RenderCopy(r_, tt.t, nullptr, &d);
  }
  for (const auto& b : s.overlays) fill(b);
  trim_images();  // pictures off this screen beyond the budget go (drawn ones stay)
}

surface_ptr renderer::read_pixels(int w, int h) {
  SDL_Surface* s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
  if (s == nullptr) return nullptr;
  if (SDL_RenderReadPixels(r_, nullptr, SDL_PIXELFORMAT_ARGB8888, s->pixels, s->pitch) != 0) {
    SDL_FreeSurface(s);
    return nullptr;
  }
  return surface_ptr(s);
}

std::string save_png(SDL_Surface* s, const std::filesystem::path& file) {
  if (s == nullptr) return "no image";
  if (IMG_SavePNG(s, file.c_str()) != 0) return IMG_GetError();
  return {};
}

surface_ptr decode_image(const void* data, std::size_t size) {
  SDL_RWops* rw = SDL_RWFromConstMem(data, static_cast<int>(size));
  if (rw == nullptr) return nullptr;
  SDL_Surface* s = IMG_Load_RW(rw, 1);
  if (s == nullptr) return nullptr;
  SDL_Surface* c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
  SDL_FreeSurface(s);
  return surface_ptr(c);
}

}  // namespace kh::kiosk::ui
