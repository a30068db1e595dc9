#pragma once
// A drawn frame as plain data: boxes, text, images, QR codes and the touch targets on top. Views
// (one per mode) build a scene from their state; the renderer draws it with SDL; tests and the
// control socket read it (targets with id, label and rectangle). Pure: text is measured through
// an interface so views can fit text without knowing about SDL_ttf.

#include <string>
#include <string_view>
#include <vector>

#include "kh/kiosk/ui/theme.hpp"

namespace kh::kiosk::ui {

enum class align { left, center, right };

/// Measures UTF-8 text in pixels for a font size (px) and weight.
class text_measurer {
 public:
  virtual ~text_measurer() = default;
  virtual int width(std::string_view utf8, int size, bool bold) = 0;
  virtual int line_height(int size) = 0;
};

struct box_item {
  rect r;
  color fill;
  color outline{0, 0, 0, 0};  ///< alpha 0: none
  int outline_px = 0;
  friend bool operator==(const box_item&, const box_item&) = default;
};
struct text_item {
  rect box;  ///< the text is laid out inside this box (vertically centred)
  std::string utf8;
  int size = 0;
  bool bold = false;
  color fg, bg;  ///< bg: what is drawn under the text (for contrast checks)
  align how = align::left;
  friend bool operator==(const text_item&, const text_item&) = default;
};
struct image_item {
  rect r;
  std::string key;          ///< image cache key (product id); placeholder until loaded
  std::string placeholder;  ///< initials drawn on the placeholder tile
  color fill, fg;
  friend bool operator==(const image_item&, const image_item&) = default;
};
struct qr_item {
  rect r;
  std::string text;
  friend bool operator==(const qr_item&, const qr_item&) = default;
};

/// Something a finger can press. `id` is stable across frames ("product:p-latte").
struct target {
  std::string id;
  std::string label;
  rect r;
  bool enabled = true;
  friend bool operator==(const target&, const target&) = default;
};

struct scene {
  color background;
  std::vector<box_item> boxes;  ///< drawn first, in order
  std::vector<image_item> images;
  std::vector<qr_item> qrs;
  std::vector<text_item> texts;  ///< drawn last
  std::vector<target> targets;
  std::vector<box_item> overlays;  ///< press feedback, drawn over everything

  const target* find(std::string_view id) const;
  /// Topmost enabled target at a point (the last added wins), or nullptr.
  const target* hit(int x, int y) const;
  /// Same pixels and targets (the renderer skips a frame equal to the last one it drew).
  friend bool operator==(const scene&, const scene&) = default;
};

/// Builder helpers shared by every view. They fit text into its box: shrink down to 75 % of the
/// size, then wrap on spaces (when the box is tall enough), then cut with "…" — so no text is
/// ever drawn outside its box.
class painter {
 public:
  painter(scene& s, text_measurer& m) : s_(s), m_(m) {}
  void box(rect r, color fill, color outline = {0, 0, 0, 0}, int outline_px = 0);
  /// One text in a box; returns the size actually used.
  int text(rect box, std::string_view utf8, int size, color fg, color bg, align a = align::left,
           bool bold = false);
  /// Wrapped text (as many lines as fit, the last cut with "…"); returns the height used.
  int paragraph(rect box, std::string_view utf8, int size, color fg, color bg, bool bold = false);
  /// A button: box, centred label, target.
  void button(rect r, std::string id, std::string_view label, int size, color fill, color fg,
              bool enabled = true, bool bold = true, color outline = {0, 0, 0, 0});
  void add_target(rect r, std::string id, std::string label, bool enabled = true);
  text_measurer& measurer() { return m_; }
  scene& out() { return s_; }

 private:
  scene& s_;
  text_measurer& m_;
};

}  // namespace kh::kiosk::ui
