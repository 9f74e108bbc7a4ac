// PostfixSettings; see postfix_settings.h.
#include "config/postfix_settings.h"

#include <sys/stat.h>

#include <cerrno>
#include <strings.h>

#include "config/main_cf.h"

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
  if (!must_exist) {
    struct stat st;
    if (::stat((config_dir + "/main.cf").c_str(), &st) != 0 && errno == ENOENT) return Status::OK();
  }
  MainCf main_cf;
  Status s = MainCf::Read(config_dir, &main_cf);
  if (!s.ok()) return s;

  std::string value;
  if (main_cf.Has("default_database_type")) {
    s = main_cf.GetString("default_database_type", "", &value);
    if (!s.ok()) return s;
    out->default_database_type = value;
  }

  if (main_cf.Has("smtputf8_enable")) {
    s = main_cf.GetString("smtputf8_enable", "", &value);
    if (!s.ok()) return s;
    if (strcasecmp(value.c_str(), "yes") == 0) {
      out->smtputf8_enable = true;
    } else if (strcasecmp(value.c_str(), "no") == 0) {
      out->smtputf8_enable = false;
    } else {
      return Status::ConfigError(main_cf.path() + ": bad boolean configuration: smtputf8_enable = " + value);
    }
    return Status::OK();
  }
  // Postfix's default: ${{$compatibility_level} <level {1} ? {no} : {yes}}.
  long major = 0;
  if (main_cf.Has("compatibility_level")) {
    s = main_cf.GetString("compatibility_level", "", &value);
    if (!s.ok()) return s;
    if (!ParseCompatibilityMajor(value, &major))
      return Status::ConfigError(main_cf.path() + ": malformed compatibility level syntax: \"" + value + "\"");
  }
  out->smtputf8_enable = major >= 1;
  return Status::OK();
}

}  // namespace mctable
