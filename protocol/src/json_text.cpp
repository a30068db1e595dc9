// The order path's bodies written straight into a string: the same bytes as to_json(m).dump(),
// without building a JSON tree (each node is an allocation; the tree and its dump were a fifth of
// the hub's instructions per order). nlohmann::json keeps object keys sorted (std::map), so every
// object below writes its keys in byte order; the tests compare both ways on varied messages.
#include <charconv>
#include <stdexcept>

#include "kh/protocol/codec.hpp"

namespace kh::protocol {
namespace {

// Writes JSON tokens; commas by nesting level (the bodies here are at most 5 deep).
class writer {
 public:
  explicit writer(std::string& out) : out_(out) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  // A key from this file: plain ASCII, nothing to escape.
  writer& key(std::string_view k) {
    comma();
    out_ += '"';
    out_ += k;
    out_ += "\":";
    after_key_ = true;
    return *this;
  }
  void string(std::string_view v) {
    comma();
    escaped(v);
  }
  void number(std::int64_t v) {
    comma();
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }
  void money_value(const money& m) {
    begin_object();
    key("amount").number(m.amount);
    key("currency").string(m.currency);
    end_object();
  }

 private:
  void open(char c) {
    comma();
    out_ += c;
    first_[++depth_] = true;
  }
  void close(char c) {
    out_ += c;
    --depth_;
  }
  void comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (depth_ >= 0) {
      if (!first_[depth_]) out_ += ',';
      first_[depth_] = false;
    }
  }
  // As nlohmann's dump (ensure_ascii off): the two-character escapes, other control characters
  // as \u00xx, everything else as is; text that is not UTF-8 is refused as dump() refuses it.
  void escaped(std::string_view v) {
    out_ += '"';
    std::size_t run = 0;  // start of the bytes not yet copied
    for (std::size_t i = 0; i < v.size();) {
      const auto c = static_cast<unsigned char>(v[i]);
      if (c >= 0x80) {
        i += utf8_length(v, i);
        continue;
      }
      const char* esc = nullptr;
      switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: break;
      }
      if (esc == nullptr && c >= 0x20) {
        ++i;
        continue;
      }
      out_.append(v.data() + run, i - run);
      if (esc != nullptr) {
        out_ += esc;
      } else {
        constexpr char hex[] = "0123456789abcdef";
        out_ += "\\u00";
        out_ += hex[c >> 4];
        out_ += hex[c & 0xF];
      }
      run = ++i;
    }
    out_.append(v.data() + run, v.size() - run);
    out_ += '"';
  }
  // Length of the UTF-8 sequence at i (lead byte >= 0x80), or throws.
  static std::size_t utf8_length(std::string_view v, std::size_t i) {
    const auto c = static_cast<unsigned char>(v[i]);
    std::size_t n = 0;
    unsigned min = 0;
    unsigned cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2, min = 0x80, cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3, min = 0x800, cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4, min = 0x10000, cp = c & 0x07u;
    } else {
      throw std::invalid_argument("text is not UTF-8");
    }
    if (i + n > v.size()) throw std::invalid_argument("text is not UTF-8");
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(v[i + k]);
      if ((cc & 0xC0u) != 0x80u) throw std::invalid_argument("text is not UTF-8");
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) throw std::invalid_argument("text is not UTF-8");
    return n;
  }

  std::string& out_;
  bool first_[16] = {};
  int depth_ = -1;
  bool after_key_ = false;
};

void write_open_order(writer& w, const open_order& m) {
  // Keys in byte order: channel, created_at, customer_name, discount, eta, lines, number,
  // order_id, order_type, paid_at, payment_method, state, subtotal, table, tax, ticket, total.
  w.begin_object();
  w.key("channel").string(to_string(m.channel));
  w.key("created_at").string(m.created_at);
  if (!m.customer_name.empty()) w.key("customer_name").string(m.customer_name);
  w.key("discount").money_value(m.discount);
  if (!m.eta.empty()) w.key("eta").string(m.eta);
  w.key("lines").begin_array();
  for (const auto& l : m.lines) {
    // name, note, options, product_id, qty
    w.begin_object();
    w.key("name").string(l.name);
    if (!l.note.empty()) w.key("note").string(l.note);
    if (!l.options.empty()) {
      w.key("options").begin_array();
      for (const auto& o : l.options) {
        w.begin_object();  // group, name, option
        w.key("group").string(o.group);
        w.key("name").string(o.name);
        w.key("option").string(o.option);
        w.end_object();
      }
      w.end_array();
    }
    w.key("product_id").string(l.product_id);
    w.key("qty").number(l.qty);
    w.end_object();
  }
  w.end_array();
  w.key("number").string(m.number);
  w.key("order_id").string(m.order_id);
  w.key("order_type").string(to_string(m.type));
  if (!m.paid_at.empty()) w.key("paid_at").string(m.paid_at);
  w.key("payment_method").string(to_string(m.payment));
  w.key("state").string(to_string(m.state));
  w.key("subtotal").money_value(m.subtotal);
  if (!m.table.empty()) w.key("table").string(m.table);
  w.key("tax").money_value(m.tax);
  w.key("ticket").string(m.ticket);
  w.key("total").money_value(m.total);
  w.end_object();
}

}  // namespace

std::string to_json_text(const order_status& m) {
  std::string out;
  out.reserve(m.order ? 640 + 160 * m.order->lines.size() : 256);
  writer w(out);
  // at, by, eta, number, order, order_id, previous, seq, state
  w.begin_object();
  if (!m.at.empty()) w.key("at").string(m.at);
  if (!m.by.empty()) w.key("by").string(m.by);
  if (!m.eta.empty()) w.key("eta").string(m.eta);
  w.key("number").string(m.number);
  if (m.order) {
    w.key("order");
    write_open_order(w, *m.order);
  }
  w.key("order_id").string(m.order_id);
  if (m.previous) w.key("previous").string(to_string(*m.previous));
  if (m.seq) w.key("seq").number(*m.seq);
  w.key("state").string(to_string(m.state));
  w.end_object();
  return out;
}

std::string to_json_text(const order_accepted& m) {
  std::string out;
  out.reserve(384);
  writer w(out);
  // delivery_fee, discount, eta, number, order_id, state, subtotal, tax, total, tracking_url
  w.begin_object();
  if (m.delivery_fee) w.key("delivery_fee").money_value(*m.delivery_fee);
  w.key("discount").money_value(m.discount);
  w.key("eta").string(m.eta);
  w.key("number").string(m.number);
  w.key("order_id").string(m.order_id);
  w.key("state").string(to_string(m.state));
  w.key("subtotal").money_value(m.subtotal);
  w.key("tax").money_value(m.tax);
  w.key("total").money_value(m.total);
  if (!m.tracking_url.empty()) w.key("tracking_url").string(m.tracking_url);
  w.end_object();
  return out;
}

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  writer w(out);
  w.string(text);
  return out;
}

std::string to_json_text(const order_submit& m) {
  std::string out;
  out.reserve(160 + 96 * m.lines.size());
  writer w(out);
  // customer, delivery_address, discount_code, lines, local_number, order_id, order_type,
  // payment_method, pickup_at, placed_at, table
  w.begin_object();
  if (!m.cust.name.empty() || !m.cust.phone.empty() || !m.cust.email.empty()) {
    w.key("customer").begin_object();  // email, name, phone
    if (!m.cust.email.empty()) w.key("email").string(m.cust.email);
    if (!m.cust.name.empty()) w.key("name").string(m.cust.name);
    if (!m.cust.phone.empty()) w.key("phone").string(m.cust.phone);
    w.end_object();
  }
  if (!m.delivery_address.empty()) w.key("delivery_address").string(m.delivery_address);
  if (!m.discount_code.empty()) w.key("discount_code").string(m.discount_code);
  w.key("lines").begin_array();
  for (const auto& l : m.lines) {
    w.begin_object();  // note, options, product_id, qty
    if (!l.note.empty()) w.key("note").string(l.note);
    if (!l.options.empty()) {
      w.key("options").begin_array();
      for (const auto& o : l.options) {
        w.begin_object();  // group, option
        w.key("group").string(o.group_id);
        w.key("option").string(o.option_id);
        w.end_object();
      }
      w.end_array();
    }
    w.key("product_id").string(l.product_id);
    w.key("qty").number(l.qty);
    w.end_object();
  }
  w.end_array();
  if (!m.local_number.empty()) w.key("local_number").string(m.local_number);
  w.key("order_id").string(m.order_id);
  w.key("order_type").string(to_string(m.type));
  w.key("payment_method").string(to_string(m.payment));
  if (!m.pickup_at.empty()) w.key("pickup_at").string(m.pickup_at);
  if (!m.placed_at.empty()) w.key("placed_at").string(m.placed_at);
  if (!m.table.empty()) w.key("table").string(m.table);
  w.end_object();
  return out;
}

}  // namespace kh::protocol
