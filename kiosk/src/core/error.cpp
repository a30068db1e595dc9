#include "kh/kiosk/core/error.hpp"

namespace kh::kiosk {

const char* to_string(errc e) noexcept {
  switch (e) {
    case errc::bad_command:
      return "bad_command";
    case errc::unknown_sku:
      return "unknown_sku";
    case errc::invalid_quantity:
      return "invalid_quantity";
    case errc::too_many_lines:
      return "too_many_lines";
    case errc::empty_order:
      return "empty_order";
    case errc::no_catalog:
      return "no_catalog";
    case errc::outbox_full:
      return "outbox_full";
    case errc::storage_error:
      return "storage_error";
    case errc::stopped:
      return "stopped";
    case errc::invalid_options:
      return "invalid_options";
    case errc::offline:
      return "offline";
  }
  return "unknown";
}

namespace {
class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kh.kiosk"; }
  std::string message(int ev) const override { return to_string(static_cast<errc>(ev)); }
};
}  // namespace

const std::error_category& kiosk_category() noexcept {
  static const category c;
  return c;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), kiosk_category()};
}

}  // namespace kh::kiosk
