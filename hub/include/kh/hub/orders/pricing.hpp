#pragma once
// Server-side pricing: the rules live in kh::protocol (protocol/include/kh/protocol/pricing.hpp)
// so the kiosk's offline estimate runs the same code; the hub names them here.

#include "kh/protocol/pricing.hpp"

namespace kh::hub {

using protocol::discount_kind;
using protocol::discount_rule;
using protocol::mul_div_round;
using protocol::order_totals;
using protocol::price_order;
using protocol::priced_line;
using protocol::tax_rule;

}  // namespace kh::hub
