#pragma once
// A strict JSON reader that builds the same nlohmann::json tree as
// nlohmann::json::parse(begin, end, nullptr, /*allow_exceptions=*/false), at a fraction of the
// cost (nlohmann's lexer reads through an input adapter a byte at a time and keeps a copy of
// every token for its error messages; that was a tenth of the hub's instructions per order).
//
// Accepted: a JSON text per RFC 8259, exactly as nlohmann 3.11's strict parse accepts it:
//  - any value at the top level; whitespace is space, tab, LF and CR only; empty input is invalid;
//  - one UTF-8 byte order mark (EF BB BF) at the very start is skipped, as nlohmann does;
//  - after the top-level value and its whitespace, the text must end, or reach a NUL byte: nlohmann
//    reads a NUL there as the end of input, so "{}\0anything" is accepted as {} (the rest is
//    never looked at). A NUL anywhere else is invalid;
//  - strings: no raw byte below 0x20; escapes \" \\ \/ \b \f \n \r \t and \uXXXX (hex in either
//    case), a high surrogate only when immediately followed by an escaped low surrogate, no lone
//    half; \u0000 gives a NUL byte in the string; raw bytes must be well-formed UTF-8 (no
//    overlong forms, no encoded surrogates, nothing above U+10FFFF, no truncated sequences);
//  - numbers: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. Without fraction or exponent a
//    negative number is number_integer (int64) and any other number_unsigned (uint64), each when
//    it fits ("-0" is the integer 0); otherwise number_float, correctly rounded as strtod rounds.
//    A float whose magnitude rounds to infinity (1e400) is invalid; one that underflows is ±0.0
//    or a subnormal, as strtod gives it;
//  - objects keep their members sorted (nlohmann's std::map), whatever the order in the text.
//
// It differs from nlohmann in exactly two ways:
//  - a key repeated within one object gives duplicate_key (nlohmann keeps the last value), naming
//    the first key, in document order, that repeats within its object: the verdict is given as
//    soon as the repeated key's closing quote is read, before its value;
//  - nesting deeper than max_depth (arrays and objects together; a top-level object or array is
//    depth 1) gives too_deep, as soon as the bracket that opens the level beyond max_depth is
//    read. The reader recurses once per level, so max_depth also bounds its stack use.
// The verdict is that of the first problem met reading left to right: "{"a":1,"a":2,}" is
// duplicate_key, "{"a":1,}"a":2}" is invalid, "[[[x" with max_depth 2 is too_deep.

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace kh::protocol {

struct json_read_result {
  enum class status { ok, invalid, duplicate_key, too_deep };
  status st = status::invalid;
  nlohmann::json value;   ///< the document when ok, null otherwise
  std::string duplicate;  ///< the repeated key, decoded (UTF-8; \u0000 gives NUL), when duplicate_key
};

/// Reads one JSON text (see above). Never throws apart from std::bad_alloc.
json_read_result read_json(std::string_view text, std::size_t max_depth);

}  // namespace kh::protocol
