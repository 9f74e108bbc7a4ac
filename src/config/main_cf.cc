// MainCf; see main_cf.h.
#include "config/main_cf.h"

#include <climits>

#include "config/macro_expander.h"

namespace mctable {

bool ParsePostfixTime(std::string_view text, int* seconds) {
  // One or more "NUMBER[UNIT]" parts ("1h30m"); only the last may lack
  // its unit; a leading sign is accepted as strtol accepts it, and a
  // negative total is not a time.
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  long long total = 0;
  bool any = false;
  while (i < text.size()) {
    size_t digits_start = i;
    long long number = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i] - '0');
      if (number > INT_MAX) return false;
      ++i;
    }
    if (i == digits_start) return false;
    long long unit = 1;
    if (i < text.size()) {
      switch (text[i]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 604800; break;
        default: return false;
      }
      ++i;
    }
    total += number * unit;
    if (total > INT_MAX) return false;
    any = true;
  }
  if (!any || (negative && total != 0)) return false;
  *seconds = static_cast<int>(total);
  return true;
}

Status MainCf::Read(const std::string& config_dir, MainCf* out) {
  MainCf main_cf;
  main_cf.config_dir_ = config_dir;
  main_cf.path_ = config_dir + "/main.cf";
  Status s = Config::ReadFile(main_cf.path_, &main_cf.params_);
  if (!s.ok()) return s;
  *out = std::move(main_cf);
  return Status::OK();
}

Status MainCf::GetString(std::string_view name, std::string_view default_value,
                         std::string* value) const {
  std::optional<std::string> raw = params_.Find(name);
  if (!raw) {
    value->assign(default_value);
    return Status::OK();
  }
  MainCfParams known = params_.params();
  known.try_emplace("config_directory", config_dir_);  // Postfix's built-in value
  value->clear();
  std::string error = ExpandMainCfValue(*raw, known, value);
  if (!error.empty())
    return Status::ConfigError(path_ + ": " + std::string(name) + ": macro processing error: " + error);
  return Status::OK();
}

Status MainCf::GetTime(std::string_view name, std::string_view default_value, int min_seconds,
                       int* seconds) const {
  std::string text;
  Status s = GetString(name, default_value, &text);
  if (!s.ok()) return s;
  int result = 0;
  if (!ParsePostfixTime(text, &result))
    return Status::ConfigError("parameter " + std::string(name) + ": bad time value or unit: " + text);
  if (result < min_seconds)
    return Status::ConfigError("invalid " + std::string(name) + ": " + std::to_string(result) +
                               " (min " + std::to_string(min_seconds) + ")");
  *seconds = result;
  return Status::OK();
}

}  // namespace mctable
