// Group commit for order placement: many orders, one transaction, one commit (see
// order_service::place_batch). The per-order logic stays in order_service::place, which opens its
// own unit of work; inside the batch's transaction that unit is a savepoint (store::begin), so
// whatever place() learns to check later flows into the batch unchanged.
#include <exception>

#include <spdlog/spdlog.h>

#include "kh/hub/orders/order_service.hpp"

namespace kh::hub {

namespace {
// An `internal` answer is the only one that may mean the database is in trouble (SQLite may have
// ended the whole transaction on SQLITE_FULL / SQLITE_IOERR); everything else is a business answer.
bool failed_inside(const placement& p) { return !p.accepted && !p.duplicate && p.code == protocol::code::internal; }
}  // namespace

std::vector<placement> order_service::place_batch(const std::vector<order_submission>& batch) {
  std::vector<placement> out;
  out.reserve(batch.size());
  if (batch.size() <= 1) {
    for (const auto& s : batch) out.push_back(place(s.device_id, s.req));
    return out;
  }
  bool again = false;
  try {
    auto tx = store_.begin();
    in_batch_ = true;  // place() tells the write observer nothing until the commit below
    for (const auto& s : batch) {
      out.push_back(place(s.device_id, s.req));
      if (failed_inside(out.back())) {
        again = true;
        break;
      }
    }
    in_batch_ = false;
    if (!again) {
      tx->commit();  // the one fsync of the batch
      wrote(true);   // only now are its orders written
    }
  } catch (const std::exception& e) {
    in_batch_ = false;
    spdlog::error("committing a batch of {} orders failed: {}; placing them one by one", batch.size(), e.what());
    wrote(false, e.what());
    again = true;
  }
  if (again) {
    // Nothing of the batch was kept (the transaction rolled back): no answer of it went out.
    out.clear();
    for (const auto& s : batch) out.push_back(place(s.device_id, s.req));
  }
  return out;
}

}  // namespace kh::hub
