#include "kh/kiosk/headless/headless.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "kh/kiosk/core/cart.hpp"

namespace kh::kiosk::headless {

using json = nlohmann::ordered_json;

namespace {

json money_json(const protocol::money& m) {
  return json{{"amount", m.amount}, {"currency", m.currency}};
}

json null_if_empty(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}

}  // namespace

std::string to_line(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json catalog_reply(const catalog_view* view) {
  if (view == nullptr) {
    return error_reply("catalog",
                       fail(errc::no_catalog, "no catalog cached yet; waiting for the hub"));
  }
  const auto& c = view->catalog();
  json products = json::array();
  for (const auto& p : c.products) {
    products.push_back(json{{"id", p.id},
                            {"sku", p.sku},
                            {"name", p.name},
                            {"price", money_json(p.price)},
                            {"available", p.available},
                            {"stock", p.stock ? json(*p.stock) : json(nullptr)}});
  }
  return json{{"ok", true},
              {"cmd", "catalog"},
              {"version", c.version},
              {"business_id", c.business_id},
              {"products", std::move(products)}};
}

json queued_reply(const std::string& order_id) {
  return json{{"ok", true}, {"cmd", "order"}, {"event", "queued"}, {"order_id", order_id}};
}

json error_reply(const std::string& cmd, const failure& f) {
  json j{{"ok", false}};
  if (!cmd.empty()) j["cmd"] = cmd;
  j["error"] = to_string(f.code);
  j["message"] = f.message;
  return j;
}

json status_reply(const link_status& s) {
  json orders = json::array();
  for (const auto& o : s.orders) {
    orders.push_back(
        json{{"order_id", o.order_id}, {"state", o.state}, {"number", null_if_empty(o.number)}});
  }
  return json{{"ok", true},
              {"cmd", "status"},
              {"connected", s.connected},
              {"device", s.device_id},
              {"business_id", null_if_empty(s.business_id)},
              {"catalog_version", s.catalog_version ? json(*s.catalog_version) : json(nullptr)},
              {"outbox_pending", s.outbox_pending},
              {"rejected_unsigned", s.rejected_unsigned},
              {"orders", std::move(orders)}};
}

json wait_reply(std::size_t pending) {
  return json{{"ok", true}, {"cmd", "wait"}, {"outbox_pending", pending}};
}

std::optional<json> event_line(const link_event& ev) {
  if (const auto* c = std::get_if<events::connection>(&ev)) {
    return json{{"event", c->connected ? "connected" : "disconnected"}};
  }
  if (const auto* c = std::get_if<events::catalog>(&ev))
    return json{{"event", "catalog"}, {"version", c->version}};
  if (const auto* a = std::get_if<events::order_answer>(&ev)) {
    if (a->outcome == events::order_answer::kind::accepted && a->accepted) {
      const auto& x = *a->accepted;
      return json{{"ok", true},
                  {"cmd", "order"},
                  {"event", "accepted"},
                  {"order_id", x.order_id},
                  {"number", x.number},
                  {"state", protocol::to_string(x.state)},
                  {"subtotal", money_json(x.subtotal)},
                  {"tax", money_json(x.tax)},
                  {"discount", money_json(x.discount)},
                  {"total", money_json(x.total)},
                  {"eta", x.eta}};
    }
    if (a->rejection) {
      return json{
          {"ok", false},
          {"cmd", "order"},
          {"event", a->outcome == events::order_answer::kind::failed ? "failed" : "rejected"},
          {"order_id", a->order_id},
          {"code", protocol::to_string(a->rejection->code)},
          {"message", a->rejection->message}};
    }
  }
  return std::nullopt;
}

namespace {

std::atomic<bool> g_stop{false};
int g_wake[2] = {-1, -1};

extern "C" void on_signal(int) {
  g_stop.store(true);
  if (g_wake[1] >= 0) {
    const char b = 1;
    [[maybe_unused]] auto n = ::write(g_wake[1], &b, 1);  // async-signal-safe
  }
}

class writer {
 public:
  explicit writer(std::FILE* out) : out_(out) {}
  void line(const json& j) {
    const auto s = to_line(j);
    std::lock_guard lk(mu_);
    std::fwrite(s.data(), 1, s.size(), out_);
    std::fputc('\n', out_);
    std::fflush(out_);
  }

 private:
  std::mutex mu_;
  std::FILE* out_;
};

// Returns false when the session should end.
bool handle(const std::string& raw, link& lk, writer& out) {
  auto parsed = parse_command(raw);
  if (auto* e = std::get_if<command_error>(&parsed)) {
    out.line(error_reply(e->cmd, e->why));
    return true;
  }
  const auto& cmd = std::get<command>(parsed);
  if (std::holds_alternative<commands::catalog>(cmd)) {
    out.line(catalog_reply(lk.catalog().get()));
  } else if (const auto* o = std::get_if<commands::order>(&cmd)) {
    const auto view = lk.catalog();
    if (!view) {
      out.line(error_reply("order",
                           fail(errc::no_catalog, "no catalog cached yet; cannot resolve SKUs")));
      return true;
    }
    cart c;
    for (const auto& item : o->items) {
      auto added = c.add_sku(*view, item.sku, item.qty);
      if (!added) {
        out.line(error_reply("order", added.error()));
        return true;
      }
    }
    // "queued" is printed on the link's thread right after the commit, so it always precedes the
    // answer.
    auto r = lk.submit(c, o->type, o->payment,
                       [&out](const std::string& id) { out.line(queued_reply(id)); });
    if (!r) out.line(error_reply("order", r.error()));
  } else if (std::holds_alternative<commands::status>(cmd)) {
    out.line(status_reply(lk.status()));
  } else if (std::holds_alternative<commands::wait>(cmd)) {
    out.line(wait_reply(lk.wait_idle(std::chrono::seconds{30}, &g_stop)));
  } else if (std::holds_alternative<commands::quit>(cmd)) {
    return false;
  }
  return true;
}

}  // namespace

int run(link_options opts, int in_fd, std::FILE* out_file) {
  // stdout carries only JSON lines: every log line goes to stderr.
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "kiosk", std::make_shared<spdlog::sinks::stderr_color_sink_mt>()));

  writer out(out_file);
  auto opened = link::open(std::move(opts), [&out](const link_event& ev) {
    if (auto j = event_line(ev)) out.line(*j);
  });
  if (!opened) {
    spdlog::critical("kiosk: {}", opened.error().message);
    return 1;
  }
  auto& lk = **opened;

  g_stop.store(false);
  if (::pipe2(g_wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    spdlog::critical("kiosk: pipe: {}", std::strerror(errno));
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);
  std::signal(SIGPIPE,
              SIG_IGN);  // a closed stdout must not kill the kiosk before it says "offline"

  lk.start();

  std::string buf;
  bool discarding = false;  // inside an over-long line: drop until its newline
  bool running = true;
  bool quit_cmd = false;
  char chunk[4096];
  while (running && !g_stop.load()) {
    pollfd fds[2] = {{in_fd, POLLIN, 0}, {g_wake[0], POLLIN, 0}};
    const int n = ::poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("kiosk: poll: {}", std::strerror(errno));
      break;
    }
    if (fds[1].revents != 0) break;
    if (fds[0].revents == 0) continue;
    const auto got = ::read(in_fd, chunk, sizeof chunk);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      spdlog::error("kiosk: reading commands: {}", std::strerror(errno));
      break;
    }
    if (got == 0) {  // end of input: a last line without newline still counts
      if (!discarding && !buf.empty() && buf.find_first_not_of(" \t\r") != std::string::npos) {
        quit_cmd = !handle(buf, lk, out);
      }
      break;
    }
    buf.append(chunk, static_cast<std::size_t>(got));
    std::size_t start = 0;
    while (running) {
      const auto nl = buf.find('\n', start);
      if (nl == std::string::npos) break;
      const std::string line = buf.substr(start, nl - start);
      start = nl + 1;
      if (discarding) {
        discarding = false;
        continue;
      }
      if (line.find_first_not_of(" \t\r") == std::string::npos)
        continue;  // blank lines are ignored
      if (!handle(line, lk, out)) {
        running = false;
        quit_cmd = true;
      }
    }
    buf.erase(0, start);
    if (running && buf.size() > max_command_line) {
      if (!discarding) {
        out.line(error_reply(
            "", fail(errc::bad_command,
                     "command line longer than " + std::to_string(max_command_line) + " bytes")));
      }
      discarding = true;
      buf.clear();
    }
  }

  lk.stop();
  if (quit_cmd) out.line(json{{"ok", true}, {"cmd", "quit"}});
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  ::close(g_wake[0]);
  ::close(g_wake[1]);
  g_wake[0] = g_wake[1] = -1;
  return 0;
}

}  // namespace kh::kiosk::headless
