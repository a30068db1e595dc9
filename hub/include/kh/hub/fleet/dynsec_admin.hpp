#pragma once
// The hub as the broker's dynamic-security admin client: sends command batches on
// $CONTROL/dynamic-security/v1 over the hub's own MQTT connection and waits (bounded) for the
// matching replies on .../response. `call` blocks the calling thread (the hub's io thread, for
// rare fleet operations only); replies are fed from Paho's thread by `on_response`, which never
// waits, so the two cannot deadlock.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kh/provisioning/dynsec.hpp"

namespace kh::hub {

class dynsec_admin {
 public:
  /// Publishes one QoS 1 message (not retained); false when it could not be queued.
  using publish_fn = std::function<bool(const std::string& topic, std::string payload)>;

  explicit dynsec_admin(publish_fn publish, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

  struct outcome {
    bool ok = false;
    std::string error;  ///< first failing command's error ("timeout", "not connected", broker text)
    std::vector<provisioning::dynsec::reply> replies;
  };
  /// Sends the commands as one request and waits for every reply (default timeout 5 s). A command
  /// whose error text contains one of `tolerated` counts as done (e.g. "not found" on delete).
  outcome call(const std::vector<nlohmann::json>& commands, const std::set<std::string>& tolerated = {});

  /// A payload from the response topic (any thread, never blocks).
  void on_response(std::string_view payload);

 private:
  publish_fn publish_;
  std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t next_ = 1;
  std::map<std::string, provisioning::dynsec::reply> replies_;  // by correlation
  std::set<std::string> waiting_;                                // correlations someone waits for
};

}  // namespace kh::hub
