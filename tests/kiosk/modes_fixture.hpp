#pragma once
// Orders for the board and counter tests: n open orders of a demo café, in a mix of states.

#include <string>
#include <vector>

#include "kh/kiosk/core/order_feed.hpp"

namespace kh::kiosk::test {

inline std::string uuid_for(int i) {
  char b[40];
  std::snprintf(b, sizeof b, "00000000-0000-4000-8000-%012d", i);
  return b;
}

inline feed_order make_order(int i, protocol::order_state st, std::int64_t placed_ms = 0) {
  using protocol::order_type;
  feed_order o;
  o.order_id = uuid_for(i);
  char n[16];
  std::snprintf(n, sizeof n, "A-%03d", i);
  o.number = n;
  o.state = st;
  o.type = i % 3 == 0 ? order_type::eat_in : i % 3 == 1 ? order_type::takeaway : order_type::pickup;
  o.payment = i % 2 ? protocol::payment_method::cash : protocol::payment_method::card_present;
  o.customer = i % 4 == 0 ? "Camille Dubois-Laurent" : "";
  o.total = {360 + 110 * (i % 5), "EUR"};
  o.placed_ms = placed_ms;
  o.lines.push_back({1 + i % 2, "p-latte", "Latte", "c-coffee", {"Large", "Oat milk"}, i % 5 == 0 ? "extra hot please" : ""});
  if (i % 2 == 0) o.lines.push_back({1, "p-croissant", "Croissant", "c-bakery", {}, ""});
  if (i % 7 == 0) o.lines.push_back({2, "p-cookie", "Chocolate chip cookie", "c-bakery", {}, ""});
  return o;
}

/// n orders: spread over pending (cash), paid, preparing, ready.
inline std::vector<feed_order> mixed_orders(int n, std::int64_t now_ms = 0) {
  using st = protocol::order_state;
  const st states[] = {st::pending_payment, st::paid, st::preparing, st::ready};
  std::vector<feed_order> v;
  for (int i = 1; i <= n; ++i) {
    auto o = make_order(i, states[i % 4], now_ms - (n - i) * 60'000LL);
    if (o.state == st::pending_payment) o.payment = protocol::payment_method::cash;
    v.push_back(o);
  }
  return v;
}

}  // namespace kh::kiosk::test
