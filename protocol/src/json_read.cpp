// read_json: one pass of a pointer over the text, building nlohmann's tree in place (objects are
// filled through try_emplace, which both finds a repeated key and gives the slot for the value).
// Each rule here follows nlohmann 3.11's lexer.hpp and parser.hpp; json_read_test.cpp compares the
// two on hand-picked texts and on many mutated ones, so a divergence shows up as a failing test.
#include "kh/protocol/json_read.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <utility>

namespace kh::protocol {
namespace {

using json = nlohmann::json;
using status = json_read_result::status;

// Bytes a string keeps as they are, with nothing more to check: printable ASCII but '"' and '\\'.
// A string without escapes is then one scan and one append.
constexpr std::array<bool, 256> plain_byte = [] {
  std::array<bool, 256> t{};
  for (std::size_t c = 0x20; c < 0x80; ++c) t[c] = c != '"' && c != '\\';
  return t;
}();

unsigned byte_at(const char* p) { return static_cast<unsigned char>(*p); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& s, std::uint32_t cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// For a number from_chars found out of range, which means it rounded to zero or to infinity:
// whether its magnitude is below 1 (so it underflowed). The text matches the JSON grammar and has
// a nonzero digit (zero is never out of range). Magnitude is 10^(lead + exponent) times [1, 10),
// lead being the power of ten of the first nonzero digit as written.
bool below_one(const char* p, const char* end) {
  if (*p == '-') ++p;
  std::int64_t lead = 0;
  if (*p != '0') {
    while (p != end && is_digit(*p)) ++p, ++lead;
    --lead;
  } else {
    ++p;  // "0", then '.' (an integer that is out of range does not start with 0)
    if (p != end && *p == '.') ++p;
    lead = -1;
    while (p != end && *p == '0') ++p, --lead;
  }
  while (p != end && (is_digit(*p) || *p == '.')) ++p;
  std::int64_t exponent = 0;
  bool negative = false;
  if (p != end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (*p == '+' || *p == '-') negative = *p++ == '-';
    // Saturates: past 10^15 only the sign matters, and lead cannot come near it.
    for (; p != end; ++p) {
      if (exponent < 1'000'000'000'000'000) exponent = exponent * 10 + (*p - '0');
    }
  }
  return lead + (negative ? -exponent : exponent) < 0;
}

class reader {
 public:
  reader(std::string_view text, std::size_t max_depth)
      : p_(text.data()), end_(text.data() + text.size()), max_depth_(max_depth) {}

  json_read_result run() {
    json_read_result r;
    if (end_ - p_ >= 3 && std::memcmp(p_, "\xEF\xBB\xBF", 3) == 0) p_ += 3;  // as nlohmann's skip_bom
    skip_whitespace();
    if (value(r.value, 0)) {
      skip_whitespace();
      // nlohmann's lexer takes a NUL byte for the end of input (scan(): case '\0'), so whatever
      // follows one after the top-level value is never read.
      if (p_ == end_ || *p_ == '\0') {
        r.st = status::ok;
        return r;
      }
      st_ = status::invalid;
    }
    r.st = st_;
    r.value = nullptr;
    if (st_ == status::duplicate_key) r.duplicate = std::move(duplicate_);
    return r;
  }

 private:
  bool fail(status s = status::invalid) {
    st_ = s;
    return false;
  }
  bool at(char c) const { return p_ != end_ && *p_ == c; }
  void skip_whitespace() {
    while (p_ != end_ && byte_at(p_) <= ' ' &&
           (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) {
      ++p_;
    }
  }

  // A value starting at p_ into out (a fresh null), depth being that of the enclosing container.
  bool value(json& out, std::size_t depth) {
    if (p_ == end_) return fail();
    switch (*p_) {
      case '{':
        return object(out, depth + 1);
      case '[':
        return array(out, depth + 1);
      case '"':
        ++p_;
        out = json::value_t::string;
        return string(out.get_ref<std::string&>());
      case 't':
        out = true;
        return literal("true");
      case 'f':
        out = false;
        return literal("false");
      case 'n':
        return literal("null");
      case '-':
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9':
        return number(out);
      default:
        return fail();
    }
  }

  // Refused before anything inside is read, so hostile nesting costs one frame per allowed level.
  bool object(json& out, std::size_t depth) {
    if (depth > max_depth_) return fail(status::too_deep);
    ++p_;
    out = json::value_t::object;
    auto& members = out.get_ref<json::object_t&>();
    skip_whitespace();
    if (at('}')) {
      ++p_;
      return true;
    }
    while (true) {
      if (!at('"')) return fail();
      ++p_;
      std::string key;
      if (!string(key)) return false;
      // At the key, as nlohmann's parser reports a key before it reads the ':' and the value: the
      // first repeat in document order, even when it is inside the value of an earlier one.
      const auto [slot, added] = members.try_emplace(std::move(key));
      if (!added) {
        duplicate_ = slot->first;
        return fail(status::duplicate_key);
      }
      skip_whitespace();
      if (!at(':')) return fail();
      ++p_;
      skip_whitespace();
      if (!value(slot->second, depth)) return false;
      skip_whitespace();
      if (at(',')) {
        ++p_;
        skip_whitespace();
        continue;
      }
      if (at('}')) {
        ++p_;
        return true;
      }
      return fail();
    }
  }

  bool array(json& out, std::size_t depth) {
    if (depth > max_depth_) return fail(status::too_deep);
    ++p_;
    out = json::value_t::array;
    auto& items = out.get_ref<json::array_t&>();
    skip_whitespace();
    if (at(']')) {
      ++p_;
      return true;
    }
    while (true) {
      if (!value(items.emplace_back(), depth)) return false;
      skip_whitespace();
      if (at(',')) {
        ++p_;
        skip_whitespace();
        continue;
      }
      if (at(']')) {
        ++p_;
        return true;
      }
      return fail();
    }
  }

  // The rest of a string after its opening quote, decoded onto s. Runs of bytes kept as they are
  // (ASCII and checked UTF-8 sequences) are appended whole, at an escape or the closing quote.
  bool string(std::string& s) {
    const char* run = p_;
    while (true) {
      while (p_ != end_ && plain_byte[byte_at(p_)]) ++p_;
      if (p_ == end_) return fail();
      const unsigned c = byte_at(p_);
      if (c == '"') {
        s.append(run, static_cast<std::size_t>(p_ - run));
        ++p_;
        return true;
      }
      if (c == '\\') {
        s.append(run, static_cast<std::size_t>(p_ - run));
        ++p_;
        if (!escape(s)) return fail();
        run = p_;
      } else if (c >= 0x80) {
        if (!utf8_sequence()) return fail();
      } else {
        return fail();  // a control character: nlohmann wants it escaped
      }
    }
  }

  // After a backslash.
  bool escape(std::string& s) {
    if (p_ == end_) return false;
    switch (*p_++) {
      case '"': s += '"'; return true;
      case '\\': s += '\\'; return true;
      case '/': s += '/'; return true;
      case 'b': s += '\b'; return true;
      case 'f': s += '\f'; return true;
      case 'n': s += '\n'; return true;
      case 'r': s += '\r'; return true;
      case 't': s += '\t'; return true;
      case 'u': break;
      default: return false;
    }
    std::uint32_t cp = 0;
    if (!hex4(cp)) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      // A high surrogate only as the first half of a pair written as two escapes.
      std::uint32_t low = 0;
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
      p_ += 2;
      if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return false;
    }
    append_utf8(s, cp);  // \u0000 too: a NUL in the string, as nlohmann gives it
    return true;
  }

  bool hex4(std::uint32_t& cp) {
    if (end_ - p_ < 4) return false;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = hex_value(p_[i]);
      if (d < 0) return false;
      v = (v << 4) | static_cast<std::uint32_t>(d);
    }
    p_ += 4;
    cp = v;
    return true;
  }

  // A multi-byte UTF-8 sequence at p_ (lead byte >= 0x80), skipped if well-formed. The byte ranges
  // are those of nlohmann's scan_string (RFC 3629's table): no overlong forms (C0, C1, E0 80..9F,
  // F0 80..8F), no surrogates (ED A0..BF), nothing past U+10FFFF (F4 90.., F5..FF).
  bool utf8_sequence() {
    const unsigned lead = byte_at(p_);
    std::size_t tail = 0;  // continuation bytes
    unsigned lo = 0x80;    // the range of the first continuation byte
    unsigned hi = 0xBF;
    if (lead < 0xC2) return false;
    if (lead <= 0xDF) {
      tail = 1;
    } else if (lead <= 0xEF) {
      tail = 2;
      if (lead == 0xE0) lo = 0xA0;
      if (lead == 0xED) hi = 0x9F;
    } else if (lead <= 0xF4) {
      tail = 3;
      if (lead == 0xF0) lo = 0x90;
      if (lead == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end_ - p_) <= tail) return false;
    const unsigned first = byte_at(p_ + 1);
    if (first < lo || first > hi) return false;
    for (std::size_t i = 2; i <= tail; ++i) {
      const unsigned b = byte_at(p_ + i);
      if (b < 0x80 || b > 0xBF) return false;
    }
    p_ += tail + 1;
    return true;
  }

  // At least one digit.
  bool digits() {
    const char* start = p_;
    while (p_ != end_ && is_digit(*p_)) ++p_;
    return p_ != start;
  }

  // The grammar only; what follows (',' or a bracket, whitespace, the end) is the caller's to
  // check, so "01" is the number 0 followed by a stray '1', as in nlohmann's lexer.
  bool number(json& out) {
    const char* const start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (at('0')) {
      ++p_;
    } else if (p_ == end_ || *p_ < '1' || *p_ > '9' || !digits()) {
      return fail();
    }
    bool integral = true;
    if (at('.')) {
      ++p_;
      if (!digits()) return fail();
      integral = false;
    }
    if (at('e') || at('E')) {
      ++p_;
      if (at('+') || at('-')) ++p_;
      if (!digits()) return fail();
      integral = false;
    }
    if (integral) {
      // As nlohmann: strtoll for a negative number, strtoull otherwise; a float when out of range.
      if (negative) {
        std::int64_t v = 0;
        if (std::from_chars(start, p_, v).ec == std::errc()) {
          out = v;
          return true;
        }
      } else {
        std::uint64_t v = 0;
        if (std::from_chars(start, p_, v).ec == std::errc()) {
          out = v;
          return true;
        }
      }
    }
    // Correctly rounded like glibc's strtod, which nlohmann uses, and free of the locale (nlohmann
    // swaps in the locale's decimal point to get the same). Out of range means it rounded to
    // infinity, which nlohmann refuses ("number overflow"), or to zero, which strtod gives as a
    // signed zero and nlohmann keeps; from_chars leaves d alone then, so it is set here.
    double d = 0;
    if (std::from_chars(start, p_, d).ec == std::errc::result_out_of_range) {
      if (!below_one(start, p_)) return fail();
      d = negative ? -0.0 : 0.0;
    }
    out = d;
    return true;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return fail();
    }
    p_ += word.size();
    return true;
  }

  const char* p_;
  const char* const end_;
  const std::size_t max_depth_;
  status st_ = status::invalid;
  std::string duplicate_;
};

}  // namespace

json_read_result read_json(std::string_view text, std::size_t max_depth) {
  return reader(text, max_depth).run();
}

}  // namespace kh::protocol
