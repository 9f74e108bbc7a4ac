// libFuzzer target: the main.cf-format parser (mctable::Config::Parse) and
// the typed getters over what it parsed.
//
// Checks: no crash or sanitizer report on any text; an error names the
// origin; GetInt never returns OK with a value outside the bounds it was
// asked to check; GetString agrees with Find.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mctable/config.h"

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(bytes), size);
  mctable::Config config;
  mctable::Status s = mctable::Config::Parse(text, "/fuzz/mc.cf", &config);
  if (!s.ok()) {
    Check(s.IsError());
    Check(!s.message().empty());
    return 0;
  }
  Check(config.origin() == "/fuzz/mc.cf");
  static const char* const kNames[] = {"memcache", "backup", "flags", "ttl", "key_format",
                                       "domain", "data_size_limit", "line_size_limit", "max_try",
                                       "retry_pause", "timeout", "key_digest", ""};
  for (const char* name : kNames) {
    auto found = config.Find(name);
    std::string value = config.GetString(name, "\x01" "default");
    Check(found ? value == *found : value == "\x01" "default");
    int n = 0;
    mctable::Status g = config.GetInt(name, 7, 1, 1000, &n);
    if (g.ok()) Check(n >= 1 && n <= 1000);
    else Check(g.IsConfigError() && g.message().find("/fuzz/mc.cf") != std::string::npos);
    g = config.GetInt(name, -5, 0, 0, &n);
    if (!found) Check(g.ok() && n == -5);
  }
  return 0;
}
