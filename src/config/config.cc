// Config: reads a table's parameters in Postfix's main.cf syntax, either
// from the table's own file or from main.cf as "TABLE_name" parameters.
//
// What it guarantees
// - The logical-line rules are Postfix's (readllines + dict_load_fp), from
//   common/logical_line_reader.h, shared with the table source reader.
// - Each logical line is "name = value"; the name ends at whitespace or
//   "="; the value is trimmed and may be empty.  A later duplicate wins,
//   with Postfix's "overriding earlier entry" warning.
// - main.cf values get main.cf's $name expansion (config/macro_expander.h).
//   Only main.cf's own parameters are known: Postfix's built-in defaults
//   ($myhostname ...) are not, except $config_directory.
//
// How it fails
// - Every failure is a ConfigError with Postfix's wording: "open FILE:
//   REASON", "read FILE: REASON" (a directory), "FILE, line N: missing '=' after attribute name: \"TEXT\"",
//   "FILE: bad numerical configuration: NAME = VALUE", "FILE: invalid NAME
//   parameter value V < MIN".  For the main.cf form the numeric messages
//   carry no file prefix and use the full "TABLE_name" parameter name, as
//   Postfix's get_mail_conf_int does.  A $-expansion error names main.cf
//   and the parameter.
// - main.cf values are expanded when the table is configured, for the
//   table's own parameters only, so a broken unrelated parameter does not
//   stop the table (Postfix expands a parameter only when it is used).
#include "mctable/config.h"

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>

#include "common/brace_syntax.h"
#include "common/logical_line_reader.h"
#include "common/read_file.h"
#include "config/macro_expander.h"
#include "mctable/log.h"

namespace mctable {
namespace {

Status ReadConfigFile(const std::string& path, std::string* text) {
  bool open_failed = false;
  int err = ReadWholeFile(path, text, &open_failed);
  if (err == 0) return Status::OK();
  // A directory opens but does not read: "read DIR: Is a directory".
  return Status::ConfigError((open_failed ? "open " : "read ") + path + ": " + std::strerror(err));
}

// Parses a decimal int the way Postfix does (strtol over the whole value,
// in range of int).  Leading whitespace and a sign are accepted, as strtol
// accepts them.
bool ParseDecimalInt(std::string_view text, int* value) {
  size_t i = 0;
  while (i < text.size() && IsPostfixSpace(text[i])) ++i;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  if (i == text.size()) return false;
  long long magnitude = 0;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return false;
    magnitude = magnitude * 10 + (c - '0');
    if (magnitude > static_cast<long long>(INT_MAX) + 1) return false;
  }
  long long signed_value = negative ? -magnitude : magnitude;
  if (signed_value > INT_MAX || signed_value < INT_MIN) return false;
  *value = static_cast<int>(signed_value);
  return true;
}

}  // namespace

Status Config::Parse(std::string_view text, std::string origin, Config* out) {
  Config config;
  config.origin_ = std::move(origin);

  LogicalLineReader lines(config.origin_, text);
  std::string logical;
  int line_number = 0;
  while (lines.Next(&logical, &line_number)) {
    std::string_view line = logical;
    // Postfix handles lines as C strings: text after a NUL byte is lost.
    size_t nul = line.find('\0');
    if (nul != std::string_view::npos) {
      LogWarning(config.origin_ + ", line " + std::to_string(line_number) +
                 ": text after null byte may be ignored");
      line = line.substr(0, nul);
    }
    std::string name, value;
    std::string why = SplitNameValue(line, &name, &value);
    if (!why.empty())
      return Status::ConfigError(config.origin_ + ", line " + std::to_string(line_number) + ": " +
                                 why + ": \"" + std::string(line) + "\"");
    auto it = config.params_.find(name);
    if (it != config.params_.end()) {
      LogWarning(config.origin_ + ", line " + std::to_string(line_number) +
                 ": overriding earlier entry: " + std::string(name) + "=" + it->second);
      it->second.assign(value);
    } else {
      config.params_.emplace(std::string(name), std::string(value));
    }
  }
  *out = std::move(config);
  return Status::OK();
}

Status Config::ReadFile(const std::string& path, Config* out) {
  std::string text;
  Status s = ReadConfigFile(path, &text);
  if (!s.ok()) return s;
  return Parse(text, path, out);
}

Status Config::ForTable(std::string_view table_name, const std::string& config_dir, Config* out) {
  if (table_name.empty()) return Status::ConfigError("cfg_parser_alloc: null parser name");
  if (table_name.front() == '/' || table_name.front() == '.')
    return ReadFile(std::string(table_name), out);

  // The main.cf form: only "TABLE_name" parameters belong to the table, and
  // their values get main.cf's $name expansion.
  std::string main_cf = config_dir + "/main.cf";
  Config main_config;
  Status s = ReadFile(main_cf, &main_config);
  if (!s.ok()) return s;
  MainCfParams known = main_config.params_;
  known.try_emplace("config_directory", config_dir);  // Postfix's built-in value

  Config config;
  config.origin_ = std::string(table_name);
  config.prefix_ = std::string(table_name) + "_";
  for (const auto& [name, raw] : main_config.params_) {
    if (name.size() <= config.prefix_.size() || name.compare(0, config.prefix_.size(), config.prefix_) != 0)
      continue;
    std::string expanded;
    std::string error = ExpandMainCfValue(raw, known, &expanded);
    if (!error.empty())
      return Status::ConfigError(main_cf + ": " + name + ": macro processing error: " + error);
    config.params_.emplace(name, std::move(expanded));
  }
  *out = std::move(config);
  return Status::OK();
}

std::optional<std::string> Config::Find(std::string_view name) const {
  auto it = prefix_.empty() ? params_.find(name) : params_.find(prefix_ + std::string(name));
  if (it == params_.end()) return std::nullopt;
  return it->second;
}

std::string Config::GetString(std::string_view name, std::string_view default_value) const {
  std::optional<std::string> value = Find(name);
  return value ? std::move(*value) : std::string(default_value);
}

// File form: "FILE: ... name"; main.cf form: the full main.cf parameter
// name and no prefix, as Postfix words them.
std::string Config::MessagePrefix() const { return prefix_.empty() ? origin_ + ": " : std::string(); }

Status Config::GetString(std::string_view name, std::string_view default_value, size_t min_length,
                         std::string* value) const {
  std::string result = GetString(name, default_value);
  if (result.size() < min_length)
    return Status::ConfigError(MessagePrefix() + "bad string length " + std::to_string(result.size()) +
                               " < " + std::to_string(min_length) + ": " + prefix_ +
                               std::string(name) + " = " + result);
  *value = std::move(result);
  return Status::OK();
}

Status Config::GetBool(std::string_view name, bool default_value, bool* value) const {
  std::optional<std::string> text = Find(name);
  if (!text) {
    *value = default_value;
    return Status::OK();
  }
  auto equals_folded = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
    return true;
  };
  if (equals_folded(*text, "yes")) {
    *value = true;
  } else if (equals_folded(*text, "no")) {
    *value = false;
  } else {
    return Status::ConfigError(MessagePrefix() + "bad boolean configuration: " + prefix_ +
                               std::string(name) + " = " + *text);
  }
  return Status::OK();
}

Status Config::GetInt(std::string_view name, int default_value, int min, int max, int* value) const {
  std::string shown_name = prefix_ + std::string(name);
  std::string where = MessagePrefix();
  int result = default_value;
  if (std::optional<std::string> text = Find(name)) {
    if (!ParseDecimalInt(*text, &result))
      return Status::ConfigError(where + "bad numerical configuration: " + shown_name + " = " + *text);
  }
  if (min != 0 && result < min)
    return Status::ConfigError(where + "invalid " + shown_name + " parameter value " +
                               std::to_string(result) + " < " + std::to_string(min));
  if (max != 0 && result > max)
    return Status::ConfigError(where + "invalid " + shown_name + " parameter value " +
                               std::to_string(result) + " > " + std::to_string(max));
  *value = result;
  return Status::OK();
}

}  // namespace mctable
