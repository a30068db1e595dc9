#include "kh/protocol/pricing.hpp"

#include <algorithm>
#include <string>

#include "kh/protocol/availability.hpp"
#include "kh/protocol/money.hpp"

namespace kh::protocol {

std::int64_t mul_div_round(std::int64_t num, std::int64_t mul, std::int64_t den) noexcept {
  // Split num = q·den + r so that num·mul/den = q·mul + r·mul/den; r·mul stays small.
  const std::int64_t q = num / den;
  const std::int64_t r = num % den;
  return q * mul + div_round_half_away(r * mul, den);
}

result<order_totals> price_order(const std::vector<priced_line>& lines, const tax_rule& tax,
                                 const std::optional<discount_rule>& discount,
                                 std::int64_t delivery_fee) {
  if (tax.rate_bp < 0 || tax.rate_bp > 100000)
    return make_problem(code::internal, "tax rate out of range");
  if (delivery_fee < 0 || delivery_fee > 100'000'000)
    return make_problem(code::internal, "delivery fee out of range");
  order_totals t;
  for (const auto& l : lines) {
    if (l.unit_price < 0 || l.qty < 0)
      return make_problem(code::internal, "negative price or quantity");
    std::int64_t line = 0;
    if (__builtin_mul_overflow(l.unit_price, l.qty, &line) ||
        __builtin_add_overflow(t.subtotal, line, &t.subtotal)) {
      return make_problem(code::internal, "order total overflows");
    }
  }
  // Keep every later product (amount × rate) far from int64 limits.
  if (t.subtotal > 1'000'000'000'000'000)
    return make_problem(code::internal, "order total overflows");

  if (discount) {
    if (discount->value < 0) return make_problem(code::internal, "negative discount");
    if (discount->kind == discount_kind::percent) {
      const std::int64_t bp = std::min<std::int64_t>(discount->value, 10000);
      t.discount = mul_div_round(t.subtotal, bp, 10000);
    } else {
      t.discount = std::min(discount->value, t.subtotal);
    }
  }
  t.delivery_fee = delivery_fee;
  const std::int64_t net = t.subtotal - t.discount;
  if (tax.inclusive) {
    t.tax = mul_div_round(net, tax.rate_bp, 10000 + tax.rate_bp);
    t.total = net + t.delivery_fee;
  } else {
    t.tax = mul_div_round(net, tax.rate_bp, 10000);
    t.total = net + t.tax + t.delivery_fee;
  }
  return t;
}

result<std::int64_t> price_options(std::int64_t base_price, const std::vector<option_group>& groups,
                                   const std::vector<line_option>& picked) {
  std::int64_t unit = base_price;
  // Each picked choice must name a group and a choice of this product, available, once.
  for (std::size_t i = 0; i < picked.size(); ++i) {
    const auto& o = picked[i];
    const auto g = std::find_if(groups.begin(), groups.end(),
                                [&](const option_group& x) { return x.id == o.group_id; });
    if (g == groups.end()) {
      return make_problem(code::unknown_option, "no option group '" + o.group_id + "'",
                          {{"group_id", o.group_id}, {"option_id", o.option_id}});
    }
    const auto c = std::find_if(g->options.begin(), g->options.end(),
                                [&](const option_choice& x) { return x.id == o.option_id; });
    if (c == g->options.end()) {
      return make_problem(code::unknown_option,
                          g->name + " has no choice '" + o.option_id + "'",
                          {{"group_id", o.group_id}, {"option_id", o.option_id}});
    }
    if (!c->available) {
      return make_problem(code::option_unavailable, g->name + ": " + c->name + " is not available",
                          {{"group_id", o.group_id}, {"option_id", o.option_id}});
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (picked[k] == o) {
        return make_problem(code::too_many_choices, g->name + ": " + c->name + " chosen twice",
                            {{"group_id", o.group_id}, {"option_id", o.option_id}});
      }
    }
    if (c->price_delta.amount < 0 || __builtin_add_overflow(unit, c->price_delta.amount, &unit)) {
      return make_problem(code::internal, "option price out of range");
    }
  }
  for (const auto& g : groups) {
    const auto n = std::count_if(picked.begin(), picked.end(),
                                 [&](const line_option& o) { return o.group_id == g.id; });
    // The details are built only for an answer: this runs for every group of every line.
    const auto details = [&] {
      return nlohmann::json{{"group_id", g.id}, {"min", g.min_choices}, {"max", g.max_choices}, {"count", n}};
    };
    if (n > g.max_choices) {
      return make_problem(code::too_many_choices,
                          g.name + ": at most " + std::to_string(g.max_choices) + " choices",
                          details());
    }
    if (n < g.min_choices) {
      return make_problem(code::missing_choice,
                          g.name + ": choose at least " + std::to_string(g.min_choices), details());
    }
  }
  return unit;
}

void add_problem(order_quoted& q, code c, std::string message, nlohmann::json details) {
  q.ok = false;
  q.problems.push_back(issue{c, std::move(message), std::move(details)});
}

order_quoted quote_cart(const catalog& c, const order_quote& q,
                        const std::optional<discount_rule>& discount,
                        std::optional<std::chrono::system_clock::time_point> at) {
  order_quoted out;
  out.quote_id = q.quote_id;
  const std::string& cur = c.currency;

  tax_rule tax{0, true};
  std::int64_t fee = 0;
  if (c.profile) {
    tax = {c.profile->tax_rate_bp, c.profile->tax == tax_mode::inclusive};
    const auto* offer = c.profile->offer(q.type);
    if (offer == nullptr) {
      add_problem(out, code::order_type_unavailable,
                  std::string("this store does not offer ") + to_string(q.type),
                  {{"order_type", to_string(q.type)}});
    } else if (q.type == order_type::delivery) {
      fee = offer->fee.amount;
    }
  }

  // Summed quantity per product, for the stock check (the same product on several lines).
  auto summed = [&](const std::string& id) {
    std::int64_t n = 0;
    for (const auto& l : q.lines) {
      if (l.product_id == id) n += l.qty;
    }
    return n;
  };

  std::vector<priced_line> priced;
  for (std::size_t i = 0; i < q.lines.size(); ++i) {
    const auto& l = q.lines[i];
    quoted_line ql;
    ql.line = static_cast<int>(i);
    ql.unit_price = {0, cur};
    ql.line_total = {0, cur};
    const product* p = c.find_product(l.product_id);
    if (p == nullptr) {
      ql.problems.push_back({code::unknown_product, "unknown product " + l.product_id,
                             {{"product_id", l.product_id}}});
    } else {
      ql.unit_price.amount = p->price.amount;
      if (!p->available && !(p->stock && *p->stock == 0)) {
        ql.problems.push_back({code::product_unavailable, p->name + " is not available",
                               {{"product_id", p->id}}});
      } else if (p->stock && *p->stock < summed(p->id)) {
        ql.problems.push_back({code::out_of_stock,
                               *p->stock == 0 ? p->name + " is sold out"
                                              : p->name + ": only " + std::to_string(*p->stock) +
                                                    " left",
                               {{"product_id", p->id},
                                {"requested", summed(p->id)},
                                {"available", *p->stock}}});
      }
      if (at && c.profile) {
        if (auto na = check_available(p->availability, p->id, p->name, c.profile->time_zone,
                                      availability_instant(q.type, q.pickup_at, *at))) {
          ql.problems.push_back({na->code, std::move(na->message), std::move(na->details)});
        }
      }
      auto unit = price_options(p->price.amount, p->option_groups, l.options);
      if (unit) {
        ql.unit_price.amount = *unit;
      } else {
        auto e = std::move(unit).error();
        ql.problems.push_back({e.code, std::move(e.message), std::move(e.details)});
      }
      ql.line_total.amount = ql.unit_price.amount * l.qty;
    }
    if (ql.problems.empty()) {
      priced.push_back({ql.unit_price.amount, l.qty});
    } else {
      out.ok = false;
    }
    out.lines.push_back(std::move(ql));
  }

  auto totals = price_order(priced, tax, discount, fee);
  order_totals t = totals ? *totals : order_totals{};
  if (!totals) add_problem(out, code::internal, "pricing failed");
  if (c.profile && q.type == order_type::delivery) {
    if (const auto* offer = c.profile->offer(q.type); offer && t.subtotal < offer->minimum.amount) {
      add_problem(out, code::below_minimum,
                  "delivery needs a subtotal of at least " + format_money(offer->minimum),
                  {{"minimum", offer->minimum.amount}, {"subtotal", t.subtotal}});
    }
  }
  out.subtotal = {t.subtotal, cur};
  out.discount = {t.discount, cur};
  out.tax = {t.tax, cur};
  out.delivery_fee = {t.delivery_fee, cur};
  out.total = {t.total, cur};
  return out;
}

}  // namespace kh::protocol
