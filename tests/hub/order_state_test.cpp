#include <gtest/gtest.h>

#include "kh/hub/orders/order_service.hpp"
#include "test_support.hpp"

namespace kh::hub {
namespace {

using protocol::order_state;
using test::biz;
using test::make_order;
using test::stock_of;

class order_state_test : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_sqlite_store(database_path(dir_.str()));
    test::seed_small(*store_);
    svc_ = std::make_unique<order_service>(*store_, clock_.fn());
  }
  std::string place(std::vector<std::pair<std::string, int>> lines) {
    auto req = make_order(std::move(lines));
    EXPECT_TRUE(svc_->place("kiosk-1", req).accepted);
    return req.order_id;
  }
  std::int64_t queue() { return store_->businesses().find(biz)->active_orders; }

  test::temp_dir dir_;
  test::manual_clock clock_;
  std::unique_ptr<store> store_;
  std::unique_ptr<order_service> svc_;
};

TEST_F(order_state_test, an_order_walks_the_happy_path_with_history) {
  const auto id = place({{"bun", 1}});
  EXPECT_EQ(queue(), 1);
  for (auto to : {order_state::paid, order_state::preparing, order_state::ready, order_state::collected}) {
    clock_.now += std::chrono::minutes(1);
    auto r = svc_->transition(id, to, "staff:ana");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status.state, to);
  }
  EXPECT_EQ(queue(), 0);
  EXPECT_EQ(store_->orders().find(id)->state, order_state::collected);
  const auto h = store_->orders().history(id);
  ASSERT_EQ(h.size(), 5u);
  EXPECT_EQ(h[4].from, order_state::ready);
  EXPECT_EQ(h[4].to, order_state::collected);
  EXPECT_EQ(h[4].actor, "staff:ana");
  EXPECT_GT(h[4].at_ms, h[0].at_ms);
  EXPECT_EQ(stock_of(*store_, "bun"), 4);  // sold goods stay sold
}

TEST_F(order_state_test, a_forbidden_transition_changes_nothing) {
  const auto id = place({{"bun", 1}});
  auto r = svc_->transition(id, order_state::ready, "staff:ana");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, protocol::code::invalid_transition);
  EXPECT_EQ(store_->orders().find(id)->state, order_state::pending_payment);
  EXPECT_EQ(store_->orders().history(id).size(), 1u);
  EXPECT_FALSE(svc_->transition("00000000-0000-4000-8000-000000000000", order_state::paid, "x").ok());
}

TEST_F(order_state_test, delivery_orders_go_out_for_delivery) {
  auto req = make_order({{"coffee", 1}});
  req.type = protocol::order_type::delivery;
  req.delivery_address = "1 Main Street";  // required for delivery since the store profile
  ASSERT_TRUE(svc_->place("kiosk-1", req).accepted);
  for (auto to : {order_state::paid, order_state::preparing, order_state::ready}) {
    ASSERT_TRUE(svc_->transition(req.order_id, to, "staff:ana").ok());
  }
  EXPECT_FALSE(svc_->transition(req.order_id, order_state::collected, "staff:ana").ok());
  EXPECT_TRUE(svc_->transition(req.order_id, order_state::out_for_delivery, "staff:ana").ok());
  EXPECT_TRUE(svc_->transition(req.order_id, order_state::delivered, "courier:1").ok());
}

TEST_F(order_state_test, cancelling_a_pending_order_releases_its_stock) {
  const auto id = place({{"bun", 2}, {"coffee", 1}, {"bun", 1}});
  EXPECT_EQ(stock_of(*store_, "bun"), 2);
  auto r = svc_->transition(id, order_state::cancelled, "staff:ana", "customer left");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->stock_changed);
  EXPECT_EQ(stock_of(*store_, "bun"), 5);
  EXPECT_EQ(stock_of(*store_, "coffee"), std::nullopt);
  EXPECT_EQ(queue(), 0);
  // Final: no second release.
  EXPECT_FALSE(svc_->transition(id, order_state::cancelled, "staff:ana").ok());
  EXPECT_EQ(stock_of(*store_, "bun"), 5);
}

TEST_F(order_state_test, refunds_restock_only_when_asked) {
  const auto a = place({{"bun", 1}});
  const auto b = place({{"bun", 1}});
  for (const auto& id : {a, b}) ASSERT_TRUE(svc_->transition(id, order_state::paid, "terminal").ok());
  ASSERT_TRUE(svc_->transition(a, order_state::refunded, "staff:ana", "spilled").ok());
  EXPECT_EQ(stock_of(*store_, "bun"), 3);
  ASSERT_TRUE(svc_->transition(b, order_state::refunded, "staff:ana", "not made", /*restock=*/true).ok());
  EXPECT_EQ(stock_of(*store_, "bun"), 4);
}

TEST_F(order_state_test, expiry_cancels_old_unpaid_orders_and_releases_stock) {
  const auto old_order = place({{"bun", 2}});
  clock_.now += std::chrono::minutes(10);
  const auto young = place({{"bun", 1}});
  const auto paid = place({{"cake", 1}});
  ASSERT_TRUE(svc_->transition(paid, order_state::paid, "terminal").ok());
  EXPECT_EQ(stock_of(*store_, "bun"), 2);

  clock_.now += std::chrono::minutes(6);  // old_order is 16 min old, young 6 min
  const auto expired = svc_->expire_unpaid(std::chrono::minutes(15));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].status.order_id, old_order);
  EXPECT_EQ(expired[0].status.state, order_state::cancelled);
  EXPECT_EQ(expired[0].business_id, biz);
  EXPECT_EQ(expired[0].device_id, "kiosk-1");
  EXPECT_TRUE(expired[0].stock_changed);
  EXPECT_EQ(stock_of(*store_, "bun"), 4);
  EXPECT_EQ(store_->orders().find(young)->state, order_state::pending_payment);
  EXPECT_EQ(store_->orders().find(paid)->state, order_state::paid);
  EXPECT_EQ(store_->orders().history(old_order).back().actor, "system:expiry");
  EXPECT_TRUE(svc_->expire_unpaid(std::chrono::minutes(15)).empty());
}

}  // namespace
}  // namespace kh::hub
