#include "kh/hub/orders/staff_service.hpp"

#include <spdlog/spdlog.h>

#include "kh/protocol/codec.hpp"
#include "kh/protocol/money_format.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/time.hpp"

namespace kh::hub {

using protocol::code;
using protocol::make_problem;
using protocol::order_state;
using protocol::staff_action;

namespace {

staff_outcome refusal(const protocol::order_action& a, protocol::problem p, const order_record* o = nullptr) {
  staff_outcome out;
  auto& r = out.result;
  r.action_id = a.action_id;
  r.ok = false;
  r.code = p.code;
  r.message = std::move(p.message);
  r.details = p.details.is_object() ? std::move(p.details) : nlohmann::json::object();
  if (o) {
    r.order_id = o->id;
    r.number = o->number;
    r.state = o->state;
  }
  out.body = protocol::to_json(r).dump();
  return out;
}

// Money as the store writes it for people: its default language's style ("€3.60", "3,60 €").
std::string money_text(std::int64_t minor, const std::string& cur, const std::string& lang) {
  return protocol::format_money(protocol::money{minor, cur}, lang);
}

std::string store_language(sqlite::connection& db, const std::string& business_id) {
  auto q = db.prepare("SELECT languages FROM businesses WHERE id = ?");
  q.bind(1, business_id);
  const std::string langs = q.step() ? q.text(0) : std::string();
  return langs.size() >= 2 ? langs.substr(0, 2) : std::string("en");
}

// Who collected the order and when, from its history.
nlohmann::json collected_details(sqlite::connection& db, const std::string& order_id) {
  auto q = db.prepare(
      "SELECT actor, at_ms FROM order_state_history WHERE order_id = ? AND to_state = 'collected' ORDER BY step DESC LIMIT 1");
  q.bind(1, order_id);
  if (!q.step()) return nlohmann::json::object();
  return {{"at", protocol::format_rfc3339(from_ms(q.int64(1)))}, {"by", actor_display(q.text(0))}};
}

std::string hhmm(const std::string& rfc3339) { return rfc3339.size() >= 16 ? rfc3339.substr(11, 5) : rfc3339; }

}  // namespace

staff_outcome staff_service::device_action(const std::string& device_id, const protocol::order_action& a) {
  try {
    auto d = orders_.db().devices().find(device_id);
    if (!d || !d->enabled || d->business_id.empty())
      return refusal(a, make_problem(code::forbidden, "unknown or disabled device", {{"reason", "unknown_device"}}));
    if (d->mode != protocol::device_mode::counter)
      return refusal(a, make_problem(code::forbidden, "only counter devices take staff actions",
                                     {{"reason", "not_counter"}, {"mode", protocol::to_string(d->mode)}}));
    return apply(d->business_id, order_actor::device(device_id), a);
  } catch (const std::exception& e) {
    spdlog::error("staff action {} from {} failed: {}", a.action_id, device_id, e.what());
    return refusal(a, make_problem(code::internal, "the hub could not store the action; retry"));
  }
}

staff_outcome staff_service::web_action(const std::string& business_id, const std::string& actor,
                                        const protocol::order_action& a) {
  return apply(business_id, order_actor::web(actor), a);
}

staff_outcome staff_service::apply(const std::string& business_id, const order_actor& who,
                                   const protocol::order_action& a) {
  const std::string label = who.label();
  try {
    auto& db = sqlite_connection(orders_.db());
    const auto now_ms = to_ms(orders_.now());
    auto tx = orders_.db().begin();
    {
      auto q = db.prepare("SELECT actor, body FROM staff_actions WHERE action_id = ?");
      q.bind(1, a.action_id);
      if (q.step()) {
        if (q.text(0) != label) {
          return refusal(a, make_problem(code::malformed, "action_id was used by someone else",
                                         {{"field", "action_id"}}));
        }
        staff_outcome out;
        out.duplicate = true;
        out.body = q.text(1);
        auto back = protocol::decode_order_action_result(nlohmann::json::parse(out.body));
        if (back) out.result = std::move(back).value();
        return out;
      }
    }
    // Stores the answer with the action (in this transaction) and commits.
    auto finish = [&](staff_outcome out) {
      auto ins = db.prepare("INSERT INTO staff_actions(action_id, actor, order_id, body, at_ms) VALUES (?,?,?,?,?)");
      ins.bind(1, a.action_id).bind(2, label);
      if (out.result.order_id.empty()) {
        ins.bind(3, std::nullopt);
      } else {
        ins.bind(3, out.result.order_id);
      }
      ins.bind(4, out.body).bind(5, now_ms).run();
      tx->commit();
      return out;
    };

    // Which order: the ticket (what the counter scanned) or the id.
    std::string order_id = a.order_id;
    if (!a.ticket.empty()) {
      auto t = protocol::parse_ticket(a.ticket);
      if (!t) return finish(refusal(a, make_problem(code::invalid_ticket, "this is not a pickup ticket")));
      if (!order_id.empty() && *t != order_id)
        return finish(refusal(a, make_problem(code::invalid_ticket, "the ticket is of another order",
                                              {{"ticket_order_id", *t}})));
      order_id = *t;
    }
    auto o = orders_.db().orders().find(order_id);
    if (!o) return finish(refusal(a, make_problem(code::unknown_order, "no such order", {{"order_id", order_id}})));
    if (o->business_id != business_id) {
      // Nothing about the order is told: it is another business'.
      return finish(refusal(a, make_problem(code::forbidden, "this order belongs to another business",
                                            {{"reason", "other_business"}})));
    }
    auto target = action_target(a.action, o->state, o->type);
    if (!target) {
      auto p = std::move(target).error();
      if (p.code == code::already_collected) {
        p.details = collected_details(db, o->id);
        if (p.details.contains("at")) {
          p.message = o->number + " was already collected at " + hhmm(p.details["at"].get<std::string>()) + " by " +
                      p.details["by"].get<std::string>();
        }
      }
      return finish(refusal(a, std::move(p), &*o));
    }

    std::optional<protocol::money> change;
    std::string reason = a.reason;
    if (a.action == staff_action::take_cash) {
      const auto& t = *a.tendered;
      const std::string lang = store_language(db, business_id);
      if (t.currency != o->currency)
        return finish(refusal(a, make_problem(code::malformed, "tendered.currency: the order is in " + o->currency,
                                              {{"field", "tendered.currency"}}), &*o));
      if (t.amount < o->totals.total) {
        return finish(refusal(a,
                              make_problem(code::insufficient_cash,
                                           "tendered " + money_text(t.amount, t.currency, lang) + " is less than the total " +
                                               money_text(o->totals.total, o->currency, lang),
                                           {{"due", {{"amount", o->totals.total}, {"currency", o->currency}}},
                                            {"tendered", protocol::to_json(t)}}),
                              &*o));
      }
      change = protocol::money{t.amount - o->totals.total, o->currency};
      db.prepare(
            "INSERT INTO payments(id, order_id, method, provider, provider_ref, amount, currency, state, created_at_ms, "
            "updated_at_ms) VALUES (?,?,'cash','counter',?,?,?,'captured',?,?)")
          .bind(1, protocol::new_uuid())
          .bind(2, o->id)
          .bind(3, label)
          .bind(4, o->totals.total)
          .bind(5, o->currency)
          .bind(6, now_ms)
          .bind(7, now_ms)
          .run();
      db.prepare("UPDATE orders SET payment_method = 'cash' WHERE id = ?").bind(1, o->id).run();
      reason = "cash " + money_text(t.amount, t.currency, lang) + ", change " + money_text(change->amount, change->currency, lang);
    }
    const bool restock = a.action == staff_action::cancel && a.restock;
    auto moved = orders_.transition(o->id, *target, label, reason, restock);
    if (!moved) {
      auto p = std::move(moved).error();
      if (p.code == code::internal) return refusal(a, std::move(p), &*o);  // not stored: retryable
      return finish(refusal(a, std::move(p), &*o));
    }
    staff_outcome out;
    auto& r = out.result;
    r.action_id = a.action_id;
    r.ok = true;
    r.order_id = o->id;
    r.number = o->number;
    r.state = *target;
    r.seq = moved->status.seq;
    r.change = change;
    out.body = protocol::to_json(r).dump();
    out.change = std::move(*moved);
    return finish(std::move(out));
  } catch (const std::exception& e) {
    spdlog::error("staff action {} by {} failed: {}", a.action_id, label, e.what());
    return refusal(a, make_problem(code::internal, "the hub could not store the action; retry"));
  }
}

protocol::result<protocol::orders_snapshot> staff_service::snapshot_for(const std::string& device_id) {
  try {
    auto d = orders_.db().devices().find(device_id);
    if (!d || !d->enabled || d->business_id.empty())
      return make_problem(code::forbidden, "unknown or disabled device", {{"reason", "unknown_device"}});
    if (d->mode == protocol::device_mode::shop)
      return make_problem(code::forbidden, "only counters and boards get the open orders", {{"reason", "not_screen"}});
    return orders_.events().snapshot(d->business_id, to_ms(orders_.now()));
  } catch (const std::exception& e) {
    spdlog::error("snapshot for {} failed: {}", device_id, e.what());
    return make_problem(code::internal, "the hub could not read the orders; retry");
  }
}

}  // namespace kh::hub
