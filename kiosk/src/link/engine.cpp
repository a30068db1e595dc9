#include "kh/kiosk/link/engine.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "kh/protocol/codec.hpp"
#include "kh/protocol/pricing.hpp"
#include "kh/protocol/time.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/topics.hpp"

#ifndef KH_KIOSK_VERSION
#define KH_KIOSK_VERSION "0.0.0"
#endif

namespace kh::kiosk {

namespace topics = protocol::topics;
namespace types = protocol::types;

std::string default_firmware() {
  return "kiosk " KH_KIOSK_VERSION;
}

namespace {
// Fleet messages (docs/protocol.md, "Credentials rotation"; "config" is the device config).
constexpr const char* k_credentials = "credentials";
constexpr const char* k_credentials_ack = "credentials.ack";
constexpr const char* k_config = "device.config";
// When Paho refuses a publish (in-flight window full), try again this soon instead of counting a
// send.
constexpr std::chrono::milliseconds k_publish_refused_retry{100};
}  // namespace

engine::engine(store& db, engine_config cfg, publish_fn publish, event_fn on_event, now_fn now,
               random_fn random)
    : db_(db),
      cfg_(std::move(cfg)),
      publish_(std::move(publish)),
      on_event_(std::move(on_event)),
      now_(std::move(now)),
      random_(std::move(random)) {
  if (!protocol::is_slug_id(cfg_.device_id)) {
    throw std::invalid_argument("device id '" + cfg_.device_id +
                                "' is not a valid id ([a-z0-9_-], 1-64 characters)");
  }
  if (!cfg_.business_id.empty() && !protocol::is_slug_id(cfg_.business_id)) {
    throw std::invalid_argument("business id '" + cfg_.business_id +
                                "' is not a valid id ([a-z0-9_-], 1-64 characters)");
  }
  if (!now_) now_ = [] { return clock::now(); };
  if (!random_) {
    random_ = [gen = std::mt19937_64{std::random_device{}()}]() mutable {
      return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
    };
  }

  auto stored_business = db_.setting("business_id");
  if (!cfg_.business_id.empty()) {
    business_id_ = cfg_.business_id;
    if (stored_business != business_id_) (void)db_.set_setting("business_id", business_id_);
  } else if (stored_business && protocol::is_slug_id(*stored_business)) {
    business_id_ = *stored_business;
  }

  if (auto c = db_.load_catalog()) {
    if (business_id_.empty() && protocol::is_slug_id(c->business_id)) {
      business_id_ = c->business_id;
      (void)db_.set_setting("business_id", business_id_);
    }
    if (c->business_id == business_id_) {
      catalog_ = std::make_shared<const catalog_view>(std::move(*c));
    } else {
      spdlog::info("kiosk: cached catalog is for business '{}', not '{}'; ignoring it",
                   c->business_id, business_id_);
    }
  }

  const auto now_tp = now_();
  for (auto& e : db_.pending()) {
    seq_of_.emplace(e.order_id, e.seq);
    // Resent at the first connect anyway; until then nothing is due.
    pending_.emplace(e.seq, pending_entry{e.order_id, std::move(e.payload), e.attempts, now_tp});
  }
  if (!pending_.empty())
    spdlog::info("kiosk: {} order(s) in the outbox from an earlier run", pending_.size());
}

std::int64_t engine::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now_().time_since_epoch()).count();
}

void engine::emit(const link_event& ev) {
  if (!on_event_) return;
  try {
    on_event_(ev);
  } catch (const std::exception& e) {
    spdlog::error("kiosk: event handler threw: {}", e.what());
  } catch (...) {
    spdlog::error("kiosk: event handler threw");
  }
}

std::vector<std::string> engine::subscriptions() const {
  std::vector<std::string> subs{topics::device_down_filter(cfg_.device_id)};
  if (!business_id_.empty()) {
    subs.push_back(topics::business_catalog(business_id_));
    subs.push_back(topics::business_orders(business_id_));
  }
  return subs;
}

void engine::on_connected() {
  connected_ = true;
  protocol::hello h;
  h.firmware = cfg_.firmware;
  h.mode = cfg_.mode;
  if (catalog_) h.catalog_version = catalog_->version();
  if (!publish_(topics::device_up(cfg_.device_id, types::hello),
                protocol::make_message(types::hello, protocol::to_json(h)))) {
    spdlog::warn("kiosk: could not queue hello");
  }
  emit(events::connection{true});
  // Everything unanswered goes out again now: the hub may have restarted or the answer been lost.
  resend_all_now();
  send_status_if_changed(true);
  flush_feedback();
}

void engine::resend_all_now() {
  const auto now = now_();
  for (auto& [seq, p] : pending_) p.next = now;
  send_due(now);
}

void engine::on_disconnected() {
  if (!connected_) return;
  connected_ = false;
  emit(events::connection{false});
}

void engine::send_due(clock::time_point now) {
  if (!connected_) return;
  for (auto& [seq, p] : pending_) {
    if (p.next > now) continue;
    if (!publish_(topics::device_up(cfg_.device_id, types::order_submit), p.payload)) {
      p.next = now + k_publish_refused_retry;
      break;  // the client's queue is full: later ones would be refused too
    }
    ++p.attempts;
    p.next = now + cfg_.backoff.delay(p.attempts, random_());
    const auto next_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(p.next.time_since_epoch()).count();
    (void)db_.record_attempt(p.order_id, p.attempts,
                             next_ms);  // informative; failure already logged
  }
}

std::optional<engine::clock::time_point> engine::tick() {
  const auto now = now_();
  send_due(now);
  if (!connected_ || pending_.empty()) return std::nullopt;
  auto next = pending_.begin()->second.next;
  for (const auto& [seq, p] : pending_) next = std::min(next, p.next);
  return next;
}

outcome<std::string> engine::submit(const protocol::order_submit& order,
                                    const std::function<void(const std::string&)>& on_queued) {
  if (!protocol::is_uuid(order.order_id)) return fail(errc::bad_command, "order id is not a UUID");
  if (order.lines.empty()) return fail(errc::empty_order, "an order needs at least one line");
  auto payload = protocol::make_message(types::order_submit, protocol::to_json(order));
  if (payload.size() > protocol::limits::max_payload) {
    return fail(errc::bad_command, "order message would be larger than 64 KiB");
  }
  auto added = db_.add_order(order.order_id, payload, now_ms(), cfg_.max_pending);
  if (!added) return added.error();
  seq_of_.emplace(order.order_id, added->seq);
  pending_.emplace(added->seq, pending_entry{order.order_id, std::move(payload), 0, now_()});
  if (on_queued) {
    try {
      on_queued(order.order_id);
    } catch (...) {
      spdlog::error("kiosk: on_queued handler threw");
    }
  }
  send_due(now_());
  send_status_if_changed(false);
  return order.order_id;
}

outcome<protocol::order_quoted> engine::quote(const protocol::order_quote& q) {
  if (!protocol::is_uuid(q.quote_id)) return fail(errc::bad_command, "quote id is not a UUID");
  if (q.lines.empty()) return fail(errc::empty_order, "a quote needs at least one line");
  if (!catalog_) return fail(errc::no_catalog, "no catalog cached yet");
  auto estimate = protocol::quote_cart(catalog_->catalog(), q, std::nullopt, catalog_->now());
  if (connected_) {
    auto payload = protocol::make_message(types::order_quote, protocol::to_json(q));
    if (payload.size() <= protocol::limits::max_payload &&
        !publish_(topics::device_up(cfg_.device_id, types::order_quote), payload)) {
      spdlog::warn("kiosk: could not queue order.quote");
    }
  }
  return estimate;
}

outcome<bool> engine::send_action(const protocol::order_action& a) {
  if (!protocol::is_uuid(a.action_id)) return fail(errc::bad_command, "action id is not a UUID");
  if (!connected_) return fail(errc::offline, "not connected to the hub");
  auto payload = protocol::make_message(types::order_action, protocol::to_json(a));
  if (!publish_(topics::device_up(cfg_.device_id, types::order_action), payload))
    return fail(errc::offline, "the broker did not take the action");
  return true;
}

outcome<bool> engine::sync_orders(std::int64_t known_seq) {
  if (!connected_) return fail(errc::offline, "not connected to the hub");
  protocol::orders_sync m;
  m.known_seq = known_seq;
  if (!publish_(topics::device_up(cfg_.device_id, types::orders_sync),
                protocol::make_message(types::orders_sync, protocol::to_json(m))))
    return fail(errc::offline, "the broker did not take the request");
  return true;
}

outcome<bool> engine::send_feedback(const protocol::feedback& f) {
  if (!protocol::is_uuid(f.order_id)) return fail(errc::bad_command, "order id is not a UUID");
  if (f.rating < 1 || f.rating > 5) return fail(errc::bad_command, "rating must be 1 to 5");
  auto payload = protocol::make_message(types::feedback, protocol::to_json(f));
  if (connected_ && publish_(topics::device_up(cfg_.device_id, types::feedback), payload)) return true;
  if (held_feedback_.size() >= cfg_.max_held_feedback) held_feedback_.erase(held_feedback_.begin());
  held_feedback_.push_back(std::move(payload));
  return false;
}

void engine::flush_feedback() {
  while (connected_ && !held_feedback_.empty()) {
    if (!publish_(topics::device_up(cfg_.device_id, types::feedback), held_feedback_.front())) return;
    held_feedback_.erase(held_feedback_.begin());
  }
}

void engine::report_status(protocol::printer_state printer, protocol::camera_state camera,
                           std::string detail) {
  protocol::device_status st;
  st.printer = printer;
  st.camera = camera;
  st.detail = std::move(detail);
  status_ = std::move(st);
  send_status_if_changed(false);
}

void engine::send_status_if_changed(bool force) {
  if (!status_ || !connected_) return;
  auto st = *status_;
  st.outbox = static_cast<std::int64_t>(pending_.size());
  st.firmware = cfg_.firmware.empty() ? default_firmware() : cfg_.firmware;
  if (protocol::utf8_length(st.firmware) > protocol::limits::max_firmware) {
    st.firmware = st.firmware.substr(0, protocol::limits::max_firmware);
  }
  if (!force && status_sent_ && *status_sent_ == st) return;
  if (publish_(topics::device_up(cfg_.device_id, types::device_status),
               protocol::make_message(types::device_status, protocol::to_json(st)))) {
    status_sent_ = std::move(st);
  }
}

outcome<std::string> engine::take_local_number() {
  if (!protocol::is_local_number(cfg_.local_prefix + "-1")) {
    return fail(errc::bad_command, "local_prefix must be 1-8 of A-Z0-9");
  }
  const auto day = protocol::format_rfc3339(now_()).substr(0, 10);
  int seq = 0;
  if (auto v = db_.setting("local_seq")) {
    // "YYYY-MM-DD:N"
    if (v->size() > 11 && v->compare(0, 10, day) == 0) seq = std::atoi(v->c_str() + 11);
  }
  seq = seq % 999 + 1;
  auto saved = db_.set_setting("local_seq", day + ":" + std::to_string(seq));
  if (!saved) return saved.error();
  char buf[24];
  std::snprintf(buf, sizeof buf, "%s-%03d", cfg_.local_prefix.c_str(), seq);
  return std::string(buf);
}

void engine::accept_catalog(protocol::catalog c, bool via_down) {
  if (business_id_.empty()) {
    if (!via_down) return;
    business_id_ = c.business_id;
    (void)db_.set_setting("business_id", business_id_);
    spdlog::info("kiosk: business '{}' learned from the catalog", business_id_);
    emit(events::business{business_id_});
  } else if (c.business_id != business_id_) {
    spdlog::warn("kiosk: ignoring catalog of business '{}' (this kiosk belongs to '{}')",
                 c.business_id, business_id_);
    return;
  }
  // The hub publishes the catalog when it starts: a sign of life. Re-send what waits now rather
  // than after up to 30 s of backoff (the hub dedupes on order_id, so this is always safe).
  resend_all_now();
  if (catalog_ && c.version < catalog_->version()) {
    spdlog::debug("kiosk: ignoring catalog v{} older than cached v{}", c.version,
                  catalog_->version());
    return;
  }
  if (catalog_ && c.version == catalog_->version()) {
    if (!catalog_announced_) {
      catalog_announced_ = true;
      emit(events::catalog{business_id_, c.version});
    }
    return;
  }
  auto saved = db_.save_catalog(c, now_ms());
  if (!saved) return;  // keep serving the old one; the retained catalog comes again on reconnect
  const auto version = c.version;
  catalog_ = std::make_shared<const catalog_view>(std::move(c));
  catalog_announced_ = true;
  spdlog::info("kiosk: catalog v{} of '{}' cached ({} products)", version, business_id_,
               catalog_->catalog().products.size());
  emit(events::catalog{business_id_, version});
}

void engine::answer(const std::string& order_id, events::order_answer ev,
                    std::string_view answer_type, const std::string& body, std::string_view number,
                    std::string_view state, outbox_status status) {
  const auto it = seq_of_.find(order_id);
  if (it == seq_of_.end()) {
    spdlog::debug("kiosk: {} for order {} that is not pending (duplicate or not ours)", answer_type,
                  order_id);
    return;
  }
  auto done = db_.complete(order_id, status, answer_type, body, number, state, now_ms());
  if (!done) return;  // not recorded: stay pending, the next re-send gets the same answer again
  pending_.erase(it->second);
  seq_of_.erase(it);
  send_status_if_changed(false);
  if (!*done) return;  // already answered in the database: handled once
  emit(ev);
}

void engine::on_message(std::string_view topic, std::string_view payload) {
  try {
    const auto t = topics::parse(topic);
    if (!t) {
      spdlog::debug("kiosk: ignoring message on unexpected topic {}", topic);
      return;
    }
    const bool via_down = t->kind == topics::kind::device_down && t->id == cfg_.device_id;
    const bool via_business =
        !business_id_.empty() && t->id == business_id_ &&
        (t->kind == topics::kind::business_catalog || t->kind == topics::kind::business_orders);
    if (!via_down && !via_business) {
      spdlog::debug("kiosk: ignoring message on {} (not ours)", topic);
      return;
    }
    // A snapshot of every open order may exceed the usual 64 KiB (docs/protocol.md).
    auto env = via_down && t->type == types::orders_snapshot
                   ? protocol::decode_envelope(payload, protocol::limits::max_snapshot_payload)
                   : protocol::decode_envelope(payload);
    if (!env) {
      spdlog::warn("kiosk: ignoring bad message on {}: {} ({})", topic,
                   protocol::to_string(env.error().code), env.error().message);
      return;
    }
    const auto& type = env->type;
    if (via_down && type != t->type) {
      spdlog::warn("kiosk: ignoring message of type '{}' on {}", type, topic);
      return;
    }
    // What only the hub may say is accepted only with the hub's signature (enrolled kiosks).
    const bool signed_only = type == types::catalog || type == k_credentials || type == k_config;
    if (signed_only && cfg_.verify) {
      if (auto why = cfg_.verify(payload); !why.empty()) {
        ++rejected_unsigned_;
        spdlog::warn("kiosk: ignoring {} on {}: {} (not signed by this kiosk's hub)", type, topic, why);
        return;
      }
    }
    if (type == k_credentials && via_down) {
      if (!cfg_.verify || !cfg_.on_credentials) {
        spdlog::warn("kiosk: ignoring credentials (this kiosk has no identity)");
        return;
      }
      if (!cfg_.on_credentials(env->body)) return;
      const auto gen = env->body.value("generation", std::int64_t{0});
      publish_(topics::device_up(cfg_.device_id, k_credentials_ack),
               protocol::make_message(k_credentials_ack, nlohmann::json{{"generation", gen}}));
      return;
    }
    if (type == types::catalog && t->kind != topics::kind::business_orders) {
      auto c = protocol::decode_catalog(env->body);
      if (!c) {
        spdlog::warn("kiosk: ignoring bad catalog on {}: {}", topic, c.error().message);
        return;
      }
      accept_catalog(std::move(c).value(), via_down);
    } else if (type == types::order_accepted && via_down) {
      auto a = protocol::decode_order_accepted(env->body);
      if (!a) {
        spdlog::warn("kiosk: ignoring bad order.accepted: {}", a.error().message);
        return;
      }
      events::order_answer ev{events::order_answer::kind::accepted, a->order_id, *a, std::nullopt};
      answer(a->order_id, ev, type, env->body.dump(), a->number, protocol::to_string(a->state),
             outbox_status::done);
    } else if ((type == types::order_rejected || type == types::error) && via_down) {
      auto r = protocol::decode_rejection(env->body);
      if (!r) {
        spdlog::warn("kiosk: ignoring bad {}: {}", type, r.error().message);
        return;
      }
      const bool is_error = type == types::error;
      if (r->order_id.empty()) {
        spdlog::warn("kiosk: hub reported {} ({}): {}", protocol::to_string(r->code), type,
                     r->message);
        return;
      }
      // One rule for both answer types (protocol::is_retryable): a retryable code means the hub
      // stored nothing, so the order stays in the outbox and is re-sent with backoff.
      if (protocol::is_retryable(r->code)) {
        spdlog::warn("kiosk: hub answered {} for order {} ({}); will re-send", protocol::to_string(r->code),
                     r->order_id, r->message);
        return;
      }
      events::order_answer ev{
          is_error ? events::order_answer::kind::failed : events::order_answer::kind::rejected,
          r->order_id, std::nullopt, *r};
      answer(r->order_id, ev, type, env->body.dump(), "", is_error ? state_failed : state_rejected,
             is_error ? outbox_status::failed : outbox_status::done);
    } else if (type == types::order_status &&
               (via_down || t->kind == topics::kind::business_orders)) {
      auto s = protocol::decode_order_status(env->body);
      if (!s) {
        spdlog::warn("kiosk: ignoring bad order.status: {}", s.error().message);
        return;
      }
      // Only our own orders are tracked; the business topic carries every device's.
      auto changed = db_.update_tracking(s->order_id, s->number, protocol::to_string(s->state));
      emit(events::order_status{std::move(s).value(), changed && *changed});
    } else if (type == types::orders_snapshot && via_down) {
      auto s = protocol::decode_orders_snapshot(env->body);
      if (!s) {
        spdlog::warn("kiosk: ignoring bad orders.snapshot: {}", s.error().message);
        return;
      }
      if (!business_id_.empty() && s->business_id != business_id_) {
        spdlog::warn("kiosk: ignoring orders.snapshot of business {}", s->business_id);
        return;
      }
      emit(events::orders_snapshot{std::move(s).value()});
    } else if (type == types::order_action_result && via_down) {
      auto r = protocol::decode_order_action_result(env->body);
      if (!r) {
        spdlog::warn("kiosk: ignoring bad order.action.result: {}", r.error().message);
        return;
      }
      emit(events::action_result{std::move(r).value()});
    } else if (type == types::order_quoted && via_down) {
      auto q = protocol::decode_order_quoted(env->body);
      if (!q) {
        spdlog::warn("kiosk: ignoring bad order.quoted: {}", q.error().message);
        return;
      }
      emit(events::quoted{std::move(q).value(), true});
    } else {
      spdlog::debug("kiosk: ignoring {} on {}", type, topic);
    }
  } catch (const std::exception& e) {
    spdlog::error("kiosk: failed to handle message on {}: {}", topic, e.what());
  }
}

link_status engine::status() {
  link_status s;
  s.connected = connected_;
  s.device_id = cfg_.device_id;
  s.business_id = business_id_;
  if (catalog_) s.catalog_version = catalog_->version();
  s.outbox_pending = pending_.size();
  s.rejected_unsigned = rejected_unsigned_;
  s.orders = db_.recent(cfg_.recent_orders);
  return s;
}

}  // namespace kh::kiosk
