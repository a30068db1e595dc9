// to_json_text: the order path's bodies written without a JSON tree must be the very bytes
// to_json(m).dump() gives (stored answers are replayed byte for byte, request fingerprints are
// hashes of the text, and screens read the events either way). Compared on varied messages:
// every optional field present and absent, several lines and options, and text with quotes,
// backslashes, control characters, non-ASCII and 4-byte UTF-8.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include "kh/protocol/codec.hpp"

namespace kh::protocol {
namespace {

// Text of varied kinds, picked by a seeded generator (same cases every run).
class texts {
 public:
  explicit texts(std::uint32_t seed) : rng_(seed) {}
  std::string any() {
    static const char* pieces[] = {"", "A-042", "Café crème", "say \"hi\"", "back\\slash", "tab\there", "line\nbreak",
                                   "\r\f\b", "bell\x07", "nul\x01\x1f", "DEL\x7f", "emoji 🍩☕", "日本語", "/slash/",
                                   "ünïcödé", "'single'", "<b>&amp;</b>", "\xc3\xa9t\xc3\xa9"};
    std::string s;
    const int n = pick(3);
    for (int i = 0; i < n; ++i) s += pieces[pick(std::size(pieces))];
    return s;
  }
  std::string maybe() { return pick(2) == 0 ? std::string() : any(); }
  int pick(std::size_t n) { return static_cast<int>(rng_() % n); }
  bool coin() { return pick(2) == 0; }

 private:
  std::mt19937 rng_;
};

money some_money(texts& t) { return {static_cast<std::int64_t>(t.pick(100000)) - 500, t.coin() ? "EUR" : "USD"}; }

open_order some_open_order(texts& t) {
  open_order o;
  o.order_id = "0b7c2f1e-9a41-4d3e-8f6a-2c5d7e9b1a30";
  o.number = t.any();
  o.state = static_cast<order_state>(t.pick(9));
  o.type = static_cast<order_type>(t.pick(4));
  o.channel = static_cast<order_channel>(t.pick(2));
  o.payment = static_cast<payment_method>(t.pick(3));
  const int lines = t.pick(4);
  for (int i = 0; i < lines; ++i) {
    open_order_line l;
    l.product_id = "latte";
    l.name = t.any();
    l.qty = 1 + t.pick(99);
    l.note = t.maybe();
    const int opts = t.pick(3);
    for (int k = 0; k < opts; ++k) l.options.push_back({"size", "large", t.any()});
    o.lines.push_back(std::move(l));
  }
  o.customer_name = t.maybe();
  o.table = t.maybe();
  o.created_at = "2026-12-03T13:20:00.123Z";
  o.paid_at = t.coin() ? "2026-12-03T13:21:00Z" : "";
  o.eta = t.coin() ? "2026-12-03T13:30:00Z" : "";
  o.subtotal = some_money(t);
  o.discount = some_money(t);
  o.tax = some_money(t);
  o.total = some_money(t);
  o.ticket = t.any();
  return o;
}

TEST(json_text, an_order_status_is_written_as_dump_writes_it) {
  texts t(20261203);
  for (int i = 0; i < 400; ++i) {
    order_status m;
    m.order_id = "0b7c2f1e-9a41-4d3e-8f6a-2c5d7e9b1a30";
    m.number = t.any();
    m.state = static_cast<order_state>(t.pick(9));
    m.eta = t.maybe();
    if (t.coin()) m.seq = t.pick(1000000);
    if (t.coin()) m.previous = static_cast<order_state>(t.pick(9));
    m.at = t.maybe();
    m.by = t.maybe();
    if (t.pick(4) != 0) m.order = some_open_order(t);
    ASSERT_EQ(to_json_text(m), to_json(m).dump()) << "case " << i;
  }
}

TEST(json_text, an_order_accepted_is_written_as_dump_writes_it) {
  texts t(7);
  for (int i = 0; i < 200; ++i) {
    order_accepted m;
    m.order_id = t.any();
    m.number = t.any();
    m.state = static_cast<order_state>(t.pick(9));
    m.subtotal = some_money(t);
    m.tax = some_money(t);
    m.discount = some_money(t);
    m.total = some_money(t);
    m.eta = t.maybe();
    if (t.coin()) m.delivery_fee = some_money(t);
    m.tracking_url = t.coin() ? "https://shop.example/o/" + m.order_id : "";
    ASSERT_EQ(to_json_text(m), to_json(m).dump()) << "case " << i;
  }
}

TEST(json_text, an_order_submit_is_written_as_dump_writes_it_so_fingerprints_do_not_change) {
  texts t(11);
  for (int i = 0; i < 300; ++i) {
    order_submit m;
    m.order_id = "0b7c2f1e-9a41-4d3e-8f6a-2c5d7e9b1a30";
    m.type = static_cast<order_type>(t.pick(4));
    m.payment = static_cast<payment_method>(t.pick(3));
    const int lines = 1 + t.pick(4);
    for (int k = 0; k < lines; ++k) {
      order_line l;
      l.product_id = t.coin() ? "espresso" : "latte";
      l.qty = 1 + t.pick(99);
      l.note = t.maybe();
      const int opts = t.pick(3);
      for (int n = 0; n < opts; ++n) l.options.push_back({t.coin() ? "milk" : "size", t.coin() ? "oat" : "large"});
      m.lines.push_back(std::move(l));
    }
    m.cust = {t.maybe(), t.maybe(), t.maybe()};
    m.discount_code = t.maybe();
    m.table = t.maybe();
    m.pickup_at = t.maybe();
    m.delivery_address = t.maybe();
    m.local_number = t.maybe();
    m.placed_at = t.maybe();
    ASSERT_EQ(to_json_text(m), to_json(m).dump()) << "case " << i;
  }
}

TEST(json_text, text_that_is_not_utf8_is_refused_as_dump_refuses_it) {
  for (const char* bad : {"\xff", "\xc3", "caf\xe9", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80"}) {
    order_accepted m;
    m.number = bad;
    EXPECT_THROW((void)to_json(m).dump(), nlohmann::json::type_error) << bad;
    EXPECT_THROW((void)to_json_text(m), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace kh::protocol
