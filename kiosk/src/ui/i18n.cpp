#include "kh/kiosk/ui/i18n.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "kh/protocol/money_format.hpp"

namespace kh::kiosk::ui {

strings strings::load(const std::filesystem::path& file, std::string lang) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open language file " + file.string());
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object()) throw std::runtime_error("language file " + file.string() + " is not a JSON object");
  strings s;
  s.lang_ = std::move(lang);
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "_money") {
      if (!it->is_object()) throw std::runtime_error(file.string() + ": _money must be an object");
      s.decimal_ = it->value("decimal", std::string("."));
      s.symbol_after_ = it->value("symbol_after", false);
      continue;
    }
    if (!it->is_string())
      throw std::runtime_error(file.string() + ": \"" + it.key() + "\" must be a string");
    s.map_[it.key()] = it->get<std::string>();
  }
  return s;
}

std::vector<std::string> strings::available(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

const std::string& strings::get(std::string_view key) const {
  auto it = map_.find(key);
  if (it != map_.end()) return it->second;
  static thread_local std::string missing;
  missing = std::string(key);
  return missing;
}

bool strings::has(std::string_view key) const { return map_.find(key) != map_.end(); }

std::string strings::format(std::string_view key, const std::vector<std::string>& args) const {
  std::string s = get(key);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string ph = "{" + std::to_string(i) + "}";
    for (auto p = s.find(ph); p != std::string::npos; p = s.find(ph, p + args[i].size()))
      s.replace(p, ph.size(), args[i]);
  }
  return s;
}

std::string strings::money(const protocol::money& m) const {
  // The language file's `_money` style, through the one formatter hub pages use too.
  return protocol::format_money(m, protocol::money_style{decimal_, symbol_after_});
}

}  // namespace kh::kiosk::ui
