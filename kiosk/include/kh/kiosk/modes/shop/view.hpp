#pragma once
// The shop mode's screens: a core shop::state drawn into a ui::scene for a layout, theme and
// language. Pure apart from text measuring; the same code serves every resolution.

#include <cstdint>
#include <string>
#include <unordered_map>

#include "kh/kiosk/core/shop.hpp"
#include "kh/kiosk/ui/i18n.hpp"
#include "kh/kiosk/ui/layout.hpp"
#include "kh/kiosk/ui/scene.hpp"
#include "kh/kiosk/ui/theme.hpp"

namespace kh::kiosk::shop {

struct view_result {
  ui::scene scene;
  std::unordered_map<std::string, action> actions;  ///< target id → what a tap does
  int last_page = 0;  ///< highest page the current screen has (the mode clamps state.page)
};

/// Builds the frame for `s` at time `now_ms` (animations: press feedback, cart bar).
view_result build_view(const state& s, const ui::layout& l, const ui::theme& th,
                       const ui::strings& tr, ui::text_measurer& m, std::int64_t now_ms);

/// Whether an animation is running at `now_ms` (the loop then redraws at display rate).
bool animating(const state& s, std::int64_t now_ms);

}  // namespace kh::kiosk::shop
