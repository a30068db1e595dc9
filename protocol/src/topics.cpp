#include "kh/protocol/topics.hpp"

#include <vector>

#include "kh/protocol/ids.hpp"
#include "kh/protocol/messages.hpp"

namespace kh::protocol::topics {

namespace {
constexpr std::string_view device_prefix = "kh/v1/d/";
constexpr std::string_view business_prefix = "kh/v1/b/";

std::string join(std::string_view a, std::string_view b, std::string_view c) {
  std::string out;
  out.reserve(a.size() + b.size() + c.size());
  out.append(a).append(b).append(c);
  return out;
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto slash = s.find('/', start);
    if (slash == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
}
}  // namespace

std::string device_up(std::string_view device, std::string_view type) {
  return join(device_prefix, device, "/up/").append(type);
}
std::string device_down(std::string_view device, std::string_view type) {
  return join(device_prefix, device, "/down/").append(type);
}
std::string presence(std::string_view device) {
  return join(device_prefix, device, "/presence");
}
std::string business_catalog(std::string_view business) {
  return join(business_prefix, business, "/catalog");
}
std::string business_orders(std::string_view business) {
  return join(business_prefix, business, "/orders");
}
std::string device_down_filter(std::string_view device) {
  return join(device_prefix, device, "/down/+");
}

std::optional<parsed> parse(std::string_view topic) {
  // Longest valid topic: prefix + 64-char id + "/down/" + 64-char type. Anything far longer is
  // junk.
  if (topic.size() > 256) return std::nullopt;
  const auto p = split(topic);
  if (p.size() < 5 || p[0] != "kh" || p[1] != "v1") return std::nullopt;
  if (!is_slug_id(p[3])) return std::nullopt;  // also rules out '+', '#' and empty levels
  if (p[2] == "d") {
    if (p.size() == 5 && p[4] == "presence") return parsed{kind::presence, std::string(p[3]), {}};
    if (p.size() == 6 && (p[4] == "up" || p[4] == "down") && is_type_word(p[5])) {
      return parsed{p[4] == "up" ? kind::device_up : kind::device_down, std::string(p[3]),
                    std::string(p[5])};
    }
    return std::nullopt;
  }
  if (p[2] == "b" && p.size() == 5) {
    if (p[4] == "catalog") return parsed{kind::business_catalog, std::string(p[3]), {}};
    if (p[4] == "orders") return parsed{kind::business_orders, std::string(p[3]), {}};
  }
  return std::nullopt;
}

}  // namespace kh::protocol::topics
