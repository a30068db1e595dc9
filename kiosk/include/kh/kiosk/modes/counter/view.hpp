#pragma once
// The counter's screen: a core counter::state drawn into a ui::scene (lanes of order cards, the
// "all day" strip, the scan/step notice, dialogs for an order, cash and cancel). Pure apart from
// text measuring; four lanes side by side in landscape, 2×2 in portrait.

#include <cstdint>
#include <string>
#include <unordered_map>

#include "kh/kiosk/core/counter.hpp"
#include "kh/kiosk/ui/i18n.hpp"
#include "kh/kiosk/ui/layout.hpp"
#include "kh/kiosk/ui/scene.hpp"
#include "kh/kiosk/ui/theme.hpp"

namespace kh::kiosk::counter {

struct view_result {
  ui::scene scene;
  std::unordered_map<std::string, action> actions;  ///< target id → what a tap does
  std::vector<ui::rect> cards;                      ///< every drawn card (tests: nothing overlaps)
  std::map<lane, int> shown, hidden;                ///< cards drawn per lane / left in "+N more"
  /// How each drawn card shows its age (tests: amber and red differ without colour too).
  struct age_mark {
    ui::rect card;
    age_level age = age_level::fresh;
    int band_px = 0;            ///< border thickness
    bool double_band = false;   ///< red: a second, inner band
  };
  std::vector<age_mark> ages;
  struct age_chip {
    ui::rect r;
    age_level age = age_level::fresh;
    ui::color fill, fg;
  };
  std::vector<age_chip> chips;  ///< the age chips in the card headers
};

view_result build_view(const state& s, const ui::layout& l, const ui::theme& th, const ui::strings& tr,
                       ui::text_measurer& m, std::int64_t now_ms);

}  // namespace kh::kiosk::counter
