// PostfixSettings: what the command takes from main.cf besides table
// parameters, evaluated as Postfix 3.7 does.
//
// - default_database_type: the type of a table named without "type:"
//   (postmap FILE, postmap -q KEY FILE).  Empty when main.cf does not set it:
//   the caller then uses the built-in default (table_registry.h).
// - smtputf8_enable: UTF-8 keys (OpenOptions::utf8).  When main.cf does not
//   set it, Postfix's default applies: yes from compatibility_level 1 on
//   (Debian installs set 3.6), no below (a main.cf without
//   compatibility_level, or no main.cf at all: level 0).
// Values get main.cf's $name expansion.
//
// How it fails: a ConfigError naming main.cf: "open DIR/main.cf: REASON"
// when the file must exist and does not (postmap -c DIR), "DIR/main.cf:
// bad boolean configuration: smtputf8_enable = VALUE", "DIR/main.cf:
// malformed compatibility level syntax: "VALUE"" (only when it decides
// smtputf8_enable), or a $-expansion error naming the parameter.
#ifndef MCTABLE_CONFIG_POSTFIX_SETTINGS_H_
#define MCTABLE_CONFIG_POSTFIX_SETTINGS_H_

#include <string>

#include "mctable/status.h"

namespace mctable {

struct PostfixSettings {
  std::string default_database_type;
  bool smtputf8_enable = false;
};

// Reads config_dir/main.cf.  Without `must_exist`, a main.cf that does not
// exist gives Postfix's defaults (mctable without -c on a host without
// Postfix); any other read error is still an error.
Status ReadPostfixSettings(const std::string& config_dir, bool must_exist, PostfixSettings* out);

}  // namespace mctable

#endif  // MCTABLE_CONFIG_POSTFIX_SETTINGS_H_
