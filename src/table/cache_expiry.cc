// CacheExpiry; see cache_expiry.h.
#include "table/cache_expiry.h"

#include <strings.h>

#include <cerrno>
#include <cstdlib>

#include "config/main_cf.h"

namespace mctable {
namespace {

// Postfix's marker for a test that was disabled when the entry was
// written (0, "never passed", needs no name: it is just an old time).
constexpr int64_t kStampDisabled = 1;
constexpr int kPostscreenTests = 5;

// verify's status codes (Postfix's DEL_RCPT_STAT_*) and how long a probe
// counts as in progress.
constexpr long kStatusOk = 0;
constexpr long kStatusTodo = 3;
constexpr int64_t kProbeInProgressSeconds = 1000;

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

// A field of digits as a number (saturating: a huge stamp is just late).
int64_t Number(std::string_view digits) {
  int64_t n = 0;
  for (char c : digits) {
    if (n > (INT64_MAX - 9) / 10) return INT64_MAX;
    n = n * 10 + (c - '0');
  }
  return n;
}

// The per-test expiry times, read field by field as postscreen reads them
// with strtoul: an empty field between ';' is 0 ("never passed"); a field
// with junk after its number, and every field after it, or a field past
// the end, is "disabled".
void ParsePostscreenStamps(std::string_view value, int64_t stamps[kPostscreenTests]) {
  std::string text(value);  // strtoul needs a terminated string
  const char* start = text.c_str();
  for (int i = 0; i < kPostscreenTests; ++i) {
    char* end = nullptr;
    errno = 0;
    unsigned long long n = std::strtoull(start, &end, 10);
    if (*start == '\0' || (*end != '\0' && *end != ';') || errno == ERANGE)
      stamps[i] = kStampDisabled;
    else
      stamps[i] = n > static_cast<unsigned long long>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(n);
    start = *end == ';' ? end + 1 : end;
  }
}

bool KeepPostscreen(const CacheExpiry& e, std::string_view value, int64_t now) {
  int64_t stamps[kPostscreenTests];
  ParsePostscreenStamps(value, stamps);
  const bool enabled[kPostscreenTests] = {e.pregreet_enabled, e.dnsbl_enabled, e.pipelining_enabled,
                                          e.non_smtp_command_enabled, e.bare_newline_enabled};
  // postscreen asks which tests it would have to redo at (now - retention);
  // an entry with any such test is dropped.  Stamps 0 and 1 are always in
  // the past, so an enabled test that never passed drops the entry too.
  const int64_t horizon = now - e.retention_seconds;
  for (int i = 0; i < kPostscreenTests; ++i)
    if (enabled[i] && horizon > stamps[i]) return false;
  return true;
}

bool KeepVerify(const CacheExpiry& e, std::string_view value, int64_t now) {
  // "status:probed:updated:text"; the text may hold ':' but must be there.
  size_t c1 = value.find(':');
  if (c1 == std::string_view::npos) return false;
  size_t c2 = value.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return false;
  size_t c3 = value.find(':', c2 + 1);
  if (c3 == std::string_view::npos) return false;
  std::string_view status_text = value.substr(0, c1);
  std::string_view probed_text = value.substr(c1 + 1, c2 - c1 - 1);
  std::string_view updated_text = value.substr(c2 + 1, c3 - c2 - 1);
  if (!AllDigits(status_text) || !AllDigits(probed_text) || !AllDigits(updated_text)) return false;
  const int64_t status = Number(status_text);
  const int64_t probed = Number(probed_text);
  const int64_t updated = Number(updated_text);
  if (status < kStatusOk || status > kStatusTodo) return false;
  if (probed == 0 && updated == 0) return false;  // never written: a broken entry
  if (now - probed < kProbeInProgressSeconds) return true;
  const int64_t lifetime = status == kStatusOk ? e.positive_expire_seconds : e.negative_expire_seconds;
  // Postfix: expired when updated + lifetime < now (overflow-safe here).
  return updated >= now - lifetime;
}

// main.cf's value of `name` (expanded) in *value; *set false, and no
// value, when main.cf does not set it.
Status GetIfSet(const MainCf& main_cf, std::string_view name, bool* set, std::string* value) {
  *set = main_cf.Has(name);
  return *set ? main_cf.GetString(name, "", value) : Status::OK();
}

Status GetBool(const MainCf& main_cf, std::string_view name, bool default_value, bool* out) {
  bool set = false;
  std::string value;
  Status s = GetIfSet(main_cf, name, &set, &value);
  if (!s.ok() || !set) {
    *out = default_value;
    return s;
  }
  if (strcasecmp(value.c_str(), "yes") != 0 && strcasecmp(value.c_str(), "no") != 0)
    return Status::ConfigError(main_cf.path() + ": bad boolean configuration: " + std::string(name) + " = " +
                               value);
  *out = strcasecmp(value.c_str(), "yes") == 0;
  return Status::OK();
}

// Whether a parameter is non-empty after expansion (a test's switch).
Status NonEmpty(const MainCf& main_cf, std::string_view name, bool default_value, bool* out) {
  bool set = false;
  std::string value;
  Status s = GetIfSet(main_cf, name, &set, &value);
  *out = set ? !value.empty() : default_value;
  return s;
}

Status GetSeconds(const MainCf& main_cf, std::string_view name, std::string_view default_value, int min_seconds,
                  int64_t* out) {
  int seconds = 0;
  Status s = main_cf.GetTime(name, default_value, min_seconds, &seconds);
  if (!s.ok() && s.message().rfind(main_cf.path(), 0) != 0)
    return Status::ConfigError(main_cf.path() + ": " + s.message());
  if (!s.ok()) return s;
  *out = seconds;
  return Status::OK();
}

}  // namespace

bool ParseCacheKind(std::string_view name, CacheKind* kind) {
  if (name == "postscreen") {
    *kind = CacheKind::kPostscreen;
    return true;
  }
  if (name == "verify") {
    *kind = CacheKind::kVerify;
    return true;
  }
  return false;
}

bool CacheExpiry::Keep(std::string_view value, int64_t now) const {
  return kind == CacheKind::kPostscreen ? KeepPostscreen(*this, value, now) : KeepVerify(*this, value, now);
}

Status ReadCacheExpiry(const MainCf& main_cf, CacheKind kind, CacheExpiry* out) {
  CacheExpiry e;
  e.kind = kind;
  Status s;
  if (kind == CacheKind::kPostscreen) {
    // Postfix's defaults: a greeting banner ($smtpd_banner), no DNSBL
    // sites, the three after-220 tests off, 7 days' retention.
    if (!(s = GetSeconds(main_cf, "postscreen_cache_retention_time", "7d", 0, &e.retention_seconds)).ok() ||
        !(s = NonEmpty(main_cf, "postscreen_greet_banner", true, &e.pregreet_enabled)).ok() ||
        !(s = NonEmpty(main_cf, "postscreen_dnsbl_sites", false, &e.dnsbl_enabled)).ok() ||
        !(s = GetBool(main_cf, "postscreen_pipelining_enable", false, &e.pipelining_enabled)).ok() ||
        !(s = GetBool(main_cf, "postscreen_non_smtp_command_enable", false, &e.non_smtp_command_enabled)).ok() ||
        !(s = GetBool(main_cf, "postscreen_bare_newline_enable", false, &e.bare_newline_enabled)).ok())
      return s;
  } else {
    if (!(s = GetSeconds(main_cf, "address_verify_positive_expire_time", "31d", 1, &e.positive_expire_seconds))
             .ok() ||
        !(s = GetSeconds(main_cf, "address_verify_negative_expire_time", "3d", 1, &e.negative_expire_seconds))
             .ok())
      return s;
  }
  *out = e;
  return Status::OK();
}

}  // namespace mctable
