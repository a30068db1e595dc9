#pragma once
// Fan-out of the business' order events to the dashboard's open live streams (server-sent
// events). The writer formats each event once and posts it to the HTTP thread, which pushes it
// into every open stream of that business: neither thread waits for a client (a stream that
// falls too far behind is cut off and resumes with Last-Event-ID from the database).

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "kh/hub/http/http_server.hpp"

namespace kh::hub::web {

class sse_hub {
 public:
  /// Registers a stream that has seen every event up to `last_seq` (its backlog was sent).
  void add(const std::string& business_id, std::shared_ptr<http_stream> s, std::int64_t last_seq);
  /// Pushes one formatted event (`id: seq`) to the business' streams that have not had it yet;
  /// drops closed ones. Returns how many got it.
  std::size_t publish(const std::string& business_id, std::int64_t seq, const std::shared_ptr<const std::string>& frame);
  /// Streams open for the business (closed ones are dropped on the next publish).
  std::size_t open(const std::string& business_id);

  /// One SSE frame: "id: <seq>\nevent: <event>\ndata: <json>\n\n" (json has no newline).
  static std::string frame(std::int64_t seq, const std::string& event, const std::string& json);

 private:
  struct sub {
    std::shared_ptr<http_stream> s;
    std::int64_t last_seq = 0;
  };
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<sub>> subs_;
};

}  // namespace kh::hub::web
