#include "kh/hub/http/http_server.hpp"
#include "kh/hub/metrics/metrics.hpp"

namespace kh::hub {

http_response prometheus_response(const metrics_registry& registry) {
  http_response res;
  res.content_type = "text/plain; version=0.0.4; charset=utf-8";
  res.body = registry.render_prometheus();
  return res;
}

}  // namespace kh::hub
