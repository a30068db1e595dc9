#pragma once
// Text in the customer's language, from data files (`DIR/i18n/<lang>.json`: a flat object of
// key → UTF-8 string, plus "_name" (the language's own name) and "_money" with "decimal" and
// "symbol_after"). Money is formatted per language: `€3.60` in English, `3,60 €` in French.
// Mode-agnostic; no SDL.

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kh/protocol/money.hpp"

namespace kh::kiosk::ui {

class strings {
 public:
  /// Loads one language file. Throws std::runtime_error with the path for a missing or malformed
  /// file (bad configuration at start-up).
  static strings load(const std::filesystem::path& file, std::string lang);
  /// Every `*.json` language in `dir` (sorted by code).
  static std::vector<std::string> available(const std::filesystem::path& dir);

  /// The string for `key`; the key itself when missing (visible, and caught by the render test).
  const std::string& get(std::string_view key) const;
  bool has(std::string_view key) const;
  /// get(key) with "{name}" placeholders replaced in order of `args` ({0}, {1} …).
  std::string format(std::string_view key, const std::vector<std::string>& args) const;
  /// "€3.60" / "3,60 €"; minor units with the currency's exponent (JPY 0, most 2).
  std::string money(const protocol::money& m) const;
  const std::string& language() const noexcept { return lang_; }
  const std::string& name() const { return get("_name"); }
  std::size_t size() const noexcept { return map_.size(); }
  const std::map<std::string, std::string, std::less<>>& all() const noexcept { return map_; }

 private:
  std::string lang_;
  std::map<std::string, std::string, std::less<>> map_;
  std::string decimal_ = ".";
  bool symbol_after_ = false;
};

}  // namespace kh::kiosk::ui
