// Config: parameters of a table, read from a main.cf-format file
// (memcache:/etc/postfix/mc.cf) or, for a table named without a leading
// "/" or ".", from main.cf as NAME_param (memcache:mc -> mc_ttl, ...).
//
// File syntax (Postfix's): "name = value"; a line starting with whitespace
// continues the previous one; blank lines and lines whose first non-blank
// character is "#" are ignored; whitespace around name and value is
// trimmed; a later duplicate replaces an earlier one; unknown names are
// ignored.  No $name expansion inside a table's own file; main.cf values
// get main.cf's $name / ${name} expansion.
//
// Every error is a ConfigError whose message names the file (or table) and
// the parameter, worded like Postfix's, e.g.
//   "/etc/postfix/mc.cf: bad numerical configuration: ttl = 5x"
//   "/etc/postfix/mc.cf: invalid max_try parameter value 0 < 1"
//   "open /etc/postfix/mc.cf: No such file or directory"
#ifndef MCTABLE_CONFIG_H_
#define MCTABLE_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "mctable/export.h"
#include "mctable/status.h"

namespace mctable {

class MCTABLE_EXPORT Config {
 public:
  Config() = default;

  // Reads the table configuration for `table_name` (the part after
  // "memcache:"): a file when it starts with "/" or ".", else main.cf in
  // config_dir with the prefix "table_name_".
  static Status ForTable(std::string_view table_name, const std::string& config_dir, Config* out);
  // Reads a main.cf-format file.
  static Status ReadFile(const std::string& path, Config* out);
  // Parses text as if read from a file called `origin` (tests, fuzzing).
  static Status Parse(std::string_view text, std::string origin, Config* out);

  // The name used in messages: the file's path, or the table name.
  const std::string& origin() const { return origin_; }

  // The value of `name`, if set.
  std::optional<std::string> Find(std::string_view name) const;
  std::string GetString(std::string_view name, std::string_view default_value) const;
  // Every parameter as read, unexpanded (for main.cf readers that expand
  // on use, as Postfix does).
  const std::map<std::string, std::string, std::less<>>& params() const { return params_; }
  // A decimal int; min/max of 0 mean "not checked" (as Postfix's cfg_get_int).
  Status GetInt(std::string_view name, int default_value, int min, int max, int* value) const;

 private:
  std::string origin_;
  std::string prefix_;  // "name_" when read from main.cf, else empty
  std::map<std::string, std::string, std::less<>> params_;
};

}  // namespace mctable

#endif  // MCTABLE_CONFIG_H_
