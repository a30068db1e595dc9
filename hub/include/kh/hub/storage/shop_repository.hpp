#pragma once
// Storage for the kiosk shop (issue 9): the store profile, product option groups, what an order
// carries beyond its core row (options per line, table, pickup slot, delivery address, offline
// number, stock conflict), customer feedback, the latest device.status per device, and product
// images. Reached as `store::shop()`; every write inside `store::begin()`…`commit()` like the
// other repositories. The web portal edits the profile, option groups and images through the
// same calls (tables: schema migration 3); after a change that devices see (profile, option
// groups, images) the caller publishes a new catalog (`next_catalog`, in the hub
// `mark_catalog_dirty`), as for stock changes.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kh/protocol/messages.hpp"

namespace kh::hub {

/// An option chosen on a stored order line, with the names and delta copied at placement (the
/// receipt must not change when the catalog does).
struct ordered_option {
  std::string group_id;
  std::string option_id;
  std::string group_name;
  std::string option_name;
  std::int64_t price_delta = 0;

  friend bool operator==(const ordered_option&, const ordered_option&) = default;
};

/// Everything an order has beyond its core row; stored only when something is set.
struct order_details {
  std::string table;             ///< eat-in table number
  std::optional<std::int64_t> pickup_at_ms;
  std::string delivery_address;
  bool offline = false;          ///< placed offline at a kiosk: `number` is the kiosk's local one
  std::optional<std::int64_t> placed_at_ms;  ///< offline: when the customer placed it
  /// Offline order accepted although stock ran out meanwhile (staff must sort it out).
  bool stock_conflict = false;
  std::map<int, std::vector<ordered_option>> line_options;  ///< by order line_no

  bool empty() const noexcept {
    return table.empty() && !pickup_at_ms && delivery_address.empty() && !offline && !placed_at_ms &&
           !stock_conflict && line_options.empty();
  }
  friend bool operator==(const order_details&, const order_details&) = default;
};

struct feedback_record {
  std::string order_id;
  std::string business_id;
  std::string device_id;
  int rating = 5;
  std::string comment;
  std::int64_t created_at_ms = 0;
};

struct device_status_record {
  std::string device_id;
  std::string business_id;
  protocol::device_status status;
  std::int64_t updated_at_ms = 0;
};

struct image_record {
  std::string business_id;
  std::string id;            ///< file name in the URL, e.g. "flat-white.png"
  std::string content_type;  ///< "image/png"
  std::string data;          ///< the bytes
  std::string etag;          ///< strong ETag without quotes (content hash)
  std::int64_t updated_at_ms = 0;
};

class shop_repository {
 public:
  virtual ~shop_repository() = default;

  /// The business' store profile: tax from the business row, time zone (NULL in old rows:
  /// "UTC" with the row's fixed utc_offset kept for numbering), offered order types with their
  /// settings (none stored: every type, legacy), opening hours, languages, banner, payment
  /// methods. nullopt for an unknown business.
  virtual std::optional<protocol::store_profile> profile(const std::string& business_id) = 0;
  /// Replaces the whole profile (types, hours and all). The caller validates it first
  /// (`protocol::decode_store_profile` and `kh::hub::check_profile`). False: unknown business.
  virtual bool set_profile(const std::string& business_id, const protocol::store_profile& p) = 0;
  /// The zone name stored for the business; empty when none (legacy fixed offset).
  virtual std::string time_zone(const std::string& business_id) = 0;

  /// Option groups of one product, in position order, and of every product of a business.
  virtual std::vector<protocol::option_group> option_groups(const std::string& business_id,
                                                            const std::string& product_id) = 0;
  virtual std::map<std::string, std::vector<protocol::option_group>> all_option_groups(
      const std::string& business_id) = 0;
  /// Replaces the product's groups (empty: none). Prices in minor units of the business'
  /// currency. Throws sqlite::error when the product does not exist (foreign key).
  virtual void set_option_groups(const std::string& business_id, const std::string& product_id,
                                 const std::vector<protocol::option_group>& groups) = 0;

  /// Availability windows of one product (empty: always), and of every product of a business
  /// that has some (migration 12).
  virtual std::vector<protocol::availability_window> availability(const std::string& business_id,
                                                                  const std::string& product_id) = 0;
  virtual std::map<std::string, std::vector<protocol::availability_window>> all_availability(
      const std::string& business_id) = 0;
  /// Replaces the product's windows (empty: none). The caller validates them first
  /// (`protocol::check_window`). Throws sqlite::error when the product does not exist.
  virtual void set_availability(const std::string& business_id, const std::string& product_id,
                                const std::vector<protocol::availability_window>& windows) = 0;

  virtual void insert_order_details(const std::string& order_id, const order_details& d) = 0;
  /// Empty details when the order has none stored.
  virtual order_details order_details_of(const std::string& order_id) = 0;
  virtual std::int64_t count_stock_conflicts(const std::string& business_id) = 0;

  /// Stores the first feedback of an order; false (changing nothing) when it already has one.
  virtual bool insert_feedback_once(const feedback_record& f) = 0;
  virtual std::optional<feedback_record> feedback(const std::string& order_id) = 0;

  /// Keeps `r` as the device's latest status (replacing the previous one).
  virtual void set_device_status(const device_status_record& r) = 0;
  virtual std::optional<device_status_record> device_status(const std::string& device_id) = 0;
  virtual std::vector<device_status_record> all_device_statuses() = 0;

  /// Inserts or replaces an image (ETag and time as given).
  virtual void put_image(const image_record& r) = 0;
  virtual std::optional<image_record> image(const std::string& business_id, const std::string& id) = 0;
};

}  // namespace kh::hub
