#include "kh/hub/fleet/dynsec_admin.hpp"

#include "kh/protocol/ids.hpp"

namespace kh::hub {

namespace dynsec = provisioning::dynsec;

dynsec_admin::dynsec_admin(publish_fn publish, std::chrono::milliseconds timeout)
    : publish_(std::move(publish)), timeout_(timeout) {}

dynsec_admin::outcome dynsec_admin::call(const std::vector<nlohmann::json>& commands,
                                         const std::set<std::string>& tolerated) {
  outcome out;
  std::string prefix;
  std::vector<std::string> keys;
  {
    std::lock_guard lk(mu_);
    // A random part too, so replies meant for an earlier hub process are never taken for ours.
    prefix = "kh-" + protocol::new_uuid().substr(0, 8) + "-" + std::to_string(next_++);
    for (std::size_t i = 0; i < commands.size(); ++i) {
      keys.push_back(prefix + ":" + std::to_string(i));
      waiting_.insert(keys.back());
    }
  }
  const auto cleanup = [&] {
    for (const auto& k : keys) {
      waiting_.erase(k);
      replies_.erase(k);
    }
  };
  if (!publish_(std::string(dynsec::control_topic), dynsec::request(commands, prefix))) {
    std::lock_guard lk(mu_);
    cleanup();
    out.error = "not connected to the broker";
    return out;
  }
  std::unique_lock lk(mu_);
  const bool all = cv_.wait_for(lk, timeout_, [&] {
    for (const auto& k : keys)
      if (!replies_.contains(k)) return false;
    return true;
  });
  if (!all) {
    cleanup();
    out.error = "timeout waiting for the broker's dynamic-security reply";
    return out;
  }
  out.ok = true;
  for (const auto& k : keys) {
    auto r = replies_[k];
    if (!r.error.empty()) {
      bool ok = false;
      for (const auto& t : tolerated)
        if (r.error.find(t) != std::string::npos) ok = true;
      if (!ok && out.ok) {
        out.ok = false;
        out.error = r.command + ": " + r.error;
      }
    }
    out.replies.push_back(std::move(r));
  }
  cleanup();
  return out;
}

void dynsec_admin::on_response(std::string_view payload) {
  auto replies = dynsec::parse_response(payload);
  {
    std::lock_guard lk(mu_);
    for (auto& r : replies) {
      if (waiting_.contains(r.correlation)) replies_[r.correlation] = std::move(r);
    }
  }
  cv_.notify_all();
}

}  // namespace kh::hub
