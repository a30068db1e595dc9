#pragma once
// Storage behind interfaces: one repository per aggregate, reached through a `store` that also
// owns write transactions. The SQLite implementation is `open_sqlite_store`; a PostgreSQL one can
// implement the same interfaces later without touching the services.
//
// Threading: a store (and every repository it hands out) belongs to one thread, the hub's writer.
// Every write happens inside `store::begin()`…`commit()`.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kh/hub/orders/order_rules.hpp"
#include "kh/hub/orders/pricing.hpp"
#include "kh/hub/storage/shop_repository.hpp"
#include "kh/hub/storage/sqlite.hpp"
#include "kh/protocol/messages.hpp"

namespace kh::hub {

struct business_record {
  std::string id;
  std::string slug;
  std::string name;
  std::string currency = "EUR";
  std::int64_t tax_rate_bp = 0;
  bool tax_inclusive = true;
  std::int64_t base_prep_seconds = 300;        ///< default 5 min
  std::int64_t queue_seconds_per_order = 60;   ///< default 1 min per queued order
  int utc_offset_minutes = 0;
  bool always_open = false;
  std::int64_t catalog_version = 0;
  std::int64_t active_orders = 0;
  std::string time_zone;  ///< IANA zone; empty in rows from before migration 3 (read only)
  /// Moves whenever the store profile, option groups or availability windows change (migration
  /// 13's triggers, on any connection): what the order writer's per-business cache is keyed on.
  std::int64_t shop_generation = 0;
};

struct device_record {
  std::string id;
  std::string business_id;
  std::string name;
  protocol::device_mode mode = protocol::device_mode::shop;
  bool enabled = true;
  bool online = false;
  std::optional<std::int64_t> last_seen_ms;
  std::string firmware;
};

struct category_record {
  std::string business_id;
  std::string id;
  std::string name;
  int position = 0;
};

struct product_record {
  std::string business_id;
  std::string id;
  std::string category_id;
  std::string sku;
  std::string name;
  std::string description;
  std::int64_t price = 0;  ///< minor units
  std::string image_url;
  bool active = true;
  std::optional<std::int64_t> stock;  ///< nullopt: not tracked
  int position = 0;
};

struct discount_record {
  std::string business_id;
  std::string code;  ///< upper-case
  discount_rule rule;
  bool active = true;
  std::optional<std::int64_t> valid_from_ms;   ///< not valid before (nullopt: no start)
  std::optional<std::int64_t> valid_until_ms;  ///< not valid from this instant on (nullopt: no end)
  std::optional<std::int64_t> max_uses;        ///< accepted orders at most (nullopt: unlimited)
  std::int64_t uses = 0;                       ///< accepted orders that used it
  std::int64_t min_order = 0;                  ///< subtotal (minor units) needed to use it
};

struct order_line_record {
  int line_no = 0;
  std::string product_id;
  std::string sku;
  std::string name;
  std::int64_t unit_price = 0;
  int qty = 0;
  std::int64_t line_total = 0;
  std::string note;
  bool stock_tracked = false;
};

struct order_record {
  std::string id;
  std::string business_id;
  std::string device_id;
  std::string day;
  std::int64_t seq = 0;
  std::string number;
  protocol::order_type type = protocol::order_type::takeaway;
  protocol::payment_method payment = protocol::payment_method::card_present;
  protocol::order_state state = protocol::order_state::pending_payment;
  std::string currency = "EUR";
  order_totals totals;
  std::int64_t tax_rate_bp = 0;
  bool tax_inclusive = true;
  std::string discount_code;
  protocol::customer cust;
  std::int64_t eta_ms = 0;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  /// The request's fingerprint for an order accepted by order_service::place (schema v14 on): its
  /// answer is rebuilt from this row on a resend. Empty for other orders.
  std::string request_fp;
  std::vector<order_line_record> lines;  ///< filled by find_with_lines / insert
};

struct state_change_record {
  std::optional<protocol::order_state> from;
  protocol::order_state to = protocol::order_state::pending_payment;
  std::string actor;
  std::string reason;
  std::int64_t at_ms = 0;
};

struct stored_answer {
  std::string order_id;
  std::string device_id;
  std::string type;  ///< "order.accepted" | "order.rejected"
  std::string body;  ///< exact JSON bytes sent
  std::string fingerprint;
  std::int64_t created_at_ms = 0;
};

struct outbox_record {
  std::int64_t id = 0;
  std::string business_id;
  std::string order_id;
  std::string kind;     ///< "new_order", …
  std::string payload;  ///< JSON
  std::int64_t created_at_ms = 0;
  std::int64_t next_attempt_ms = 0;
  int attempts = 0;
};

class business_repository {
 public:
  virtual ~business_repository() = default;
  virtual std::optional<business_record> find(const std::string& id) = 0;
  virtual std::optional<business_record> find_by_slug(const std::string& slug) = 0;
  virtual std::vector<business_record> all() = 0;
  virtual void insert(const business_record& b, std::int64_t now_ms) = 0;
  virtual std::vector<opening_span> opening_hours(const std::string& business_id) = 0;
  virtual void add_opening_span(const std::string& business_id, const opening_span& s) = 0;
  /// Increments and returns the catalog version.
  virtual std::int64_t bump_catalog_version(const std::string& business_id) = 0;
  /// Increments and returns the business's order counter for a local day (first call: 1). The
  /// latest day's counter is kept in the business row, earlier days' in order_counters.
  virtual std::int64_t next_order_seq(const std::string& business_id, const std::string& day) = 0;
  /// Adds `delta` to the queue counter (orders in queued states).
  virtual void add_active_orders(const std::string& business_id, std::int64_t delta) = 0;
};

class device_repository {
 public:
  virtual ~device_repository() = default;
  virtual std::optional<device_record> find(const std::string& id) = 0;
  virtual std::vector<device_record> by_business(const std::string& business_id) = 0;
  virtual void insert(const device_record& d, std::int64_t now_ms) = 0;
  /// Records a hello; false when the device is unknown.
  virtual bool record_hello(const std::string& id, const std::string& firmware, protocol::device_mode mode,
                            std::optional<std::int64_t> catalog_version, std::int64_t now_ms) = 0;
  /// Records presence; false when the device is unknown.
  virtual bool set_presence(const std::string& id, bool online, std::int64_t now_ms) = 0;
  virtual std::int64_t count_online() = 0;
};

class catalog_repository {
 public:
  virtual ~catalog_repository() = default;
  virtual std::vector<category_record> categories(const std::string& business_id) = 0;
  virtual std::vector<product_record> products(const std::string& business_id) = 0;
  virtual std::optional<product_record> find_product(const std::string& business_id, const std::string& id) = 0;
  virtual void insert_category(const category_record& c) = 0;
  virtual void insert_product(const product_record& p, std::int64_t now_ms) = 0;
  /// Sets the stock (nullopt: stop tracking). False when the product is unknown.
  virtual bool set_stock(const std::string& business_id, const std::string& product_id,
                         std::optional<std::int64_t> stock, std::int64_t now_ms) = 0;
  /// Conditional decrement: succeeds only when the product is untracked or has ≥ qty on hand
  /// (stock never goes negative, whatever the caller checked before).
  virtual bool take_stock(const std::string& business_id, const std::string& product_id, std::int64_t qty,
                          std::int64_t now_ms) = 0;
  /// Puts units back (cancellation); untracked products are left alone.
  virtual void return_stock(const std::string& business_id, const std::string& product_id, std::int64_t qty,
                            std::int64_t now_ms) = 0;
  virtual std::optional<discount_record> find_discount(const std::string& business_id, const std::string& code) = 0;
  virtual void insert_discount(const discount_record& d) = 0;
  /// Counts one use if the code has uses left (conditional UPDATE, like take_stock): false when
  /// the last use is gone, so two orders can never both take it.
  virtual bool take_discount_use(const std::string& business_id, const std::string& code) = 0;
};

class order_repository {
 public:
  virtual ~order_repository() = default;
  /// Without lines.
  virtual std::optional<order_record> find(const std::string& id) = 0;
  virtual std::optional<order_record> find_with_lines(const std::string& id) = 0;
  /// Inserts the order and its lines.
  virtual void insert(const order_record& o) = 0;
  virtual void set_state(const std::string& id, protocol::order_state s, std::int64_t now_ms) = 0;
  virtual void add_history(const std::string& order_id, const state_change_record& c) = 0;
  /// Every step, creation first (order_history: an order placed by order_service::place has its
  /// creation step in its orders row, schema v15).
  virtual std::vector<state_change_record> history(const std::string& order_id) = 0;
  /// Ids of orders in `state` created before `before_ms`, oldest first, at most `limit`.
  virtual std::vector<std::string> in_state_before(protocol::order_state state, std::int64_t before_ms,
                                                   int limit) = 0;
  virtual std::int64_t count(const std::string& business_id) = 0;
  /// Units of stock-tracked products in this device's orders still pending payment (what the
  /// device holds off the shelf).
  virtual std::int64_t unpaid_units_held(const std::string& device_id) = 0;
};

class answer_repository {
 public:
  virtual ~answer_repository() = default;
  virtual std::optional<stored_answer> find(const std::string& order_id) = 0;
  virtual void insert(const stored_answer& a) = 0;
};

class outbox_repository {
 public:
  virtual ~outbox_repository() = default;
  virtual void enqueue(const outbox_record& r) = 0;
  /// Unsent rows due at `now_ms`, oldest first.
  virtual std::vector<outbox_record> due(std::int64_t now_ms, int limit) = 0;
};

// ---- fleet security (issue 8) ----------------------------------------------------------
struct api_token_record {
  std::string id;  ///< public half of kha1.<id>.<secret>
  std::string business_id;
  std::string name;
  std::string secret_hash;  ///< hex SHA-256 of the secret
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> last_used_ms;
  std::optional<std::int64_t> revoked_at_ms;
};

struct enrollment_token_record {
  std::string id;
  std::string business_id;
  protocol::device_mode mode = protocol::device_mode::shop;
  std::string name;
  std::string secret_hash;
  std::string created_by;  ///< api token id
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  std::optional<std::int64_t> used_at_ms;
  std::string device_id;  ///< empty until used
};

struct device_credentials_record {
  std::string device_id;
  std::string username;
  std::int64_t generation = 1;
  std::string pending_password;  ///< non-empty while a rotation waits for the device
  std::optional<std::int64_t> pending_generation;
  std::optional<std::int64_t> rotated_at_ms;
  std::optional<std::int64_t> revoked_at_ms;
};

class fleet_repository {
 public:
  virtual ~fleet_repository() = default;
  virtual void insert_api_token(const api_token_record& t) = 0;
  virtual std::optional<api_token_record> find_api_token(const std::string& id) = 0;
  virtual std::vector<api_token_record> api_tokens() = 0;
  /// False when unknown or already revoked.
  virtual bool revoke_api_token(const std::string& id, std::int64_t now_ms) = 0;
  virtual void touch_api_token(const std::string& id, std::int64_t now_ms) = 0;
  virtual void insert_enrollment_token(const enrollment_token_record& t) = 0;
  virtual std::optional<enrollment_token_record> find_enrollment_token(const std::string& id) = 0;
  /// Marks it used by `device_id` only if it is still unused; false otherwise.
  virtual bool use_enrollment_token(const std::string& id, const std::string& device_id, std::int64_t now_ms) = 0;
  virtual void upsert_credentials(const device_credentials_record& c) = 0;
  virtual std::optional<device_credentials_record> credentials(const std::string& device_id) = 0;
  /// devices.enabled
  virtual bool set_device_enabled(const std::string& device_id, bool enabled) = 0;
};

/// A unit of work: commit() makes every write since begin() durable at once; destruction without
/// commit() rolls back.
class write_transaction {
 public:
  virtual ~write_transaction() = default;
  virtual void commit() = 0;
};

class store {
 public:
  virtual ~store() = default;
  virtual business_repository& businesses() = 0;
  virtual device_repository& devices() = 0;
  virtual catalog_repository& catalog() = 0;
  virtual order_repository& orders() = 0;
  virtual answer_repository& answers() = 0;
  virtual outbox_repository& outbox() = 0;
  virtual fleet_repository& fleet() = 0;
  /// Store profile, option groups, order details, feedback, device status, images (issue 9).
  virtual shop_repository& shop() = 0;
  /// Starts a write transaction (takes the write lock now). Called while another unit of work
  /// from this store is open, it starts a nested one (a savepoint): its commit() hands its
  /// writes to the enclosing unit (durable only when the outermost commits), and dropping it
  /// undoes only its own writes. This is how one commit carries a batch of orders, each with
  /// its own all-or-nothing unit (see `order_service::place_batch`). A nested begin() after
  /// the database itself ended the transaction on an error throws `sqlite::error`.
  virtual std::unique_ptr<write_transaction> begin() = 0;
  /// Cheap liveness check; false (never throws) when the database is unusable.
  virtual bool healthy() noexcept = 0;
  /// A real write: one row rewritten and committed in its own transaction (the health probe).
  /// Empty on success, else the database's error text (disk full, I/O error, read-only, …).
  virtual std::string probe_write(std::int64_t now_ms) noexcept = 0;
  /// Passes of the background checkpointer that copied WAL frames into the database (work the
  /// writer's own backstop would otherwise do); 0 without one.
  virtual std::uint64_t checkpointer_passes() const noexcept { return 0; }
};

struct store_options {
  sqlite::durability sync = sqlite::durability::normal;
  std::chrono::milliseconds busy_timeout{5000};  ///< default 5 s
  /// Checkpoint the WAL on a background thread (the hub does; default false: SQLite's own).
  bool background_checkpoint = false;
  /// SQLite VFS to open the database through (see sqlite::open_options::vfs); default empty.
  std::string vfs;
};

/// Opens `path` (creating it), runs migrations, prepares statements lazily. Throws
/// `sqlite::error` when the file cannot be opened or migrated.
std::unique_ptr<store> open_sqlite_store(const std::string& path, store_options opts = {});

/// The writer connection under a store from `open_sqlite_store` (the web room's own queries run
/// on it inside `store::begin()`); throws std::logic_error for any other store.
sqlite::connection& sqlite_connection(store& s);

/// `DIR/kioskhub.db`.
std::string database_path(const std::string& data_dir);

}  // namespace kh::hub
