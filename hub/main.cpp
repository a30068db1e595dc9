// kioskhub — the hub server and its maintenance commands. Thin: parses flags, wires kh::hub.
//   kioskhub serve --data DIR --mqtt URL [--mqtt-username U --mqtt-password P] --http HOST:PORT [--config FILE]
//   kioskhub init --data DIR
//   kioskhub seed-demo --data DIR
//   kioskhub backup --data DIR --out FILE
//   kioskhub stock --data DIR --product ID (--set N | --untracked) [--business ID|SLUG]
//   kioskhub api-token create --data DIR --business ID|SLUG [--name N] | revoke --id ID | list
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "kh/hub/storage/backup.hpp"
#include "kh/hub/catalog/catalog_service.hpp"
#include "kh/hub/hub.hpp"
#include "kh/hub/orders/order_rules.hpp"
#include "kh/hub/catalog/seed.hpp"
#include "kh/hub/fleet/fleet_api.hpp"
#include "kh/hub/storage/store.hpp"

namespace {

struct serve_flags {
  kh::hub::hub_options hub;
  std::string http = "127.0.0.1:8080";
  std::string https = "0.0.0.0:8443";
  std::string sync = "full";
  int expiry_minutes = 15;
  std::string log_level = "info";
};

void add_serve_flags(CLI::App& app, serve_flags& f) {
  app.add_option("--data", f.hub.data_dir, "Data directory: kioskhub.db (SQLite, WAL) and hub.json live here")
      ->required();
  app.add_option("--mqtt", f.hub.mqtt_uri, "MQTT broker URL, e.g. tcp://127.0.0.1:1883")->required();
  app.add_option("--mqtt-username", f.hub.mqtt_username, "MQTT user name (default: none)");
  app.add_option("--mqtt-password", f.hub.mqtt_password, "MQTT password (default: none; or env KH_MQTT_PASSWORD)")
      ->envname("KH_MQTT_PASSWORD");
  app.add_option("--mqtt-client-id", f.hub.mqtt_client_id,
                 "MQTT client id; the broker keeps the hub's persistent session under it")
      ->capture_default_str();
  app.add_option("--mqtt-ca", f.hub.mqtt_ca_file,
                 "CA certificate (PEM) of an ssl:// broker; also handed to devices at enrollment");
  app.add_flag("--manage-broker", f.hub.manage_broker,
               "Create, rotate and delete a broker account per device through Mosquitto dynamic security "
               "(the hub's MQTT account must be the dynsec admin: kioskctl broker-config)");
  app.add_option("--device-mqtt", f.hub.device_mqtt_uri,
                 "Broker URL handed to devices at enrollment (default: --mqtt)");
  app.add_option("--https", f.https,
                 "HTTPS address HOST:PORT (with --tls-cert and --tls-key); it relays to the HTTP server, so bind "
                 "--http to 127.0.0.1 when only HTTPS should be reachable")
      ->capture_default_str();
  app.add_option("--tls-cert", f.hub.tls_cert_file, "PEM certificate for HTTPS (e.g. from kioskctl ca issue)");
  app.add_option("--tls-key", f.hub.tls_key_file, "PEM private key for HTTPS");
  app.add_option("--signing-key", f.hub.signing_key_file,
                 "Ed25519 key that signs catalogs and device messages (default: DIR/signing.key, made 0600)");
  app.add_option("--http", f.http,
                 "Ops HTTP address HOST:PORT for /healthz and /metrics; port 0 picks a free port (logged as "
                 "'http listening on HOST:PORT' and written to DIR/hub.json)")
      ->capture_default_str();
  app.add_option("--public-url", f.hub.public_url,
                 "Base URL that QR codes, links, enrollment URIs and order.accepted's tracking URL "
                 "(<URL>/o/<order id>) carry, and under which kiosks fetch product images (<URL>/img/), "
                 "e.g. https://shop.example.com (default: links from the request's Host header; "
                 "images at http://HOST:PORT of --http)");
  app.add_option("--sync", f.sync,
                 "SQLite durability: full (an answered order survives a power cut; one fsync per group commit) or "
                 "normal (survives any process crash, but a power cut can lose the last answered orders)")
      ->check(CLI::IsMember({"normal", "full"}))
      ->capture_default_str();
  app.add_option("--order-expiry-minutes", f.expiry_minutes, "Cancel orders unpaid after this many minutes")
      ->check(CLI::Range(1, 7 * 24 * 60))
      ->capture_default_str();
  app.add_flag("--init", f.hub.init,
               "Create the database if the data dir has none (or a 0-byte one); without it the hub refuses to start "
               "on an existing data dir with no database");
  app.add_option("--device-order-rate", f.hub.ingress.order_rate_per_second,
                 "Orders per second one device may place, sustained (0: no limit); more are answered rate_limited")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  app.add_option("--device-order-burst", f.hub.ingress.order_burst, "Orders one device may place at once")
      ->check(CLI::Range(1.0, 1e6))
      ->capture_default_str();
  app.add_option("--unpaid-hold-limit", f.hub.unpaid_hold_limit,
                 "Units of stock-tracked products one device may hold in unpaid orders (0: no cap); more are "
                 "answered hold_limit")
      ->check(CLI::Range(0, 1000000000))
      ->capture_default_str();
  app.add_option("--live-coalesce-ms", f.hub.live_coalesce_ms,
                 "Dashboard live streams: order events within this many ms of a fan-out go out together at its end, "
                 "one write per stream (0: every event at once)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app.add_option("--intake-max-messages", f.hub.intake.max_messages,
                 "Messages the intake queue holds at most; one device gets 1/8 of it and of the byte cap; past "
                 "either, messages are answered busy (retryable)")
      ->check(CLI::Range(std::size_t{8}, std::size_t{10'000'000}))
      ->capture_default_str();
  app.add_option("--intake-max-bytes", f.hub.intake.max_bytes, "Bytes (topic + payload) the intake queue holds at most")
      ->check(CLI::Range(std::size_t{1} << 20, std::size_t{1} << 34))
      ->capture_default_str();
  app.add_option("--log-level", f.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
}

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("kioskhub");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::info);
}

int serve(serve_flags& f) {
  setup_logging(f.log_level);
  const auto hp = kh::hub::parse_host_port(f.http);
  if (!hp) {
    spdlog::error("--http wants HOST:PORT, got '{}'", f.http);
    return 2;
  }
  f.hub.http_host = hp->first;
  f.hub.http_port = hp->second;
  const auto sp = kh::hub::parse_host_port(f.https);
  if (!sp) {
    spdlog::error("--https wants HOST:PORT, got '{}'", f.https);
    return 2;
  }
  f.hub.https_host = sp->first;
  f.hub.https_port = sp->second;
  if (f.hub.tls_cert_file.empty() != f.hub.tls_key_file.empty()) {
    spdlog::error("HTTPS needs both --tls-cert and --tls-key");
    return 2;
  }
  f.hub.sync = f.sync == "full" ? kh::hub::sqlite::durability::full : kh::hub::sqlite::durability::normal;
  f.hub.order_expiry = std::chrono::minutes(f.expiry_minutes);
  // A write past RLIMIT_FSIZE must fail with EFBIG (an error SQLite reports, so the order is
  // answered `internal`, retryable), not kill the hub with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    kh::hub::hub h(f.hub);
    return h.run();
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const char* about =
      "kioskhub — the Kioskhub hub: orders from kiosks over MQTT, stored in SQLite.\n"
      "Run 'kioskhub COMMAND --help' for the flags of a command.";

  // `serve` is parsed by its own CLI::App so that --config FILE (TOML or INI with the same keys
  // as the long flags, e.g. `mqtt = "tcp://127.0.0.1:1883"`) works with flat keys; CLI11 only
  // reads config files for the top-level app.
  if (argc >= 2 && std::string_view(argv[1]) == "serve") {
    CLI::App app{"kioskhub serve: run the hub until SIGINT/SIGTERM", "kioskhub serve"};
    serve_flags f;
    add_serve_flags(app, f);
    app.set_config("--config", "", "Read flags from this TOML/INI file (command-line flags win)");
    try {
      app.parse(argc - 1, argv + 1);
    } catch (const CLI::ParseError& e) {
      return app.exit(e);
    }
    return serve(f);
  }

  CLI::App app{about, "kioskhub"};
  app.require_subcommand(1);
  // `kioskhub --help` explains every command and every flag at once.
  app.set_help_flag();
  app.set_help_all_flag("-h,--help", "Print this help: every command and its flags");

  // Listed here for --help; parsed above.
  serve_flags help_only;
  auto* serve_cmd = app.add_subcommand("serve", "Run the hub (MQTT ingress, order placement, ops HTTP)");
  add_serve_flags(*serve_cmd, help_only);
  serve_cmd->add_option("--config", "Read flags from this TOML/INI file (command-line flags win)");

  std::string data_dir;
  auto* init_cmd = app.add_subcommand(
      "init", "Create (or migrate) the database in a data dir; 'serve' refuses an existing data dir without one");
  init_cmd->add_option("--data", data_dir, "Data directory (created if missing)")->required();

  auto* seed_cmd = app.add_subcommand(
      "seed-demo", "Create the demo café and devices kiosk-1 (shop), counter-1 (counter), board-1 (board) once; print them as JSON");
  seed_cmd->add_option("--data", data_dir, "Data directory (created if missing)")->required();

  std::string out_file;
  auto* backup_cmd = app.add_subcommand("backup", "Copy the live database with SQLite's online backup API");
  backup_cmd->add_option("--data", data_dir, "Data directory of the hub")->required();
  backup_cmd->add_option("--out", out_file, "Backup file to write (replaced atomically)")->required();

  std::string business = kh::hub::demo_slug;
  std::string product;
  std::int64_t stock = 0;
  bool untracked = false;
  auto* stock_cmd = app.add_subcommand(
      "stock", "Set a product's units on hand (the running hub republishes the catalog on its next change)");
  stock_cmd->add_option("--data", data_dir, "Data directory of the hub")->required();
  stock_cmd->add_option("--business", business, "Business id or slug")->capture_default_str();
  stock_cmd->add_option("--product", product, "Product id")->required();
  auto* set_opt = stock_cmd->add_option("--set", stock, "Units on hand")->check(CLI::Range(0, 1000000000));
  auto* untracked_opt = stock_cmd->add_flag("--untracked", untracked, "Stop tracking stock for the product");
  set_opt->excludes(untracked_opt);

  auto* token_cmd = app.add_subcommand("api-token", "API tokens for kioskctl (enrollment, devices)");
  token_cmd->require_subcommand(1);
  std::string token_name = "kioskctl", token_id;
  auto* token_create = token_cmd->add_subcommand(
      "create", "Make an API token for a business and print it once (kha1.…; only its hash is stored)");
  token_create->add_option("--data", data_dir, "Data directory of the hub")->required();
  token_create->add_option("--business", business, "Business id or slug")->required();
  token_create->add_option("--name", token_name, "What the token is for")->capture_default_str();
  auto* token_revoke = token_cmd->add_subcommand("revoke", "Revoke an API token by its id (the part after kha1.)");
  token_revoke->add_option("--data", data_dir, "Data directory of the hub")->required();
  token_revoke->add_option("--id", token_id, "Token id (16 hex)")->required();
  auto* token_list = token_cmd->add_subcommand("list", "List API tokens (ids, never secrets) as JSON");
  token_list->add_option("--data", data_dir, "Data directory of the hub")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  // Maintenance commands: logs (if any) to stderr, results to stdout. Their writes are as
  // durable as the hub's default.
  setup_logging("warn");
  const kh::hub::store_options durable{.sync = kh::hub::sqlite::durability::full};
  try {
    if (init_cmd->parsed()) {
      std::filesystem::create_directories(data_dir);
      auto store = kh::hub::open_sqlite_store(kh::hub::database_path(data_dir));
      std::cout << kh::hub::database_path(data_dir) << std::endl;
      return 0;
    }
    // seed-demo creates what it needs (it is an explicit request to create the demo store).
    if (seed_cmd->parsed()) {
      std::filesystem::create_directories(data_dir);
      auto store = kh::hub::open_sqlite_store(kh::hub::database_path(data_dir), durable);
      std::cout << kh::hub::seed_demo(*store).dump() << std::endl;
      return 0;
    }
    if (backup_cmd->parsed()) {
      const auto err = kh::hub::backup_database(kh::hub::database_path(data_dir), out_file);
      if (!err.empty()) {
        spdlog::error("{}", err);
        return 1;
      }
      return 0;
    }
    if (token_create->parsed() || token_revoke->parsed() || token_list->parsed()) {
      if (!std::filesystem::exists(kh::hub::database_path(data_dir))) {
        spdlog::error("no hub database in {}", data_dir);
        return 1;
      }
      auto store = kh::hub::open_sqlite_store(kh::hub::database_path(data_dir));
      const auto now = kh::hub::to_ms(std::chrono::system_clock::now());
      if (token_create->parsed()) {
        auto b = store->businesses().find(business);
        if (!b) b = store->businesses().find_by_slug(business);
        if (!b) {
          spdlog::error("no business '{}'", business);
          return 1;
        }
        std::cout << kh::hub::fleet_api::create_api_token(*store, b->id, token_name, now) << std::endl;
        return 0;
      }
      if (token_revoke->parsed()) {
        auto tx = store->begin();
        if (!store->fleet().revoke_api_token(token_id, now)) {
          spdlog::error("no active API token '{}'", token_id);
          return 1;
        }
        tx->commit();
        return 0;
      }
      nlohmann::json list = nlohmann::json::array();
      for (const auto& t : store->fleet().api_tokens()) {
        list.push_back({{"id", t.id}, {"business", t.business_id}, {"name", t.name}, {"revoked", t.revoked_at_ms.has_value()}});
      }
      std::cout << list.dump() << std::endl;
      return 0;
    }
    if (stock_cmd->parsed()) {
      if (!untracked && set_opt->count() == 0) {
        spdlog::error("give --set N or --untracked");
        return 2;
      }
      if (!std::filesystem::is_regular_file(kh::hub::database_path(data_dir))) {
        spdlog::error("no database in {} (run 'kioskhub init --data {}' first)", data_dir, data_dir);
        return 1;
      }
      auto store = kh::hub::open_sqlite_store(kh::hub::database_path(data_dir), durable);
      auto b = store->businesses().find(business);
      if (!b) b = store->businesses().find_by_slug(business);
      if (!b) {
        spdlog::error("no business '{}'", business);
        return 1;
      }
      auto tx = store->begin();
      const auto now = kh::hub::to_ms(std::chrono::system_clock::now());
      if (!store->catalog().set_stock(b->id, product, untracked ? std::nullopt : std::optional(stock), now)) {
        spdlog::error("no product '{}' in {}", product, b->id);
        return 1;
      }
      tx->commit();
      return 0;
    }
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}
