// PostfixSettings; see postfix_settings.h.
#include "config/postfix_settings.h"

#include <sys/stat.h>

#include <cerrno>
#include <strings.h>

#include "config/macro_expander.h"
#include "mctable/config.h"

namespace mctable {
namespace {

// "major[.minor[.patch]]", digits only, as Postfix's compat_level_from_string.
bool ParseCompatibilityMajor(std::string_view text, long* major) {
  int parts = 0;
  size_t i = 0;
  *major = 0;
  while (true) {
    size_t start = i;
    long number = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (number > 100000000) return false;
      number = number * 10 + (text[i++] - '0');
    }
    if (i == start) return false;
    if (parts++ == 0) *major = number;
    if (i == text.size()) return true;
    if (text[i] != '.' || parts == 3) return false;
    ++i;
  }
}

}  // namespace

Status ReadPostfixSettings(const std::string& config_dir, bool must_exist, PostfixSettings* out) {
  *out = PostfixSettings();
  const std::string main_cf = config_dir + "/main.cf";
  if (!must_exist) {
    struct stat st;
    if (::stat(main_cf.c_str(), &st) != 0 && errno == ENOENT) return Status::OK();
  }
  Config config;
  Status s = Config::ReadFile(main_cf, &config);
  if (!s.ok()) return s;
  MainCfParams known(config.params().begin(), config.params().end());
  known.try_emplace("config_directory", config_dir);

  // A parameter's value after expansion, or nothing when main.cf lacks it.
  auto value_of = [&](const char* name, bool* set, std::string* value) -> Status {
    auto it = known.find(name);
    *set = it != known.end();
    if (!*set) return Status::OK();
    value->clear();
    std::string error = ExpandMainCfValue(it->second, known, value);
    if (!error.empty())
      return Status::ConfigError(main_cf + ": " + name + ": macro processing error: " + error);
    return Status::OK();
  };

  bool set = false;
  std::string value;
  s = value_of("default_database_type", &set, &value);
  if (!s.ok()) return s;
  if (set) out->default_database_type = value;

  s = value_of("smtputf8_enable", &set, &value);
  if (!s.ok()) return s;
  if (set) {
    if (strcasecmp(value.c_str(), "yes") == 0) {
      out->smtputf8_enable = true;
    } else if (strcasecmp(value.c_str(), "no") == 0) {
      out->smtputf8_enable = false;
    } else {
      return Status::ConfigError(main_cf + ": bad boolean configuration: smtputf8_enable = " + value);
    }
    return Status::OK();
  }
  // Postfix's default: ${{$compatibility_level} <level {1} ? {no} : {yes}}.
  s = value_of("compatibility_level", &set, &value);
  if (!s.ok()) return s;
  long major = 0;
  if (set && !ParseCompatibilityMajor(value, &major))
    return Status::ConfigError(main_cf + ": malformed compatibility level syntax: \"" + value + "\"");
  out->smtputf8_enable = major >= 1;
  return Status::OK();
}

}  // namespace mctable
