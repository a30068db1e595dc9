#include "kh/hub/storage/schema.hpp"

#include <iterator>
#include <string>

#include <spdlog/spdlog.h>

namespace kh::hub {

namespace {

// Conventions: ids are TEXT (slugs or UUIDs), times are INTEGER milliseconds since the Unix epoch
// (UTC; cheap to compare and index), money is INTEGER minor units with the currency on the owning
// business or order, rates are INTEGER basis points (1000 = 10 %). Tables marked "later" are part
// of the road map and written now so their shape is settled; issue 2 code does not use them yet.
constexpr const char* k_v1 = R"sql(
CREATE TABLE businesses (
  id                     TEXT PRIMARY KEY,
  slug                   TEXT NOT NULL UNIQUE,
  name                   TEXT NOT NULL,
  currency               TEXT NOT NULL DEFAULT 'EUR' CHECK (length(currency) = 3),
  tax_rate_bp            INTEGER NOT NULL DEFAULT 0 CHECK (tax_rate_bp BETWEEN 0 AND 100000),
  tax_inclusive          INTEGER NOT NULL DEFAULT 1 CHECK (tax_inclusive IN (0, 1)),
  base_prep_seconds      INTEGER NOT NULL DEFAULT 300 CHECK (base_prep_seconds >= 0),
  queue_seconds_per_order INTEGER NOT NULL DEFAULT 60 CHECK (queue_seconds_per_order >= 0),
  -- Fixed offset of local time from UTC for opening hours and the daily order numbering.
  -- (libstdc++ 12 has no time-zone database; a tz name column comes with DST support later.)
  utc_offset_minutes     INTEGER NOT NULL DEFAULT 0 CHECK (utc_offset_minutes BETWEEN -1080 AND 1080),
  always_open            INTEGER NOT NULL DEFAULT 0 CHECK (always_open IN (0, 1)),
  catalog_version        INTEGER NOT NULL DEFAULT 0,
  -- Orders in pending_payment/paid/preparing: the queue for the ETA, kept in the same
  -- transactions that change order states (a COUNT(*) per order would scan the queue).
  active_orders          INTEGER NOT NULL DEFAULT 0 CHECK (active_orders >= 0),
  created_at_ms          INTEGER NOT NULL
);

-- later: owner and staff accounts of the dashboard
CREATE TABLE owners (
  id             TEXT PRIMARY KEY,
  business_id    TEXT NOT NULL REFERENCES businesses(id),
  email          TEXT NOT NULL UNIQUE,
  password_hash  TEXT NOT NULL,
  role           TEXT NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'staff')),
  created_at_ms  INTEGER NOT NULL
);

-- Order types a business offers (later: enforced at placement, edited in the dashboard).
CREATE TABLE business_order_types (
  business_id  TEXT NOT NULL REFERENCES businesses(id),
  order_type   TEXT NOT NULL CHECK (order_type IN ('eat_in', 'takeaway', 'pickup', 'delivery')),
  enabled      INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  PRIMARY KEY (business_id, order_type)
) WITHOUT ROWID;

-- Opening hours in local time: open on `weekday` (0 = Monday) from opens_minute (inclusive) to
-- closes_minute (exclusive), minutes after local midnight. Several rows per day allowed; a span
-- past midnight is two rows. Ignored when businesses.always_open = 1.
CREATE TABLE opening_hours (
  business_id    TEXT NOT NULL REFERENCES businesses(id),
  weekday        INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
  opens_minute   INTEGER NOT NULL CHECK (opens_minute BETWEEN 0 AND 1439),
  closes_minute  INTEGER NOT NULL CHECK (closes_minute BETWEEN 1 AND 1440 AND closes_minute > opens_minute),
  PRIMARY KEY (business_id, weekday, opens_minute)
) WITHOUT ROWID;

CREATE TABLE devices (
  id                    TEXT PRIMARY KEY,
  business_id           TEXT NOT NULL REFERENCES businesses(id),
  name                  TEXT NOT NULL,
  mode                  TEXT NOT NULL CHECK (mode IN ('shop', 'counter', 'board')),
  enabled               INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  online                INTEGER NOT NULL DEFAULT 0 CHECK (online IN (0, 1)),
  last_seen_ms          INTEGER,
  firmware              TEXT,
  reported_mode         TEXT,
  catalog_version_held  INTEGER,
  created_at_ms         INTEGER NOT NULL
);
CREATE INDEX devices_business ON devices(business_id);

CREATE TABLE categories (
  business_id  TEXT NOT NULL REFERENCES businesses(id),
  id           TEXT NOT NULL,
  name         TEXT NOT NULL,
  position     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (business_id, id)
) WITHOUT ROWID;

-- later: uploaded product images (files under DIR/images)
CREATE TABLE images (
  id             TEXT PRIMARY KEY,
  business_id    TEXT NOT NULL REFERENCES businesses(id),
  path           TEXT NOT NULL,
  content_type   TEXT NOT NULL,
  bytes          INTEGER NOT NULL,
  created_at_ms  INTEGER NOT NULL
);

CREATE TABLE products (
  business_id    TEXT NOT NULL REFERENCES businesses(id),
  id             TEXT NOT NULL,
  category_id    TEXT NOT NULL,
  sku            TEXT NOT NULL,
  name           TEXT NOT NULL,
  description    TEXT NOT NULL DEFAULT '',
  price          INTEGER NOT NULL CHECK (price >= 0 AND price <= 100000000),
  image_id       TEXT REFERENCES images(id),
  image_url      TEXT NOT NULL DEFAULT '',
  active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  stock          INTEGER CHECK (stock IS NULL OR stock >= 0),  -- NULL: not tracked; never negative
  position       INTEGER NOT NULL DEFAULT 0,
  updated_at_ms  INTEGER NOT NULL,
  PRIMARY KEY (business_id, id),
  UNIQUE (business_id, sku),
  FOREIGN KEY (business_id, category_id) REFERENCES categories(business_id, id)
) WITHOUT ROWID;

CREATE TABLE discount_codes (
  business_id    TEXT NOT NULL REFERENCES businesses(id),
  code           TEXT NOT NULL,  -- stored upper-case; matched case-insensitively
  kind           TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
  -- percent: basis points of the line total (1000 = 10 %); fixed: minor units off the order.
  value          INTEGER NOT NULL CHECK (value >= 0),
  active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  valid_from_ms  INTEGER,  -- later
  valid_until_ms INTEGER,  -- later
  max_uses       INTEGER,  -- later
  uses           INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (business_id, code),
  CHECK (kind = 'fixed' OR value <= 10000)
) WITHOUT ROWID;

-- Daily numbering: one counter per business per local day, bumped in the order transaction.
CREATE TABLE order_counters (
  business_id  TEXT NOT NULL REFERENCES businesses(id),
  day          TEXT NOT NULL,  -- local date YYYY-MM-DD
  last_seq     INTEGER NOT NULL,
  PRIMARY KEY (business_id, day)
) WITHOUT ROWID;

CREATE TABLE orders (
  id              TEXT PRIMARY KEY,  -- client-made UUID, the idempotency key
  business_id     TEXT NOT NULL REFERENCES businesses(id),
  device_id       TEXT REFERENCES devices(id),  -- NULL for web orders (later)
  day             TEXT NOT NULL,
  seq             INTEGER NOT NULL,
  number          TEXT NOT NULL,
  order_type      TEXT NOT NULL CHECK (order_type IN ('eat_in', 'takeaway', 'pickup', 'delivery')),
  payment_method  TEXT NOT NULL CHECK (payment_method IN ('card_present', 'cash', 'wallet')),
  state           TEXT NOT NULL CHECK (state IN ('pending_payment', 'paid', 'preparing', 'ready',
                    'collected', 'out_for_delivery', 'delivered', 'cancelled', 'refunded')),
  currency        TEXT NOT NULL,
  subtotal        INTEGER NOT NULL,
  discount        INTEGER NOT NULL,
  tax             INTEGER NOT NULL,
  delivery_fee    INTEGER NOT NULL DEFAULT 0,
  total           INTEGER NOT NULL,
  tax_rate_bp     INTEGER NOT NULL,
  tax_inclusive   INTEGER NOT NULL,
  discount_code   TEXT,
  customer_name   TEXT NOT NULL DEFAULT '',
  customer_phone  TEXT NOT NULL DEFAULT '',
  customer_email  TEXT NOT NULL DEFAULT '',
  eta_ms          INTEGER NOT NULL,
  created_at_ms   INTEGER NOT NULL,
  updated_at_ms   INTEGER NOT NULL
) WITHOUT ROWID;  -- keyed by the UUID itself: one b-tree page per insert instead of two
-- Every table and index an order touches costs one 4 KiB WAL page per order, so the order path
-- keeps them few: (business_id, day, seq) is unique by construction (order_counters), not by index.
-- Expiry scan (pending_payment older than N minutes).
-- per-business listings come with the dashboard (queue length is businesses.active_orders).
CREATE INDEX orders_state_created ON orders(state, created_at_ms);

CREATE TABLE order_lines (
  order_id    TEXT NOT NULL REFERENCES orders(id),
  line_no     INTEGER NOT NULL,
  product_id  TEXT NOT NULL,
  sku         TEXT NOT NULL,
  name        TEXT NOT NULL,  -- copied: the receipt must not change when the catalog does
  unit_price  INTEGER NOT NULL,
  qty         INTEGER NOT NULL CHECK (qty BETWEEN 1 AND 99),
  line_total  INTEGER NOT NULL,
  note        TEXT NOT NULL DEFAULT '',
  stock_tracked INTEGER NOT NULL DEFAULT 0,  -- 1 when the product's stock was decremented
  PRIMARY KEY (order_id, line_no)
) WITHOUT ROWID;

CREATE TABLE order_state_history (
  order_id    TEXT NOT NULL REFERENCES orders(id),
  step        INTEGER NOT NULL,  -- 0 = creation, then 1, 2, … per order
  from_state  TEXT,  -- NULL for creation
  to_state    TEXT NOT NULL,
  actor       TEXT NOT NULL,  -- "device:kiosk-1", "system:expiry", "staff:<id>"
  reason      TEXT NOT NULL DEFAULT '',
  at_ms       INTEGER NOT NULL,
  PRIMARY KEY (order_id, step)
) WITHOUT ROWID;

-- Idempotency: the exact answer body sent for an order_id (accepted or rejected), replayed byte
-- for byte on a repeat. Rejections are stored too, so a resend never flips the outcome.
CREATE TABLE order_answers (
  order_id       TEXT PRIMARY KEY,
  device_id      TEXT NOT NULL,
  type           TEXT NOT NULL CHECK (type IN ('order.accepted', 'order.rejected')),
  body           TEXT NOT NULL,
  fingerprint    TEXT NOT NULL,  -- hash of the canonical request: same id, other content = conflict
  created_at_ms  INTEGER NOT NULL
) WITHOUT ROWID;

-- later: payments (terminal, gateway, cash), reconciled on restart
CREATE TABLE payments (
  id              TEXT PRIMARY KEY,
  order_id        TEXT NOT NULL REFERENCES orders(id),
  method          TEXT NOT NULL,
  provider        TEXT NOT NULL,
  provider_ref    TEXT,
  amount          INTEGER NOT NULL,
  currency        TEXT NOT NULL,
  state           TEXT NOT NULL,
  created_at_ms   INTEGER NOT NULL,
  updated_at_ms   INTEGER NOT NULL
);
CREATE INDEX payments_order ON payments(order_id);

-- Durable notification outbox, written in the order transaction; a dispatcher (later) sends with
-- retries and backoff and deletes a row once sent (logging it elsewhere), so the table only holds
-- pending work and needs no index for the dispatcher's scan.
CREATE TABLE notification_outbox (
  id               INTEGER PRIMARY KEY,
  business_id      TEXT NOT NULL REFERENCES businesses(id),
  order_id         TEXT REFERENCES orders(id),
  kind             TEXT NOT NULL,  -- 'new_order', …
  payload          TEXT NOT NULL,  -- JSON
  created_at_ms    INTEGER NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms  INTEGER NOT NULL,
  sent_at_ms       INTEGER,
  last_error       TEXT
);
)sql";

// v2 (order path hardening): the health probe's row, and the index behind the cap on stock one
// device holds in unpaid orders (partial: only pending orders are in it, so it stays small).
constexpr const char* k_v2 = R"sql(
CREATE TABLE health_probe (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  at_ms  INTEGER NOT NULL
);
INSERT INTO health_probe(id, at_ms) VALUES (1, 0);
CREATE INDEX orders_pending_by_device ON orders(device_id) WHERE state = 'pending_payment';
)sql";

// Migration 3 (issue 9, the kiosk shop): the store profile, product option groups, order
// details (options per line, table, pickup slot, address, offline number, stock conflict),
// device status and product images. Depends only on migration 1. (Feedback is migration 4's
// table; migration 6 adds the device that sent it.)
constexpr const char* k_v3 = R"sql(
-- IANA zone of the business (opening hours, pickup slots, daily numbering, DST-correct);
-- NULL in rows from before: the fixed utc_offset_minutes stays in use for them.
ALTER TABLE businesses ADD COLUMN time_zone TEXT;
-- Comma-separated two-letter codes, first = default.
ALTER TABLE businesses ADD COLUMN languages TEXT NOT NULL DEFAULT 'en';
ALTER TABLE businesses ADD COLUMN banner TEXT NOT NULL DEFAULT '';
-- Comma-separated payment method words offered.
ALTER TABLE businesses ADD COLUMN payment_methods TEXT NOT NULL DEFAULT 'card_present,cash,wallet';

-- Settings per offered order type. A business with no rows here offers every type with these
-- defaults (rows from before migration 3); enabled = 0 rows are kept for the dashboard.
ALTER TABLE business_order_types ADD COLUMN table_numbers INTEGER NOT NULL DEFAULT 0 CHECK (table_numbers IN (0, 1));
ALTER TABLE business_order_types ADD COLUMN slot_minutes INTEGER NOT NULL DEFAULT 15 CHECK (slot_minutes BETWEEN 5 AND 240);
ALTER TABLE business_order_types ADD COLUMN lead_minutes INTEGER NOT NULL DEFAULT 20 CHECK (lead_minutes BETWEEN 0 AND 1440);
ALTER TABLE business_order_types ADD COLUMN fee INTEGER NOT NULL DEFAULT 0 CHECK (fee BETWEEN 0 AND 100000000);
ALTER TABLE business_order_types ADD COLUMN minimum INTEGER NOT NULL DEFAULT 0 CHECK (minimum BETWEEN 0 AND 100000000);
ALTER TABLE business_order_types ADD COLUMN area TEXT NOT NULL DEFAULT '';
ALTER TABLE business_order_types ADD COLUMN position INTEGER NOT NULL DEFAULT 0;

CREATE TABLE option_groups (
  business_id  TEXT NOT NULL,
  product_id   TEXT NOT NULL,
  id           TEXT NOT NULL,
  name         TEXT NOT NULL,
  min_choices  INTEGER NOT NULL DEFAULT 0 CHECK (min_choices >= 0),
  max_choices  INTEGER NOT NULL DEFAULT 1 CHECK (max_choices >= 1 AND max_choices >= min_choices),
  position     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (business_id, product_id, id),
  FOREIGN KEY (business_id, product_id) REFERENCES products(business_id, id)
) WITHOUT ROWID;

CREATE TABLE options (
  business_id  TEXT NOT NULL,
  product_id   TEXT NOT NULL,
  group_id     TEXT NOT NULL,
  id           TEXT NOT NULL,
  name         TEXT NOT NULL,
  price_delta  INTEGER NOT NULL DEFAULT 0 CHECK (price_delta BETWEEN 0 AND 100000000),
  available    INTEGER NOT NULL DEFAULT 1 CHECK (available IN (0, 1)),
  preselected  INTEGER NOT NULL DEFAULT 0 CHECK (preselected IN (0, 1)),
  position     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (business_id, product_id, group_id, id),
  FOREIGN KEY (business_id, product_id, group_id) REFERENCES option_groups(business_id, product_id, id)
) WITHOUT ROWID;

-- What an order carries beyond its row; one row only for orders that have any of it, so a plain
-- takeaway order costs no extra page. line_options: JSON {"<line_no>":[{group_id, option_id,
-- group_name, option_name, price_delta}]} with names and deltas copied at placement.
CREATE TABLE order_details (
  order_id          TEXT PRIMARY KEY REFERENCES orders(id),
  table_number      TEXT NOT NULL DEFAULT '',
  pickup_at_ms      INTEGER,
  delivery_address  TEXT NOT NULL DEFAULT '',
  offline           INTEGER NOT NULL DEFAULT 0 CHECK (offline IN (0, 1)),
  placed_at_ms      INTEGER,
  stock_conflict    INTEGER NOT NULL DEFAULT 0 CHECK (stock_conflict IN (0, 1)),
  line_options      TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID;

-- The latest device.status per device.
CREATE TABLE device_status (
  device_id      TEXT PRIMARY KEY REFERENCES devices(id),
  printer        TEXT NOT NULL CHECK (printer IN ('ok', 'paper_low', 'paper_out', 'cover_open', 'offline', 'absent')),
  camera         TEXT NOT NULL CHECK (camera IN ('ok', 'error', 'absent')),
  outbox         INTEGER NOT NULL CHECK (outbox >= 0),
  firmware       TEXT NOT NULL,
  detail         TEXT NOT NULL DEFAULT '',
  updated_at_ms  INTEGER NOT NULL
) WITHOUT ROWID;

-- Product images served by the hub at GET /img/{business}/{id} (the catalog's image_url). The
-- bytes live in the database so a backup has them and two hubs serve the same ones.
CREATE TABLE product_images (
  business_id    TEXT NOT NULL REFERENCES businesses(id),
  id             TEXT NOT NULL,
  content_type   TEXT NOT NULL,
  data           BLOB NOT NULL,
  etag           TEXT NOT NULL,
  updated_at_ms  INTEGER NOT NULL,
  PRIMARY KEY (business_id, id)
) WITHOUT ROWID;
)sql";

// v4 (web portal and phone shop): sessions, the stock ledger, discount minimums, low-stock
// thresholds, store content, order feedback, and web orders' customer details.
constexpr const char* k_v4 = R"sql(
-- Signed-in browsers: the cookie carries a random token, only its SHA-256 is stored.
CREATE TABLE web_sessions (
  token_hash     TEXT PRIMARY KEY,
  owner_id       TEXT NOT NULL REFERENCES owners(id),
  csrf           TEXT NOT NULL,  -- per-session CSRF token, required on every POST
  created_at_ms  INTEGER NOT NULL,
  expires_at_ms  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX web_sessions_owner ON web_sessions(owner_id);

-- Every stock change made by a person (set, adjust) with its reason; orders are in order_lines.
CREATE TABLE stock_ledger (
  id             INTEGER PRIMARY KEY,
  business_id    TEXT NOT NULL REFERENCES businesses(id),
  product_id     TEXT NOT NULL,
  delta          INTEGER,          -- NULL when tracking was switched off
  stock_after    INTEGER,          -- NULL: untracked from now on
  reason         TEXT NOT NULL,
  actor          TEXT NOT NULL,    -- "owner:<id>" / "staff:<id>"
  at_ms          INTEGER NOT NULL
);
CREATE INDEX stock_ledger_product ON stock_ledger(business_id, product_id, id);

ALTER TABLE products ADD COLUMN low_stock_threshold INTEGER CHECK (low_stock_threshold IS NULL OR low_stock_threshold >= 0);
ALTER TABLE discount_codes ADD COLUMN min_order INTEGER NOT NULL DEFAULT 0 CHECK (min_order >= 0);
ALTER TABLE businesses ADD COLUMN about TEXT NOT NULL DEFAULT '';

-- 1-5 and a comment, once per order, after it was collected or delivered.
CREATE TABLE order_feedback (
  order_id       TEXT PRIMARY KEY REFERENCES orders(id),
  business_id    TEXT NOT NULL REFERENCES businesses(id),
  rating         INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
  comment        TEXT NOT NULL DEFAULT '',
  created_at_ms  INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// v5 (fleet security, issue 8): API tokens for kioskctl, single-use enrollment tokens, and each
// device's broker account. Secrets are stored only as SHA-256 hex of the token's secret part; the
// device's broker password is held only while a rotation waits for the device's confirmation.
constexpr const char* k_v5 = R"sql(
CREATE TABLE api_tokens (
  id             TEXT PRIMARY KEY,             -- 16 hex, the public half of kha1.<id>.<secret>
  business_id    TEXT NOT NULL REFERENCES businesses(id),
  name           TEXT NOT NULL,
  secret_hash    TEXT NOT NULL,
  created_at_ms  INTEGER NOT NULL,
  last_used_ms   INTEGER,
  revoked_at_ms  INTEGER
);

CREATE TABLE enrollment_tokens (
  id             TEXT PRIMARY KEY,             -- khe1.<id>.<secret>
  business_id    TEXT NOT NULL REFERENCES businesses(id),
  mode           TEXT NOT NULL CHECK (mode IN ('shop', 'counter', 'board')),
  name           TEXT NOT NULL,
  secret_hash    TEXT NOT NULL,
  created_by     TEXT NOT NULL,                -- api token id
  created_at_ms  INTEGER NOT NULL,
  expires_at_ms  INTEGER NOT NULL,
  used_at_ms     INTEGER,
  device_id      TEXT REFERENCES devices(id)  -- the device it made
);

CREATE TABLE device_credentials (
  device_id           TEXT PRIMARY KEY REFERENCES devices(id),
  username            TEXT NOT NULL UNIQUE,    -- broker account (= device id = client id)
  generation          INTEGER NOT NULL DEFAULT 1,
  pending_password    TEXT,                    -- set while a rotation waits for credentials.ack
  pending_generation  INTEGER,
  rotated_at_ms       INTEGER,
  revoked_at_ms       INTEGER
);
)sql";

// v6: feedback from kiosks (issue 9) names the device that sent it; phone feedback (the web shop)
// keeps ''. One table and one code path for both channels.
constexpr const char* k_v6 = R"sql(
ALTER TABLE order_feedback ADD COLUMN device_id TEXT NOT NULL DEFAULT '';
)sql";

// Migration 7 (issues 10 and 12: staff actions, live orders): the per-business event sequence,
// the published order.status events (replayed to screens and the dashboard's live stream by seq),
// and the answers to staff actions (idempotent on action_id). Depends only on migration 1.
constexpr const char* k_v7 = R"sql(
ALTER TABLE businesses ADD COLUMN order_event_seq INTEGER NOT NULL DEFAULT 0;
-- One row per order.status published on kh/v1/b/{business}/orders, written in the transaction of
-- the change; body = the event body exactly as published (JSON).
CREATE TABLE order_events (
  business_id  TEXT NOT NULL REFERENCES businesses(id),
  seq          INTEGER NOT NULL,
  order_id     TEXT NOT NULL REFERENCES orders(id),
  body         TEXT NOT NULL,
  at_ms        INTEGER NOT NULL,
  PRIMARY KEY (business_id, seq)
) WITHOUT ROWID;
-- The answer to a staff action, replayed byte for byte when the same action_id comes again.
CREATE TABLE staff_actions (
  action_id   TEXT PRIMARY KEY,
  actor       TEXT NOT NULL,
  order_id    TEXT,
  body        TEXT NOT NULL,
  at_ms       INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// v8 (dashboard reports and support, issue 12): a covering index for the reports (one range
// scan per business and period, never the table: docs/benchmarks.md), one for ratings over time,
// an hourly best-seller table kept by triggers, and support tickets with their threads. The
// orders index costs each order one more page; the triggers cost a sale one upsert per line.
constexpr const char* k_v8 = R"sql(
CREATE INDEX orders_report ON orders(business_id, created_at_ms, state, total, order_type, payment_method, device_id);
CREATE INDEX order_feedback_report ON order_feedback(business_id, created_at_ms, rating);

-- Best sellers: units and revenue of sold lines per business, UTC hour and product, kept by the
-- triggers below in the same transaction as the order or state change (joining a year of orders
-- to their lines took 0.7 s; this table answers in milliseconds). Local days of stores whose
-- offset is a whole number of hours are unions of UTC hours; other stores' reports join the
-- lines instead. Sold = paid, preparing, ready, collected, out_for_delivery, delivered.
CREATE TABLE product_sales_hourly (
  business_id  TEXT NOT NULL,
  hour         INTEGER NOT NULL,  -- created_at_ms / 3600000 of the order
  product_id   TEXT NOT NULL,
  name         TEXT NOT NULL,     -- the latest name sold under
  qty          INTEGER NOT NULL,
  revenue      INTEGER NOT NULL,
  PRIMARY KEY (business_id, hour, product_id)
) WITHOUT ROWID;
INSERT INTO product_sales_hourly(business_id, hour, product_id, name, qty, revenue)
  SELECT o.business_id, o.created_at_ms / 3600000, l.product_id, MAX(l.name), SUM(l.qty), SUM(l.line_total)
  FROM orders o JOIN order_lines l ON l.order_id = o.id
  WHERE o.state IN ('paid', 'preparing', 'ready', 'collected', 'out_for_delivery', 'delivered')
  GROUP BY o.business_id, o.created_at_ms / 3600000, l.product_id;
-- A line of an order that is already sold (orders written in a sold state, lines after).
CREATE TRIGGER product_sales_line AFTER INSERT ON order_lines
WHEN (SELECT state FROM orders WHERE id = NEW.order_id) IN ('paid', 'preparing', 'ready', 'collected', 'out_for_delivery', 'delivered')
BEGIN
  INSERT INTO product_sales_hourly(business_id, hour, product_id, name, qty, revenue)
    SELECT business_id, created_at_ms / 3600000, NEW.product_id, NEW.name, NEW.qty, NEW.line_total FROM orders WHERE id = NEW.order_id
    ON CONFLICT(business_id, hour, product_id) DO UPDATE SET qty = qty + excluded.qty, revenue = revenue + excluded.revenue, name = excluded.name;
END;
-- An order becomes sold (pending_payment → paid): its lines count.
CREATE TRIGGER product_sales_sold AFTER UPDATE OF state ON orders
WHEN NEW.state IN ('paid', 'preparing', 'ready', 'collected', 'out_for_delivery', 'delivered')
 AND OLD.state NOT IN ('paid', 'preparing', 'ready', 'collected', 'out_for_delivery', 'delivered')
BEGIN
  INSERT INTO product_sales_hourly(business_id, hour, product_id, name, qty, revenue)
    SELECT NEW.business_id, NEW.created_at_ms / 3600000, product_id, name, qty, line_total FROM order_lines WHERE order_id = NEW.id
    ON CONFLICT(business_id, hour, product_id) DO UPDATE SET qty = qty + excluded.qty, revenue = revenue + excluded.revenue, name = excluded.name;
END;
-- A sold order stops being one (refunded): its lines are taken off again.
CREATE TRIGGER product_sales_unsold AFTER UPDATE OF state ON orders
WHEN OLD.state IN ('paid', 'preparing', 'ready', 'collected', 'out_for_delivery', 'delivered')
 AND NEW.state NOT IN ('paid', 'preparing', 'ready', 'collected', 'out_for_delivery', 'delivered')
BEGIN
  UPDATE product_sales_hourly SET
    qty = qty - (SELECT COALESCE(SUM(l.qty), 0) FROM order_lines l WHERE l.order_id = NEW.id AND l.product_id = product_sales_hourly.product_id),
    revenue = revenue - (SELECT COALESCE(SUM(l.line_total), 0) FROM order_lines l WHERE l.order_id = NEW.id AND l.product_id = product_sales_hourly.product_id)
  WHERE business_id = NEW.business_id AND hour = NEW.created_at_ms / 3600000
    AND product_id IN (SELECT product_id FROM order_lines WHERE order_id = NEW.id);
END;

-- A customer's problem with an order, raised from its tracking page; staff answer in the thread.
CREATE TABLE support_tickets (
  id             TEXT PRIMARY KEY,  -- random 32 hex
  business_id    TEXT NOT NULL REFERENCES businesses(id),
  order_id       TEXT NOT NULL REFERENCES orders(id),
  category       TEXT NOT NULL CHECK (category IN ('missing_item', 'wrong_item', 'quality', 'waiting', 'payment', 'other')),
  status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'resolved')),
  created_at_ms  INTEGER NOT NULL,
  updated_at_ms  INTEGER NOT NULL
);
CREATE INDEX support_tickets_inbox ON support_tickets(business_id, status, updated_at_ms);
CREATE INDEX support_tickets_order ON support_tickets(order_id);

CREATE TABLE support_messages (
  id         INTEGER PRIMARY KEY,
  ticket_id  TEXT NOT NULL REFERENCES support_tickets(id),
  author     TEXT NOT NULL,  -- 'customer', 'owner:<id>', 'staff:<id>'
  body       TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
  at_ms      INTEGER NOT NULL
);
CREATE INDEX support_messages_ticket ON support_messages(ticket_id, id);
)sql";

struct migration {
  int version;
  const char* sql;
  void (*then)(sqlite::connection&) = nullptr;  // a step SQL alone cannot take, in the same transaction
};
// Forward-only, in ascending version order. Versions may skip numbers (parallel branches take
// their own), but a released version is never changed or reordered.
// Migration 11 (issue 11, the phone shop): which browser session placed a phone order, so each
// session has its own cap on unpaid units (all phones of a business share the device web-<id>).
constexpr const char* k_v11 = R"sql(
ALTER TABLE orders ADD COLUMN web_session TEXT;
CREATE INDEX orders_pending_by_web_session ON orders(web_session)
  WHERE state = 'pending_payment' AND web_session IS NOT NULL;
)sql";

// Migration 9 (issue 10, the pickup counter): the per-business age thresholds at which a counter's
// order card turns amber and red (store profile `age_amber_seconds` / `age_red_seconds`).
constexpr const char* k_v9 = R"sql(
ALTER TABLE businesses ADD COLUMN age_amber_seconds INTEGER NOT NULL DEFAULT 300
  CHECK (age_amber_seconds BETWEEN 60 AND 14400);
ALTER TABLE businesses ADD COLUMN age_red_seconds INTEGER NOT NULL DEFAULT 600
  CHECK (age_red_seconds BETWEEN 60 AND 14400);
)sql";

// Migration 12 (issue 11, availability windows): when a product can be ordered, in the store's
// local time; a product without rows is available whenever the store is open.
constexpr const char* k_v12 = R"sql(
CREATE TABLE product_availability (
  business_id   TEXT NOT NULL,
  product_id    TEXT NOT NULL,
  position      INTEGER NOT NULL,
  days          INTEGER NOT NULL CHECK (days BETWEEN 1 AND 127),  -- bit 0 = Monday
  from_minute   INTEGER NOT NULL CHECK (from_minute BETWEEN 0 AND 1439),
  until_minute  INTEGER NOT NULL CHECK (until_minute > from_minute AND until_minute <= 1440),
  PRIMARY KEY (business_id, product_id, position),
  FOREIGN KEY (business_id, product_id) REFERENCES products(business_id, id)
) WITHOUT ROWID;
)sql";

// Migration 13 (issue 13, the order path): a per-business generation of what placement reads
// besides products and stock (the store profile's columns and tables, option groups and options,
// availability windows), bumped by triggers on every write to them, whichever connection or code
// path makes it. The order writer keeps those per business and reloads them when the generation
// it reads with the business row has moved (they were three to five statements per order).
constexpr const char* k_v13 = R"sql(
ALTER TABLE businesses ADD COLUMN shop_generation INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER shop_generation_business AFTER UPDATE OF currency, tax_rate_bp, tax_inclusive, always_open,
  time_zone, languages, banner, payment_methods, age_amber_seconds, age_red_seconds ON businesses
BEGIN UPDATE businesses SET shop_generation = shop_generation + 1 WHERE id = NEW.id; END;
-- (The same three triggers on each table placement reads: migration_13_steps below.)
-- The best-seller triggers of migration 8 again, with each state list written as comparisons:
-- SQLite builds a temporary b-tree for every IN list of more than two values, each time the
-- statement runs (a page allocated and zeroed: a fifth of an order's insert). Same rows.
DROP TRIGGER product_sales_line;
CREATE TRIGGER product_sales_line AFTER INSERT ON order_lines
WHEN EXISTS (SELECT 1 FROM orders WHERE id = NEW.order_id AND (state = 'paid' OR state = 'preparing' OR state = 'ready' OR state = 'collected' OR state = 'out_for_delivery' OR state = 'delivered'))
BEGIN
  INSERT INTO product_sales_hourly(business_id, hour, product_id, name, qty, revenue)
    SELECT business_id, created_at_ms / 3600000, NEW.product_id, NEW.name, NEW.qty, NEW.line_total FROM orders WHERE id = NEW.order_id
    ON CONFLICT(business_id, hour, product_id) DO UPDATE SET qty = qty + excluded.qty, revenue = revenue + excluded.revenue, name = excluded.name;
END;
DROP TRIGGER product_sales_sold;
CREATE TRIGGER product_sales_sold AFTER UPDATE OF state ON orders
WHEN (NEW.state = 'paid' OR NEW.state = 'preparing' OR NEW.state = 'ready' OR NEW.state = 'collected' OR NEW.state = 'out_for_delivery' OR NEW.state = 'delivered')
 AND NOT (OLD.state = 'paid' OR OLD.state = 'preparing' OR OLD.state = 'ready' OR OLD.state = 'collected' OR OLD.state = 'out_for_delivery' OR OLD.state = 'delivered')
BEGIN
  INSERT INTO product_sales_hourly(business_id, hour, product_id, name, qty, revenue)
    SELECT NEW.business_id, NEW.created_at_ms / 3600000, product_id, name, qty, line_total FROM order_lines WHERE order_id = NEW.id
    ON CONFLICT(business_id, hour, product_id) DO UPDATE SET qty = qty + excluded.qty, revenue = revenue + excluded.revenue, name = excluded.name;
END;
DROP TRIGGER product_sales_unsold;
CREATE TRIGGER product_sales_unsold AFTER UPDATE OF state ON orders
WHEN (OLD.state = 'paid' OR OLD.state = 'preparing' OR OLD.state = 'ready' OR OLD.state = 'collected' OR OLD.state = 'out_for_delivery' OR OLD.state = 'delivered')
 AND NOT (NEW.state = 'paid' OR NEW.state = 'preparing' OR NEW.state = 'ready' OR NEW.state = 'collected' OR NEW.state = 'out_for_delivery' OR NEW.state = 'delivered')
BEGIN
  UPDATE product_sales_hourly SET
    qty = qty - (SELECT COALESCE(SUM(l.qty), 0) FROM order_lines l WHERE l.order_id = NEW.id AND l.product_id = product_sales_hourly.product_id),
    revenue = revenue - (SELECT COALESCE(SUM(l.line_total), 0) FROM order_lines l WHERE l.order_id = NEW.id AND l.product_id = product_sales_hourly.product_id)
  WHERE business_id = NEW.business_id AND hour = NEW.created_at_ms / 3600000
    AND product_id IN (SELECT product_id FROM order_lines WHERE order_id = NEW.id);
END;
)sql";

// Migration 13's second step: the orders table's CHECKs of migration 1 with their IN lists written
// as comparisons (the same sets of values), for the reason above: three temporary b-trees per order
// written. SQLite cannot alter a CHECK, so this is its documented way for a constraint change that
// no row can violate (https://sqlite.org/lang_altertable.html, "otheralter"): the table's text in
// sqlite_schema rewritten under writable_schema, and the schema version moved so that every
// connection reads it again. A table whose text differs (not made by migration 1) is left as is.
void orders_checks_without_in_lists(sqlite::connection& db);

// Migration 13's steps after its SQL: the generation triggers of every table placement reads, one
// shape each (insert, update, delete), then the orders table's CHECKs.
void migration_13_steps(sqlite::connection& db) {
  for (const char* table : {"business_order_types", "opening_hours", "option_groups", "options", "product_availability"}) {
    const std::string t = table;
    const std::string bump = " BEGIN UPDATE businesses SET shop_generation = shop_generation + 1 WHERE id ";
    db.exec("CREATE TRIGGER shop_generation_" + t + "_insert AFTER INSERT ON " + t + bump + "= NEW.business_id; END");
    db.exec("CREATE TRIGGER shop_generation_" + t + "_update AFTER UPDATE ON " + t + bump +
            "IN (OLD.business_id, NEW.business_id); END");
    db.exec("CREATE TRIGGER shop_generation_" + t + "_delete AFTER DELETE ON " + t + bump + "= OLD.business_id; END");
  }
  orders_checks_without_in_lists(db);
}

void orders_checks_without_in_lists(sqlite::connection& db) {
  struct change {
    const char* from;
    const char* to;
  };
  static constexpr change k_changes[] = {
      {"CHECK (order_type IN ('eat_in', 'takeaway', 'pickup', 'delivery'))",
       "CHECK (order_type = 'eat_in' OR order_type = 'takeaway' OR order_type = 'pickup' OR order_type = 'delivery')"},
      {"CHECK (payment_method IN ('card_present', 'cash', 'wallet'))",
       "CHECK (payment_method = 'card_present' OR payment_method = 'cash' OR payment_method = 'wallet')"},
      {"CHECK (state IN ('pending_payment', 'paid', 'preparing', 'ready',\n"
       "                    'collected', 'out_for_delivery', 'delivered', 'cancelled', 'refunded'))",
       "CHECK (state = 'pending_payment' OR state = 'paid' OR state = 'preparing' OR state = 'ready' OR\n"
       "                    state = 'collected' OR state = 'out_for_delivery' OR state = 'delivered' OR\n"
       "                    state = 'cancelled' OR state = 'refunded')"},
  };
  std::string sql;
  {
    auto q = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'orders'");
    if (!q.step()) return;
    sql = q.text(0);
  }
  for (const auto& c : k_changes) {
    const auto at = sql.find(c.from);
    if (at == std::string::npos) return;  // not migration 1's text: keep it whole
    sql.replace(at, std::string_view(c.from).size(), c.to);
  }
  std::int64_t version = 0;
  {
    auto q = db.prepare("PRAGMA schema_version");
    q.step();
    version = q.int64(0);
  }
  // Best effort: a connection that refuses schema writes (SQLITE_DBCONFIG_DEFENSIVE) keeps the old
  // CHECKs, which are as correct, only slower; the failed statement alone is rolled back.
  db.exec("PRAGMA writable_schema = ON");
  try {
    if (db.prepare("UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = 'orders'").bind(1, sql).run() == 1)
      db.exec("PRAGMA schema_version = " + std::to_string(version + 1));
  } catch (const sqlite::error& e) {
    spdlog::warn("migration 13: the orders table keeps its IN-list CHECKs ({})", e.what());
  }
  db.exec("PRAGMA writable_schema = OFF");
}

// Migration 14 (issue 13, fewer pages per order): every table and index an order touches is at
// least one 4 KiB WAL page in its commit (and its checksum), and keyed tables of long rows split
// often: order_answers, a WITHOUT ROWID table of ~300-byte rows, cost 2.4 pages per order (its
// interior pages hold whole rows). From here on:
// - an accepted order's answer lives in its orders row: the request's fingerprint in request_fp,
//   the body rebuilt from the row on a resend (order_service::answer_for, by the same function
//   that made it). order_answers keeps rejections and the accepted answers stored before this.
// - the daily number counter of the current day lives in the business row (written by every order
//   anyway); order_counters keeps finished days, written once at each day's rollover.
// - orders_state_created goes: its one reader, the expiry scan, reads the pending orders of
//   orders_pending_by_device (migration 2), which holds every unpaid order and nothing else.
constexpr const char* k_v14 = R"sql(
ALTER TABLE orders ADD COLUMN request_fp TEXT;
ALTER TABLE businesses ADD COLUMN counter_day TEXT NOT NULL DEFAULT '';
ALTER TABLE businesses ADD COLUMN counter_seq INTEGER NOT NULL DEFAULT 0;
DROP INDEX orders_state_created;
)sql";

// Migration 15 (issue 13): an order placed by order_service::place from here on has no stored
// creation row in order_state_history (one more random-key b-tree page per order, ~1.4 with its
// splits): its orders row says the same (created_at_ms, device_id, request_fp set only by place).
// Readers of the history read order_history, which adds that step 0 for such orders (unless an
// order has one stored: placed by a build between migrations 14 and 15). Transitions number
// their steps from 1.
constexpr const char* k_v15 = R"sql(
CREATE VIEW order_history(order_id, step, from_state, to_state, actor, reason, at_ms) AS
  SELECT order_id, step, from_state, to_state, actor, reason, at_ms FROM order_state_history
  UNION ALL
  SELECT o.id, 0, NULL, 'pending_payment', 'device:' || o.device_id, '', o.created_at_ms FROM orders o
  WHERE o.request_fp IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM order_state_history h WHERE h.order_id = o.id AND h.step = 0);
)sql";

constexpr migration k_migrations[] = {{1, k_v1}, {2, k_v2}, {3, k_v3}, {4, k_v4}, {5, k_v5}, {6, k_v6},
                                      {7, k_v7}, {8, k_v8}, {9, k_v9}, {11, k_v11}, {12, k_v12},
                                      {13, k_v13, migration_13_steps}, {14, k_v14}, {15, k_v15}};

}  // namespace

int latest_schema_version() noexcept { return std::end(k_migrations)[-1].version; }

int schema_version(sqlite::connection& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_version ("
      " version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)");
  auto s = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  s.step();
  return s.int32(0);
}

namespace {
bool applied(sqlite::connection& db, int version) {
  auto s = db.prepare("SELECT 1 FROM schema_version WHERE version = ?");
  s.bind(1, version);
  return s.step();
}
}  // namespace

int migrate(sqlite::connection& db) { return migrate(db, latest_schema_version()); }

int migrate(sqlite::connection& db, int up_to) {
  const int current = schema_version(db);
  if (current > latest_schema_version()) {
    throw sqlite::error(0, "database schema version " + std::to_string(current) +
                               " is newer than this kioskhub (" +
                               std::to_string(latest_schema_version()) + "); refusing to open it");
  }
  int ran = 0;
  for (const auto& [v, sql, then] : k_migrations) {
    // Each version is checked on its own, not against the highest one applied: branches take
    // their own numbers, so a lower-numbered migration may land after a higher one ran.
    if (v > up_to || applied(db, v)) continue;
    sqlite::transaction tx(db);
    // Re-check under the write lock: another process may have migrated meanwhile.
    if (applied(db, v)) continue;
    db.exec(sql);
    if (then != nullptr) then(db);
    db.prepare("INSERT INTO schema_version(version, applied_at_ms) "
               "VALUES (?, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))")
        .bind(1, v)
        .run();
    tx.commit();
    ++ran;
  }
  return ran;
}

}  // namespace kh::hub
