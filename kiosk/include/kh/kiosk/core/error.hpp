#pragma once
// Error codes of the kiosk firmware and a small result type for them. Expected failures (unknown
// SKU, full outbox, no catalog yet) are values; exceptions are reserved for broken configuration.

#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace kh::kiosk {

/// Machine codes the kiosk reports to its front-ends. The wire word (`to_string`) is what the
/// headless CLI prints in its "error" field.
enum class errc {
  bad_command = 1,   ///< a command line that does not parse
  unknown_sku,       ///< SKU not in the cached catalog
  invalid_quantity,  ///< quantity outside the protocol's 1..99
  too_many_lines,    ///< more than the protocol's 100 lines
  empty_order,       ///< no lines
  no_catalog,        ///< no catalog cached yet
  outbox_full,       ///< too many orders still waiting for the hub's answer
  storage_error,     ///< SQLite failed (disk full, corrupt file, …)
  stopped,           ///< the link is shut down
  invalid_options,   ///< options that break the product's option rules
  offline,           ///< needs the hub now (a staff action, a snapshot) and the link is down
};

/// Wire word, e.g. "unknown_sku".
const char* to_string(errc e) noexcept;

const std::error_category& kiosk_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

/// An expected failure: a code plus a message for humans.
struct failure {
  errc code = errc::bad_command;
  std::string message;
};

/// Value or failure, in the spirit of std::expected (not available in C++20).
template <class T>
class outcome {
 public:
  outcome(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  outcome(failure f) : v_(std::move(f)) {}    // NOLINT
  explicit operator bool() const noexcept { return v_.index() == 0; }
  bool ok() const noexcept { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const failure& error() const& { return std::get<1>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }

 private:
  std::variant<T, failure> v_;
};

inline failure fail(errc c, std::string message) {
  return failure{c, std::move(message)};
}

}  // namespace kh::kiosk

template <>
struct std::is_error_code_enum<kh::kiosk::errc> : std::true_type {};
