// TCP_NODELAY for Paho's sockets. Paho MQTT C 1.3.12 never sets it and exposes no socket, so with
// Nagle on, a QoS 1 exchange waits for delayed ACKs (~40 ms per round trip). We find this process's
// TCP sockets whose peer is the broker (via /proc/self/fd + getpeername) and set the option there.

#include <arpa/inet.h>
#include <dirent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kh/mqtt/client.hpp"

namespace kh::mqtt {
namespace {

// Resolved peer addresses to compare against (both families for "localhost").
std::vector<sockaddr_storage> resolve(std::string_view host, std::uint16_t port) {
  std::vector<sockaddr_storage> out;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  std::string p = std::to_string(port);
  if (getaddrinfo(h.c_str(), p.c_str(), &hints, &res) != 0) return out;
  for (auto* ai = res; ai; ai = ai->ai_next) {
    sockaddr_storage ss{};
    std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    out.push_back(ss);
  }
  freeaddrinfo(res);
  return out;
}

bool same_endpoint(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    auto& x = reinterpret_cast<const sockaddr_in&>(a);
    auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    auto& y = reinterpret_cast<const sockaddr_in6&>(b);
    return x.sin6_port == y.sin6_port &&
           std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof(in6_addr)) == 0;
  }
  return false;
}

// Calls fn(fd) for every TCP socket of this process connected to one of the peers.
template <class Fn>
void for_each_socket_to(const std::vector<sockaddr_storage>& peers, Fn&& fn) {
  if (peers.empty()) return;
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return;
  std::vector<int> fds;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0') continue;
    if (fd == dirfd(dir)) continue;
    fds.push_back(static_cast<int>(fd));
  }
  closedir(dir);
  for (int fd : fds) {
    int type = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) continue;
    sockaddr_storage peer{};
    socklen_t plen = sizeof(peer);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &plen) != 0) continue;
    for (const auto& want : peers) {
      if (same_endpoint(peer, want)) {
        fn(fd);
        break;
      }
    }
  }
}

}  // namespace

int set_tcp_nodelay_to_peer(std::string_view host, std::uint16_t port) {
  int count = 0;
  for_each_socket_to(resolve(host, port), [&](int fd) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0) ++count;
  });
  return count;
}

nodelay_report tcp_nodelay_status(std::string_view host, std::uint16_t port) {
  nodelay_report r;
  for_each_socket_to(resolve(host, port), [&](int fd) {
    ++r.sockets;
    int v = 0;
    socklen_t len = sizeof(v);
    if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && v) ++r.nodelay;
  });
  return r;
}

std::optional<endpoint> parse_uri(std::string_view uri) {
  std::string_view rest;
  bool tls = false;
  for (std::string_view scheme : {"tcp://", "mqtt://", "ssl://", "mqtts://"}) {
    if (uri.substr(0, scheme.size()) == scheme) {
      rest = uri.substr(scheme.size());
      tls = scheme == "ssl://" || scheme == "mqtts://";
    }
  }
  if (rest.empty()) return std::nullopt;
  endpoint ep;
  ep.tls = tls;
  if (tls) ep.port = 8883;
  std::string_view host = rest;
  std::string_view port;
  if (rest.front() == '[') {  // [::1]:1883
    auto close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = rest.substr(0, close + 1);
    auto after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty() || host.find('/') != std::string_view::npos) return std::nullopt;
  ep.host = std::string(host);
  if (!port.empty()) {
    unsigned long v = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<unsigned long>(c - '0');
      if (v > 65535) return std::nullopt;
    }
    if (v == 0) return std::nullopt;
    ep.port = static_cast<std::uint16_t>(v);
  }
  return ep;
}

}  // namespace kh::mqtt
