// read_json against nlohmann::json::parse, the reader it replaces in decode_envelope: on texts
// picked by hand (each rule of the grammar, the number edge cases, UTF-8, the BOM and NUL quirks)
// and on many texts made by mutating valid messages byte by byte. Wherever read_json says ok, the
// tree must be nlohmann's exactly: the same value types (integer, unsigned, float), the same
// numbers to the bit (signed zeros too), the same strings. Wherever it refuses, nlohmann must
// refuse too, or, for duplicate_key and too_deep, nlohmann's own parser events must show that
// problem first: the first key repeated in its object, or the first bracket past the limit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <vector>

#include "kh/protocol/json_read.hpp"

namespace kh::protocol {
namespace {

using json = nlohmann::json;
using status = json_read_result::status;

// Whether two trees are the same, types included: nlohmann's == calls 1 (unsigned) and 1.0 equal.
bool same(const json& a, const json& b, std::string& why, const std::string& at = "$") {
  if (a.type() != b.type()) {
    why = at + ": types " + a.type_name() + " and " + b.type_name();
    return false;
  }
  switch (a.type()) {
    case json::value_t::object: {
      if (a.size() != b.size()) {
        why = at + ": member counts differ";
        return false;
      }
      for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
        if (ia.key() != ib.key()) {
          why = at + ": keys " + ia.key() + " and " + ib.key();
          return false;
        }
        if (!same(*ia, *ib, why, at + "." + ia.key())) return false;
      }
      return true;
    }
    case json::value_t::array: {
      if (a.size() != b.size()) {
        why = at + ": lengths differ";
        return false;
      }
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!same(a[i], b[i], why, at + "[" + std::to_string(i) + "]")) return false;
      }
      return true;
    }
    case json::value_t::number_float: {
      const double x = a.get<double>();
      const double y = b.get<double>();
      if (std::memcmp(&x, &y, sizeof x) != 0) {
        why = at + ": floats " + a.dump() + " and " + b.dump() + " differ in their bits";
        return false;
      }
      return true;
    }
    default:
      if (a != b) {
        why = at + ": " + a.dump() + " and " + b.dump();
        return false;
      }
      return true;
  }
}

// What nlohmann makes of a text: whether its strict parse accepts it, the tree, and the first
// problem its parser's events show in document order (a key repeated within its object, a
// bracket that opens a level beyond max_depth), before any syntax error it stops at.
struct reference {
  bool ok = false;
  json value;
  status first_problem = status::ok;
  std::string duplicate;
};

reference nlohmann_reads(std::string_view text, std::size_t max_depth) {
  reference r;
  std::vector<std::set<std::string>> keys;
  std::size_t depth = 0;
  const json::parser_callback_t cb = [&](int, json::parse_event_t ev, json& parsed) {
    using ev_t = json::parse_event_t;
    if (r.first_problem != status::ok) return true;
    if (ev == ev_t::object_start || ev == ev_t::array_start) {
      if (++depth > max_depth) r.first_problem = status::too_deep;
      if (ev == ev_t::object_start) keys.emplace_back();
    } else if (ev == ev_t::object_end || ev == ev_t::array_end) {
      --depth;
      if (ev == ev_t::object_end) keys.pop_back();
    } else if (ev == ev_t::key) {
      const auto& k = parsed.get_ref<const std::string&>();
      if (!keys.back().insert(k).second) {
        r.first_problem = status::duplicate_key;
        r.duplicate = k;
      }
    }
    return true;
  };
  // The callback parse stops where the plain one does; the tree is taken from the plain one.
  [[maybe_unused]] const json events = json::parse(text.begin(), text.end(), cb, false);
  r.value = json::parse(text.begin(), text.end(), nullptr, false);
  r.ok = !r.value.is_discarded();
  return r;
}

const char* name(status s) {
  switch (s) {
    case status::ok: return "ok";
    case status::invalid: return "invalid";
    case status::duplicate_key: return "duplicate_key";
    case status::too_deep: return "too_deep";
  }
  return "?";
}

// One text read both ways; a failure message naming the text, or empty when they agree.
std::string disagreement(std::string_view text, std::size_t max_depth) {
  const json_read_result mine = read_json(text, max_depth);
  const reference ref = nlohmann_reads(text, max_depth);
  const auto shown = [&] { return " for " + json(std::string(text)).dump(-1, ' ', true, json::error_handler_t::replace); };
  if (ref.first_problem != status::ok) {
    if (mine.st != ref.first_problem) return std::string("read_json says ") + name(mine.st) + ", nlohmann's events " + name(ref.first_problem) + shown();
    if (mine.st == status::duplicate_key && mine.duplicate != ref.duplicate) return "duplicate " + mine.duplicate + " vs " + ref.duplicate + shown();
    if (!mine.value.is_null()) return "a refused text left a value" + shown();
    return {};
  }
  if (ref.ok != (mine.st == status::ok)) return std::string("read_json says ") + name(mine.st) + ", nlohmann " + (ref.ok ? "ok" : "invalid") + shown();
  if (!ref.ok) return mine.value.is_null() ? std::string() : "a refused text left a value" + shown();
  std::string why;
  if (!same(mine.value, ref.value, why)) return why + shown();
  return {};
}

constexpr std::size_t deep = 1000;

TEST(json_read, agrees_with_nlohmann_on_every_rule_of_the_grammar) {
  const std::vector<std::string> texts = {
      // values at the top level, whitespace around them
      "{}", "[]", "0", "-0", "1", "\"\"", "true", "false", "null", " \t\r\n{} \t\r\n", "", " ", "\v{}",
      "\f{}", "{} x", "{}{}", "[1,]", "[,1]", "[1 2]", "{\"a\":1,}", "{,\"a\":1}", "{\"a\"1}", "{\"a\":}",
      "{a:1}", "{'a':1}", "{\"a\":1 \"b\":2}", "[", "{", "]", "}", "[[]", "[]]", "{\"a\":[1,{\"b\":null}]}",
      "tru", "truex", "nul", "nulll", "True", "NULL", "[true,false,null]",
      // numbers
      "01", "-01", "00", "1.", ".5", "-", "+1", "1e", "1e+", "1E-2", "1.5e3", "-1.25E+2", "1.0", "0.0",
      "-0.0", "-0e0", "0e-0", "18446744073709551615", "18446744073709551616", "9223372036854775807",
      "-9223372036854775808", "-9223372036854775809", "123456789012345678901234567890", "1e308",
      "1.7976931348623157e308", "1.7976931348623159e308", "1e309", "-1e400", "1e-400", "-1e-400",
      "4.9e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "2.2250738585072011e-308",
      "0.1", "0.30000000000000004", "3.141592653589793238462643383279", "1e0000000000000000000001",
      "1e-99999999999999999999", "0.000000000000000000000000000000000000000001e-300",
      "100000000000000000000000000000000000000e-60", "[-]", "[1.e1]", "[1e1.5]", "0x10", "NaN", "Infinity",
      "[1,-Infinity]", "1_000",
      // strings and escapes
      "\"a\\\"b\"", "\"\\\\\"", "\"\\/\"", "\"\\b\\f\\n\\r\\t\"", "\"\\a\"", "\"\\x41\"", "\"\\u0041\"",
      "\"\\u00e9\"", "\"\\u00E9\"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\uD83D\\uDE00\"",
      "\"\\uD83D\"", "\"\\uD83Dx\"", "\"\\uD83D\\u0041\"", "\"\\uDE00\"", "\"\\uDE00\\uD83D\"", "\"\\uDBFF\\uDFFF\"",
      "\"\\\"", "\"abc", "\"tab\there\"", "\"nl\nhere\"", std::string("\"nul\0here\"", 10), "\"\x7f\"", "\"\x1f\"",
      // UTF-8 inside strings
      "\"caf\xc3\xa9\"", "\"\xe2\x82\xac\"", "\"\xf0\x9f\x8d\xa9\"", "\"\xc0\xaf\"", "\"\xc1\xbf\"", "\"\xc2\x80\"",
      "\"\xdf\xbf\"", "\"\xe0\x80\xaf\"", "\"\xe0\xa0\x80\"", "\"\xed\x9f\xbf\"", "\"\xed\xa0\x80\"", "\"\xef\xbf\xbf\"",
      "\"\xf0\x8f\xbf\xbf\"", "\"\xf0\x90\x80\x80\"", "\"\xf4\x8f\xbf\xbf\"", "\"\xf4\x90\x80\x80\"", "\"\xf5\x80\x80\x80\"",
      "\"\xff\"", "\"\x80\"", "\"\xc3\"", "\"\xe2\x82\"", "\"\xf0\x9f\x8d\"", "\"\xc3\x28\"", "\"\xe2\x28\xa1\"",
      "\xc3\xa9", "[\"\xc3\xa9\",\xc3\xa9]",
      // byte order mark and NUL bytes
      "\xEF\xBB\xBF{}", "\xEF\xBB\xBF", "\xEF\xBB{}", "\xEF\xBB\xBF\xEF\xBB\xBF{}", " \xEF\xBB\xBF{}",
      std::string("{}\0", 3), std::string("{}\0trailing junk", 16), std::string("{} \0x", 5), std::string("\0{}", 3),
      std::string("{\0}", 3), std::string("[1\0]", 4), std::string("1\0", 2), std::string("tr\0ue", 5),
      // keys: order, duplicates, the first repeat in document order
      "{\"b\":1,\"a\":2}", "{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":{\"b\":1,\"b\":2},\"a\":3}",
      "{\"a\":1,\"a\":2,}", "{\"a\":1,}\"a\":2}", "{\"a\":1,\"a\"}", "{\"a\":{\"a\":1}}", "[{\"a\":1},{\"a\":1}]",
      "{\"\\u0061\":1,\"a\":2}", "{\"\":1,\"\":2}", "{\"\\u0000\":1,\"\\u0000\":2}", "{\"x\":[{\"y\":1,\"y\":1}]}",
  };
  for (const auto& text : texts) {
    const std::string d = disagreement(text, deep);
    EXPECT_TRUE(d.empty()) << d;
  }
}

TEST(json_read, keeps_numbers_in_the_type_nlohmann_gives_them) {
  EXPECT_TRUE(read_json("-5", deep).value.is_number_integer());
  EXPECT_TRUE(read_json("5", deep).value.is_number_unsigned());
  EXPECT_TRUE(read_json("18446744073709551616", deep).value.is_number_float());
  const json negative_zero = read_json("-0.0", deep).value;
  ASSERT_TRUE(negative_zero.is_number_float());
  EXPECT_TRUE(std::signbit(negative_zero.get<double>()));
  EXPECT_EQ(read_json("-1e-400", deep).value.dump(), "-0.0");
  EXPECT_EQ(read_json("1e400", deep).st, status::invalid);
  EXPECT_EQ(read_json("4.9e-324", deep).value.get<double>(), std::numeric_limits<double>::denorm_min());
}

TEST(json_read, names_the_first_repeated_key_and_gives_no_tree) {
  const auto r = read_json(R"({"v":1,"body":{"a":1,"a":2},"v":2})", deep);
  EXPECT_EQ(r.st, status::duplicate_key);
  EXPECT_EQ(r.duplicate, "a");
  EXPECT_TRUE(r.value.is_null());
  const auto decoded = read_json(R"({"caf\u00e9":1,"café":2})", deep);
  EXPECT_EQ(decoded.st, status::duplicate_key);
  EXPECT_EQ(decoded.duplicate, "café");
}

TEST(json_read, refuses_nesting_past_the_limit_before_reading_inside_it) {
  EXPECT_EQ(read_json("[[]]", 2).st, status::ok);
  EXPECT_EQ(read_json("[[[]]]", 2).st, status::too_deep);
  EXPECT_EQ(read_json("{\"a\":[{}]}", 3).st, status::ok);
  EXPECT_EQ(read_json("{\"a\":[{}]}", 2).st, status::too_deep);
  EXPECT_EQ(read_json("[[[x", 2).st, status::too_deep);  // refused at the third bracket, not at x
  EXPECT_EQ(read_json("[[x", 2).st, status::invalid);
  EXPECT_EQ(read_json("0", 0).st, status::ok);
  EXPECT_EQ(read_json("[]", 0).st, status::too_deep);
  // 64 KiB of brackets, as a hostile payload sends them: refused, and the stack holds.
  EXPECT_EQ(read_json(std::string(64 * 1024, '['), 32).st, status::too_deep);
  EXPECT_EQ(read_json(std::string(64 * 1024, '{'), 32).st, status::invalid);  // '{' wants a key next
  std::string objects;
  for (int i = 0; i < 10000; ++i) objects += "{\"k\":";
  EXPECT_EQ(read_json(objects, 32).st, status::too_deep);
}

// Valid messages of the protocol's kind, each mutated many times over: one to three edits of a
// byte inserted, deleted, replaced or duplicated, with bytes that matter to a JSON reader. A
// seeded generator makes the same texts every run.
TEST(json_read, agrees_with_nlohmann_on_mutated_messages) {
  const std::vector<std::string> seeds = {
      R"({"v":1,"type":"order.submit","id":"7d1f2c7e-2c5a-4b7e-9a51-0d6f3c1e2b44","ts":"2026-12-03T10:00:00.123Z","body":{"order_id":"a1b2c3d4-0000-4000-8000-000000000001","lines":[{"product_id":"latte","qty":2,"options":["oat","large"],"note":"extra hot \u00b0C"}],"order_type":"pickup","total":{"amount":740,"currency":"EUR"},"customer":{"name":"Zo\u00eb","phone":"+49 30 1234"}}})",
      R"({"v":1,"type":"device.presence","id":"00000000-0000-4000-8000-000000000000","ts":"2026-12-03T10:00:00Z","body":{"state":"online","firmware":"kiosk 1.4.2","uptime_s":18446744073709551615,"temp":-12.5e-1,"flags":[true,false,null],"nested":{"a":{"b":[[],{}]}}}})",
      "{\"name\":\"caf\xc3\xa9 \xf0\x9f\x8d\xa9 \\\"quoted\\\" \\\\ \\/ \\b\\f\\n\\r\\t \\uD83D\\uDE00\",\"n\":[0,-0,1.5,-2E+3,1e-7]}",
  };
  static const char interesting[] = {'{', '}', '[', ']', '"', '\\', ':', ',', ' ', '\t', '\n', '0', '1', '9',
                                     '-', '+', '.', 'e', 'E', 'u', 'a', 'D', 't', 'n', '\0', '\x1f', '\x7f',
                                     '\xc3', '\xa9', '\xed', '\xa0', '\xf0', '\x9f', '\xef', '\xbb', '\xbf', '\xff'};
  std::mt19937 rng(20261203);
  const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::size_t compared = 0, accepted = 0, duplicates = 0, too_deep = 0;
  for (const auto& seed : seeds) {
    ASSERT_EQ(read_json(seed, deep).st, status::ok) << seed;
    for (int round = 0; round < 6000; ++round) {
      std::string text = seed;
      const std::size_t edits = 1 + pick(3);
      for (std::size_t e = 0; e < edits && !text.empty(); ++e) {
        const std::size_t at = pick(text.size());
        const char byte = interesting[pick(sizeof interesting)];
        switch (pick(4)) {
          case 0: text.insert(at, 1, byte); break;
          case 1: text.erase(at, 1); break;
          case 2: text[at] = byte; break;
          default: text.insert(at, text.substr(at, 1 + pick(12))); break;  // a repeated piece: keys, brackets
        }
      }
      // Twice: without a depth limit, and with one the seeds come near, so too_deep is exercised.
      for (const std::size_t limit : {deep, std::size_t{3}}) {
        const std::string d = disagreement(text, limit);
        ASSERT_TRUE(d.empty()) << d;
        const auto st = read_json(text, limit).st;
        accepted += st == status::ok;
        duplicates += st == status::duplicate_key;
        too_deep += st == status::too_deep;
        ++compared;
      }
    }
  }
  // The mutations reach every verdict, so this test compares more than refusals.
  EXPECT_GT(accepted, compared / 20) << compared;
  EXPECT_GT(duplicates, 100u);
  EXPECT_GT(too_deep, 100u);
}

}  // namespace
}  // namespace kh::protocol
