#pragma once
// Demo product pictures made without the internet: an emoji glyph from Debian's
// fonts-noto-color-emoji (colour bitmaps read with FreeType) centred on a rounded card in the
// product's colour, encoded as PNG. Without the font (or FreeType cannot read it) the card gets a
// drawn plate instead, so seeding never fails.

#include <cstdint>
#include <string>

namespace kh::hub {

/// Default location of Debian's Noto Color Emoji font.
inline constexpr const char* emoji_font_path = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";

struct card_style {
  std::uint32_t background = 0xF4E1C1;  ///< 0xRRGGBB
  int size = 256;                       ///< square edge in pixels (64–1024)
};

/// A PNG of `emoji` (one code point, UTF-8, e.g. "\u2615") on a card; `font` defaults to
/// emoji_font_path. Never throws for a missing font: falls back to a plain drawn card.
std::string draw_product_card(const std::string& emoji, card_style style = {},
                              const std::string& font = emoji_font_path);

/// True when `font` loads as a colour-bitmap font (what draw_product_card uses).
bool emoji_font_available(const std::string& font = emoji_font_path);

}  // namespace kh::hub
