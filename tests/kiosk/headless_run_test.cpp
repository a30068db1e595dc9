// The headless front-end end to end on real files, with no broker reachable (the link keeps
// retrying in the background; everything here must work offline).

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "kh/kiosk/headless/headless.hpp"
#include "kh/kiosk/link/store.hpp"
#include "test_support.hpp"

namespace k = kh::kiosk;
using json = nlohmann::json;
using kh::kiosk::test::temp_dir;

namespace {

std::vector<json> run_session(const temp_dir& d, const std::string& input) {
  const auto in_path = d.path() / "commands.txt";
  const auto out_path = d.path() / "out.jsonl";
  {
    std::ofstream f(in_path, std::ios::binary);
    f << input;
  }
  k::link_options o;
  o.data_dir = d.path() / "data";
  o.mqtt_uri = "tcp://127.0.0.1:1";  // nothing listens there
  o.engine.device_id = "kiosk-7";
  o.engine.business_id = "cafe";
  const int in = ::open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
  std::FILE* out = std::fopen(out_path.c_str(), "w");
  EXPECT_GE(in, 0);
  EXPECT_NE(out, nullptr);
  EXPECT_EQ(k::headless::run(o, in, out), 0);
  ::close(in);
  std::fclose(out);
  std::ifstream r(out_path);
  std::vector<json> lines;
  std::string line;
  while (std::getline(r, line)) {
    auto j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    // Link events may interleave; the replies are what these tests check.
    if (!j.is_discarded() && !j.contains("event")) lines.push_back(j);
    if (!j.is_discarded() && j.contains("event") && j.contains("cmd")) lines.push_back(j);
  }
  return lines;
}

}  // namespace

TEST(headless_session, answers_one_line_per_command_and_ignores_blank_lines) {
  temp_dir d;
  const std::string input = "catalog\n\n   \nstatus\nbogus\norder ESP:1 takeaway cash\n" +
                            std::string(9000, 'a') + "\nstatus\r\nquit";
  const auto lines = run_session(d, input);
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0]["error"], "no_catalog");
  EXPECT_EQ(lines[1]["cmd"], "status");
  EXPECT_EQ(lines[1]["connected"], false);
  EXPECT_EQ(lines[1]["device"], "kiosk-7");
  EXPECT_EQ(lines[1]["business_id"], "cafe");
  EXPECT_EQ(lines[2],
            (json{{"ok", false}, {"error", "bad_command"}, {"message", lines[2]["message"]}}));
  EXPECT_EQ(lines[3]["cmd"], "order");
  EXPECT_EQ(lines[3]["error"], "no_catalog");
  EXPECT_EQ(lines[4]["error"], "bad_command");  // the over-long line, reported once
  EXPECT_EQ(lines[5]["cmd"], "status");
  EXPECT_EQ(lines[6], (json{{"ok", true}, {"cmd", "quit"}}));  // last line had no newline
}

TEST(headless_session, orders_from_the_cached_catalog_are_queued_durably_while_offline) {
  temp_dir d;
  {
    std::filesystem::create_directories(d.path() / "data");
    auto s = k::store::open(d.path() / "data" / "kiosk.db");
    ASSERT_TRUE(s);
    ASSERT_TRUE((*s)->save_catalog(kh::kiosk::test::make_catalog(8), 1));
  }
  const auto lines =
      run_session(d,
                  "catalog\norder NOPE:1 takeaway cash\norder ESP:2,LAT:1 eat_in card_present\n"
                  "order ESP:100 eat_in cash\nstatus\n");  // EOF ends the session, no quit line
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0]["version"], 8);
  EXPECT_EQ(lines[0]["products"].size(), 3u);
  EXPECT_EQ(lines[1]["error"], "unknown_sku");
  EXPECT_EQ(lines[2]["event"], "queued");
  const std::string id = lines[2]["order_id"];
  EXPECT_EQ(lines[3]["error"], "invalid_quantity");
  EXPECT_EQ(lines[4]["outbox_pending"], 1);
  EXPECT_EQ(lines[4]["catalog_version"], 8);
  EXPECT_EQ(lines[4]["orders"][0],
            (json{{"order_id", id}, {"state", "queued"}, {"number", nullptr}}));

  auto s = k::store::open(d.path() / "data" / "kiosk.db");
  ASSERT_TRUE(s);
  auto pending = (*s)->pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].order_id, id);
  EXPECT_NE(pending[0].payload.find("\"order.submit\""), std::string::npos);
}
