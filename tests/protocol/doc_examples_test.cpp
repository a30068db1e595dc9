// Every ```json block in docs/protocol.md is a complete envelope that must decode, and every
// message type of messages.hpp must have at least one example: the documentation cannot drift from
// the code.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "kh/protocol/codec.hpp"
#include "kh/protocol/staff.hpp"

namespace kp = kh::protocol;
using json = nlohmann::json;

namespace {

struct example {
  int line = 0;  // where the block starts in the file, for the failure message
  std::string text;
};

std::string read_doc() {
  const std::string path = std::string(KH_SOURCE_DIR) + "/docs/protocol.md";
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<example> json_blocks(const std::string& doc) {
  std::vector<example> out;
  std::istringstream in(doc);
  std::string line;
  int n = 0;
  example* open = nullptr;
  while (std::getline(in, line)) {
    ++n;
    if (open == nullptr) {
      if (line.rfind("```json", 0) == 0) {
        out.push_back({n, {}});
        open = &out.back();
      }
    } else if (line.rfind("```", 0) == 0) {
      open = nullptr;
    } else {
      open->text += line;
      open->text += '\n';
    }
  }
  if (open != nullptr) out.push_back({-1, "unterminated ```json block"});
  return out;
}

// Re-encodes a decoded body so the test also checks the doc shows the exact wire shape.
json reencode(const std::string& type, const json& body) {
  if (type == kp::types::hello) return kp::to_json(kp::decode_hello(body).value());
  if (type == kp::types::catalog) return kp::to_json(kp::decode_catalog(body).value());
  if (type == kp::types::order_submit) return kp::to_json(kp::decode_order_submit(body).value());
  if (type == kp::types::order_accepted)
    return kp::to_json(kp::decode_order_accepted(body).value());
  if (type == kp::types::order_status) return kp::to_json(kp::decode_order_status(body).value());
  if (type == kp::types::order_quote) return kp::to_json(kp::decode_order_quote(body).value());
  if (type == kp::types::order_quoted) return kp::to_json(kp::decode_order_quoted(body).value());
  if (type == kp::types::feedback) return kp::to_json(kp::decode_feedback(body).value());
  if (type == kp::types::device_status) return kp::to_json(kp::decode_device_status(body).value());
  if (type == kp::types::device_config) return kp::to_json(kp::decode_device_config(body).value());
  if (type == kp::types::order_action) return kp::to_json(kp::decode_order_action(body).value());
  if (type == kp::types::order_action_result)
    return kp::to_json(kp::decode_order_action_result(body).value());
  if (type == kp::types::orders_sync) return kp::to_json(kp::decode_orders_sync(body).value());
  if (type == kp::types::orders_snapshot)
    return kp::to_json(kp::decode_orders_snapshot(body).value());
  return kp::to_json(kp::decode_rejection(body).value());
}

}  // namespace

TEST(protocol_doc, every_json_example_is_a_valid_envelope_with_a_valid_body) {
  const std::string doc = read_doc();
  ASSERT_FALSE(doc.empty()) << "cannot read " << KH_SOURCE_DIR << "/docs/protocol.md";
  const auto blocks = json_blocks(doc);
  ASSERT_GE(blocks.size(), kp::types::all.size());

  std::map<std::string, int> seen;
  for (const auto& b : blocks) {
    SCOPED_TRACE("docs/protocol.md block at line " + std::to_string(b.line));
    // EXPECT + continue rather than ASSERT: one run reports every broken example.
    const auto env = kp::decode_envelope(b.text);
    if (!env.ok()) {
      ADD_FAILURE() << "envelope: " << kp::to_string(env.error().code) << ": "
                    << env.error().message;
      continue;
    }
    const auto problem = kp::validate_body(env->type, env->body);
    if (problem) {
      ADD_FAILURE() << env->type << ": " << kp::to_string(problem->code) << ": "
                    << problem->message;
      continue;
    }
    EXPECT_EQ(reencode(env->type, env->body), env->body)
        << env->type << " example is not in the exact shape the encoder produces";
    ++seen[env->type];
  }
  for (const char* t : kp::types::all) {
    EXPECT_GT(seen[t], 0) << "docs/protocol.md has no example of \"" << t << "\"";
  }
}

TEST(protocol_doc, every_error_code_is_in_the_table) {
  const std::string doc = read_doc();
  ASSERT_FALSE(doc.empty());
  for (int i = 0; i <= static_cast<int>(kp::last_code); ++i) {
    const std::string word = kp::to_string(static_cast<kp::code>(i));
    EXPECT_NE(doc.find("| `" + word + "`"), std::string::npos)
        << "error code " << word << " is not documented";
  }
}

namespace {
// The error-code table says per code whether it is final or retryable; it must say what the code
// (and so hub and kiosk) does.
TEST(protocol_doc, the_final_or_retryable_column_matches_is_retryable) {
  const std::string doc = read_doc();
  for (int i = 0; i <= static_cast<int>(kp::last_code); ++i) {
    const auto c = static_cast<kp::code>(i);
    const std::string row = "| `" + std::string(kp::to_string(c)) + "` | ";
    const auto at = doc.find(row);
    ASSERT_NE(at, std::string::npos) << row;
    const std::string want = kp::is_retryable(c) ? "retryable |" : "final |";
    EXPECT_EQ(doc.compare(at + row.size(), want.size(), want), 0)
        << kp::to_string(c) << ": " << doc.substr(at, 60);
  }
}
}  // namespace
