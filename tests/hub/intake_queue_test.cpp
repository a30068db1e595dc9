#include "kh/hub/ingress/intake_queue.hpp"

#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "kh/hub/http/writer_gateway.hpp"

namespace kh::hub {
namespace {

intake_item item(const std::string& device, std::size_t payload_bytes) {
  intake_item it;
  it.device = device;
  it.topic = "kh/v1/d/" + device + "/up/order.submit";
  it.payload = std::string(payload_bytes, 'x');
  return it;
}

TEST(intake_queue, is_bounded_in_bytes_as_well_as_in_count) {
  intake_queue q({.max_bytes = 100'000, .max_messages = 1000, .device_share_divisor = 1});
  bool was_empty = false;
  int queued = 0;
  for (int i = 0; i < 1000; ++i) {
    auto it = item("kiosk-1", 10'000);
    if (q.push(std::move(it), was_empty) == intake_queue::verdict::queued) ++queued;
  }
  // 10 KB each against a 100 kB cap: 9 fit (with their topics), not 1000.
  EXPECT_EQ(queued, 9);
  EXPECT_LE(q.bytes(), 100'000u);
  EXPECT_EQ(q.last_seq(), 1000u) << "refused ones are counted as handed over too";
}

TEST(intake_queue, one_device_cannot_take_more_than_its_share) {
  intake_queue q({.max_bytes = 1 << 30, .max_messages = 800, .device_share_divisor = 8});
  bool was_empty = false;
  int flood = 0;
  for (int i = 0; i < 800; ++i) {
    auto it = item("flood", 10);
    if (q.push(std::move(it), was_empty) == intake_queue::verdict::queued) ++flood;
  }
  EXPECT_EQ(flood, 100);
  auto other = item("kiosk-2", 10);
  EXPECT_EQ(q.push(std::move(other), was_empty), intake_queue::verdict::queued);
  auto more = item("flood", 10);
  EXPECT_EQ(q.push(std::move(more), was_empty), intake_queue::verdict::device_full);
}

TEST(intake_queue, drains_round_robin_so_a_flood_does_not_delay_others) {
  intake_queue q;
  bool was_empty = false;
  for (int i = 0; i < 50; ++i) {
    auto it = item("flood", 1);
    q.push(std::move(it), was_empty);
  }
  auto quiet = item("quiet", 1);
  q.push(std::move(quiet), was_empty);
  EXPECT_FALSE(was_empty);
  std::vector<intake_item> out;
  EXPECT_EQ(q.drain(out, 2), 2u);
  EXPECT_EQ(out[0].device, "flood");
  EXPECT_EQ(out[1].device, "quiet") << "the second device's message comes second, not 51st";
  q.drain(out, 1000);
  EXPECT_EQ(out.size(), 51u);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.bytes(), 0u);
  for (std::size_t i = 2; i + 1 < out.size(); ++i) EXPECT_LT(out[i].seq, out[i + 1].seq) << "one device stays in order";
}

TEST(writer_gateway, runs_work_on_the_writer_thread_and_returns_its_result) {
  boost::asio::io_context writer{1};
  auto guard = boost::asio::make_work_guard(writer);
  std::thread::id writer_id;
  std::thread t([&] {
    writer_id = std::this_thread::get_id();
    writer.run();
  });
  writer_gateway gw(writer);
  auto r = gw.call([] { return std::this_thread::get_id(); });
  ASSERT_TRUE(r);
  EXPECT_NE(*r, std::this_thread::get_id());
  EXPECT_THROW(gw.call([]() -> int { throw std::runtime_error("boom"); }), std::runtime_error);
  // A writer that is stuck answers nothing within the deadline.
  std::promise<void> release;
  boost::asio::post(writer, [f = release.get_future().share()] { f.wait(); });
  EXPECT_FALSE(gw.call([] { return 1; }, std::chrono::milliseconds(50)));
  release.set_value();
  guard.reset();
  t.join();
  EXPECT_EQ(*r, writer_id);
}

}  // namespace
}  // namespace kh::hub
