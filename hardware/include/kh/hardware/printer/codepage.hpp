#pragma once
// UTF-8 → printer code page transcoding (and back, for the renderer).
#include <cstdint>
#include <string>
#include <string_view>

namespace kh::hardware::printer {

/// Code pages the encoder can select. Values are the ESC t n numbers (Epson).
enum class code_page : std::uint8_t {
  cp437 = 0,   ///< PC437 USA / Standard Europe
  cp858 = 19,  ///< PC858 Euro (CP850 with € at 0xD5)
};

/// Transcodes UTF-8 to single bytes of `cp`. ASCII 0x20..0x7E passes through; characters the code
/// page lacks, control characters and malformed UTF-8 become '?'. Newlines are not kept: callers
/// lay out lines themselves.
std::string transcode_utf8(std::string_view utf8, code_page cp);

/// The Unicode code point byte `b` prints as in `cp` (0x20..0x7E are ASCII; 0x00..0x1F → 0).
char32_t code_page_to_unicode(std::uint8_t b, code_page cp) noexcept;

/// Decodes one UTF-8 sequence at `s[i]`, advancing `i`; malformed input yields U+FFFD and advances
/// by one byte.
char32_t next_utf8(std::string_view s, std::size_t& i) noexcept;

/// Number of code points in `utf8` (malformed bytes count one each): its printed width in columns.
std::size_t utf8_columns(std::string_view utf8) noexcept;

}  // namespace kh::hardware::printer
