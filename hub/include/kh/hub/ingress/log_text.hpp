#pragma once
// Device strings in log lines. Anything a device sends (topics, firmware, names, notes, error
// texts that quote them) goes through `log_escape` before it reaches a log line, so a newline
// cannot forge a line, a NUL cannot make the log binary and an ESC cannot drive the terminal.

#include <cstddef>
#include <string>
#include <string_view>

namespace kh::hub {

/// Printable ASCII and valid non-control UTF-8 as is; `\` as `\\`; C0/C1 controls, DEL, U+2028/9
/// and bidi overrides/isolates as `\xNN` / `\u{XXXX}`; bytes of invalid UTF-8 as `\xNN`. Cut to
/// `max_bytes` of input (default 256) with a trailing "…(N bytes)" note.
std::string log_escape(std::string_view s, std::size_t max_bytes = 256);

}  // namespace kh::hub
