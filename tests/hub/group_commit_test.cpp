// Group commit (order_service::place_batch, ingress::handle_batch): many orders in one
// transaction, each in its own savepoint, answered only after the one commit.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kh/hub/ingress/ingress.hpp"
#include "kh/hub/orders/order_service.hpp"
#include "kh/hub/storage/sqlite.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "test_support.hpp"

namespace kh::hub {
namespace {

using protocol::code;
using test::biz;
using test::make_order;
using test::stock_of;

class group_commit_test : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_sqlite_store(database_path(dir_.str()));
    test::seed_small(*store_);
    svc_ = std::make_unique<order_service>(*store_, clock_.fn());
  }
  // Counted on a second connection: sees only what is committed.
  std::int64_t count(const std::string& sql) {
    sqlite::connection db(database_path(dir_.str()));
    auto s = db.prepare(sql);
    EXPECT_TRUE(s.step());
    return s.int64(0);
  }
  std::string number(const placement& p) { return nlohmann::json::parse(p.body).value("number", ""); }
  static order_submission sub(protocol::order_submit r, std::string device = "kiosk-1") {
    return {std::move(device), std::move(r)};
  }

  test::temp_dir dir_;
  test::manual_clock clock_;
  std::unique_ptr<store> store_;
  std::unique_ptr<order_service> svc_;
};

TEST_F(group_commit_test, two_orders_for_the_last_unit_in_one_batch_one_gets_it) {
  // cake: stock 1.
  const auto a = make_order({{"cake", 1}});
  const auto b = make_order({{"cake", 1}});
  const auto out = svc_->place_batch({sub(a), sub(b, "kiosk-1")});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].accepted) << out[0].body;
  EXPECT_FALSE(out[1].accepted);
  EXPECT_EQ(out[1].code, code::out_of_stock) << out[1].body;
  EXPECT_EQ(stock_of(*store_, "cake"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders WHERE id = '" + a.order_id + "'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM order_lines"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM notification_outbox"), 1);
  // Both answers are stored: a resend of the loser gets the same rejection.
  const auto again = svc_->place("kiosk-1", b);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.body, out[1].body);
}

TEST_F(group_commit_test, the_same_order_id_twice_in_one_batch_is_one_order_with_identical_answers) {
  const auto a = make_order({{"bun", 2}});
  const auto out = svc_->place_batch({sub(a), sub(make_order({{"coffee", 1}})), sub(a)});
  ASSERT_EQ(out.size(), 3u);
  ASSERT_TRUE(out[0].accepted) << out[0].body;
  EXPECT_FALSE(out[0].duplicate);
  EXPECT_TRUE(out[2].accepted);
  EXPECT_TRUE(out[2].duplicate);
  EXPECT_EQ(out[2].type, out[0].type);
  EXPECT_EQ(out[2].body, out[0].body);
  EXPECT_FALSE(out[2].status.has_value());  // announced to the board once
  EXPECT_EQ(stock_of(*store_, "bun"), 3);   // 5 - 2, taken once
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders WHERE id = '" + a.order_id + "'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM notification_outbox"), 2);
  // Accepted answers live in their orders' rows (schema v14), rejections in order_answers.
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders WHERE request_fp IS NOT NULL"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM order_answers"), 0);
}

TEST_F(group_commit_test, a_rejected_order_in_the_middle_changes_nothing_and_numbers_stay_consecutive) {
  const auto out = svc_->place_batch({sub(make_order({{"bun", 1}})),
                                      sub(make_order({{"bun", 1}, {"nosuch", 1}})),  // rejected after bun was seen
                                      sub(make_order({{"bun", 1}, {"cake", 2}})),    // out of stock: cake has 1
                                      sub(make_order({{"bun", 1}}), "board-1"),      // forbidden, not stored
                                      sub(make_order({{"bun", 1}}))});
  ASSERT_EQ(out.size(), 5u);
  EXPECT_TRUE(out[0].accepted);
  EXPECT_EQ(out[1].code, code::unknown_product);
  EXPECT_EQ(out[2].code, code::out_of_stock);
  EXPECT_EQ(out[3].code, code::forbidden);
  EXPECT_TRUE(out[4].accepted);
  EXPECT_EQ(number(out[0]), "A-001");
  EXPECT_EQ(number(out[4]), "A-002");
  EXPECT_EQ(stock_of(*store_, "bun"), 3);
  EXPECT_EQ(stock_of(*store_, "cake"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM order_lines"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM order_history"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM notification_outbox"), 2);
  // Two acceptances in their rows, two rejections stored; the forbidden one is not stored.
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders WHERE request_fp IS NOT NULL"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM order_answers"), 2);
  EXPECT_EQ(count("SELECT active_orders FROM businesses"), 2);
}

TEST_F(group_commit_test, numbers_stock_and_answers_are_as_with_one_transaction_per_order) {
  // The same seven orders, once one by one and once as a batch, in two fresh stores.
  std::vector<protocol::order_submit> reqs;
  for (int i = 0; i < 7; ++i) reqs.push_back(make_order({{"bun", 1}, {"coffee", i % 2}}));
  for (auto& r : reqs) {
    if (r.lines[1].qty == 0) r.lines.pop_back();
  }
  test::temp_dir other_dir;
  auto other = open_sqlite_store(database_path(other_dir.str()));
  test::seed_small(*other);
  order_service one_by_one(*other, clock_.fn());
  std::vector<placement> single;
  for (auto& r : reqs) single.push_back(one_by_one.place("kiosk-1", r));
  std::vector<order_submission> batch;
  for (auto& r : reqs) batch.push_back(sub(r));
  const auto grouped = svc_->place_batch(batch);
  ASSERT_EQ(grouped.size(), single.size());
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(grouped[i].type, single[i].type) << i;
    EXPECT_EQ(grouped[i].body, single[i].body) << i;  // same numbers, totals, ETA, rejections
  }
  EXPECT_EQ(stock_of(*store_, "bun"), 0);
  EXPECT_EQ(stock_of(*other, "bun"), 0);
}

TEST_F(group_commit_test, a_failing_order_costs_the_others_nothing) {
  // A database error inside one order (a trigger stands in for a corrupt page or a full disk).
  const auto bad = make_order({{"bun", 1}});
  {
    sqlite::connection db(database_path(dir_.str()));
    db.exec("CREATE TRIGGER boom BEFORE INSERT ON orders WHEN NEW.id = '" + bad.order_id +
            "' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  }
  const auto out = svc_->place_batch({sub(make_order({{"bun", 1}})), sub(bad), sub(make_order({{"bun", 1}}))});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].accepted) << out[0].body;
  EXPECT_FALSE(out[1].accepted);
  EXPECT_EQ(out[1].code, code::internal);
  EXPECT_FALSE(out[1].stored);  // a resend is a real retry
  EXPECT_TRUE(out[2].accepted) << out[2].body;
  EXPECT_EQ(number(out[0]), "A-001");
  EXPECT_EQ(number(out[2]), "A-002");
  EXPECT_EQ(stock_of(*store_, "bun"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM order_answers WHERE order_id = '" + bad.order_id + "'"), 0);
}

TEST_F(group_commit_test, a_nested_unit_of_work_undoes_only_its_own_writes) {
  auto outer = store_->begin();
  ASSERT_TRUE(store_->catalog().set_stock(biz, "bun", 9, 0));
  {
    auto inner = store_->begin();
    ASSERT_TRUE(store_->catalog().set_stock(biz, "cake", 7, 0));
  }  // dropped: rolled back
  {
    auto inner = store_->begin();
    ASSERT_TRUE(store_->catalog().set_stock(biz, "coffee", 4, 0));
    inner->commit();
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM products WHERE id = 'coffee' AND stock = 4"), 0);  // not yet committed
  outer->commit();
  EXPECT_EQ(stock_of(*store_, "bun"), 9);
  EXPECT_EQ(stock_of(*store_, "cake"), 1);
  EXPECT_EQ(stock_of(*store_, "coffee"), 4);
}

// Through the ingress: every answer goes out only once the batch is committed.
TEST_F(group_commit_test, answers_are_published_only_after_the_batch_is_committed) {
  metrics_registry metrics;
  ingress::describe_metrics(metrics);
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::int64_t> committed_at_publish;
  ingress in(
      *store_, *svc_, metrics,
      [&](const std::string& t, std::string p, bool) {
        if (t.ends_with("/down/order.accepted")) {
          const std::string id = nlohmann::json::parse(p)["body"]["order_id"];
          committed_at_publish.push_back(count("SELECT COUNT(*) FROM orders WHERE id = '" + id + "'"));
        }
        out.emplace_back(t, std::move(p));
        return true;
      },
      {});
  auto envelope = [](const protocol::order_submit& r) {
    return protocol::make_message(protocol::types::order_submit, protocol::to_json(r));
  };
  const auto a = make_order({{"bun", 1}});
  const auto b = make_order({{"coffee", 1}});
  const std::string up = "kh/v1/d/kiosk-1/up/order.submit";
  in.handle_batch({{up, envelope(a), {}},
                   {"kh/v1/d/kiosk-1/up/order.submit", "{not json", {}},
                   {up, envelope(b), {}},
                   {up, envelope(a), {}}});
  ASSERT_EQ(committed_at_publish.size(), 3u);  // a, b, and a's replay
  for (auto c : committed_at_publish) EXPECT_EQ(c, 1);
  int accepted = 0, errors = 0, statuses = 0;
  std::vector<std::string> bodies_of_a;
  for (auto& [t, p] : out) {
    const auto j = nlohmann::json::parse(p);
    if (t == "kh/v1/d/kiosk-1/down/order.accepted") {
      ++accepted;
      if (j["body"]["order_id"] == a.order_id) bodies_of_a.push_back(j["body"].dump());
    }
    if (t == "kh/v1/d/kiosk-1/down/error") ++errors;
    if (t == std::string("kh/v1/b/") + biz + "/orders") ++statuses;
  }
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(errors, 1);
  EXPECT_EQ(statuses, 2);  // one per new order
  ASSERT_EQ(bodies_of_a.size(), 2u);
  EXPECT_EQ(bodies_of_a[0], bodies_of_a[1]);
}

// /healthz reflects the last write: inside a batch an order's savepoint is not a write yet, so the
// observer hears of the batch once, after its commit, when a second connection sees every order.
TEST_F(group_commit_test, the_write_observer_is_told_after_the_batch_commit_not_per_order) {
  std::vector<std::pair<bool, std::int64_t>> told;  // ok, orders committed at that moment
  svc_->set_write_observer(
      [&](bool ok, const std::string&) { told.emplace_back(ok, count("SELECT COUNT(*) FROM orders")); });
  const auto out = svc_->place_batch(
      {sub(make_order({{"bun", 1}})), sub(make_order({{"nosuch", 1}})), sub(make_order({{"coffee", 1}}))});
  ASSERT_EQ(out.size(), 3u);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_TRUE(told[0].first);
  EXPECT_EQ(told[0].second, 2);  // both accepted orders were committed when it was told
  told.clear();
  svc_->place("kiosk-1", make_order({{"bun", 1}}));  // alone: told after its own commit
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].second, 3);
}

// An order the hub failed to store (`internal`, a database error) is resent by the kiosk: the
// failed attempt must not have cost the device a rate-limit token, or the resend and the next
// order are charged twice for one order.
TEST_F(group_commit_test, a_failed_placement_gives_its_rate_limit_token_back) {
  metrics_registry metrics;
  ingress::describe_metrics(metrics);
  std::vector<std::string> topics;
  ingress in(
      *store_, *svc_, metrics,
      [&](const std::string& t, std::string, bool) {
        if (t.find("/down/") != std::string::npos) topics.push_back(t);  // answers, not board events
        return true;
      },
      [](const std::string&) {}, ingress_options{.order_rate_per_second = 0.001, .order_burst = 2});
  auto envelope = [](const protocol::order_submit& r) {
    return protocol::make_message(protocol::types::order_submit, protocol::to_json(r));
  };
  const std::string up = "kh/v1/d/kiosk-1/up/order.submit";
  const auto bad = make_order({{"bun", 1}});
  {
    sqlite::connection db(database_path(dir_.str()));
    db.exec("CREATE TRIGGER boom BEFORE INSERT ON orders WHEN NEW.id = '" + bad.order_id +
            "' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  }
  in.handle_batch({{up, envelope(bad), {}}});
  ASSERT_EQ(topics.size(), 1u);
  EXPECT_EQ(topics.back(), "kh/v1/d/kiosk-1/down/order.rejected");  // internal, retryable
  {
    sqlite::connection db(database_path(dir_.str()));
    db.exec("DROP TRIGGER boom");
  }
  in.handle_batch({{up, envelope(bad), {}}});                          // the resend
  in.handle_batch({{up, envelope(make_order({{"coffee", 1}})), {}}});  // the next order
  in.handle_batch({{up, envelope(make_order({{"coffee", 1}})), {}}});  // past the burst of 2
  ASSERT_EQ(topics.size(), 4u);
  EXPECT_EQ(topics[1], "kh/v1/d/kiosk-1/down/order.accepted");
  EXPECT_EQ(topics[2], "kh/v1/d/kiosk-1/down/order.accepted");  // without the refund: rate_limited
  EXPECT_EQ(topics[3], "kh/v1/d/kiosk-1/down/order.rejected");  // the limit still holds
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 2);
}

}  // namespace
}  // namespace kh::hub
