// MainCf: main.cf's global parameters, read as Postfix programs read them
// (postmap -c DIR): a value gets main.cf's $name expansion when it is
// asked for, so a broken parameter matters only to whoever uses it; an
// absent one takes the caller's default, which is Postfix's.
//
// How it fails: a missing main.cf is "open DIR/main.cf: No such file or
// directory" (postmap says the same when a table needs main.cf); a bad
// expansion names main.cf and the parameter; a bad time value is worded as
// Postfix's get_mail_conf_time: "parameter NAME: bad time value or unit:
// VALUE", "invalid NAME: V (min M)".  All are ConfigErrors.
#ifndef MCTABLE_CONFIG_MAIN_CF_H_
#define MCTABLE_CONFIG_MAIN_CF_H_

#include <string>
#include <string_view>

#include "mctable/config.h"
#include "mctable/status.h"

namespace mctable {

class MainCf {
 public:
  // Reads config_dir/main.cf.
  static Status Read(const std::string& config_dir, MainCf* out);

  const std::string& path() const { return path_; }
  // Whether main.cf sets `name` at all.
  bool Has(std::string_view name) const { return params_.Find(name).has_value(); }
  Status GetString(std::string_view name, std::string_view default_value, std::string* value) const;
  // A time in seconds: "3600", "3600s", "1h", "1h30m" (units s m h d w; a
  // bare number is in seconds), at least min_seconds.
  Status GetTime(std::string_view name, std::string_view default_value, int min_seconds,
                 int* seconds) const;

 private:
  std::string path_;
  std::string config_dir_;
  Config params_;
};

// Postfix's conv_time with the unit "s" by default; false if `text` is not
// a time value or is out of range for int.
bool ParsePostfixTime(std::string_view text, int* seconds);

}  // namespace mctable

#endif  // MCTABLE_CONFIG_MAIN_CF_H_
