// CacheExpiry: the decision Postfix's own cache cleanup makes about one
// entry of a postscreen(8) or verify(8) cache, so that `mctable --expire`
// keeps exactly the entries Postfix would keep.
//
// - postscreen: the value is one expiry time per test,
//   "pregreet;dnsbl;pipelining;non_smtp_command;bare_newline" (seconds
//   since the epoch; 0 never passed, 1 disabled when written; a missing
//   or unreadable field counts as disabled).  An entry is dropped when any
//   test that main.cf enables expired more than
//   postscreen_cache_retention_time ago.  A test is enabled by a non-empty
//   postscreen_greet_banner (pregreet), a non-empty postscreen_dnsbl_sites,
//   and the postscreen_{pipelining,non_smtp_command,bare_newline}_enable
//   booleans.
// - verify: the value is "status:probed:updated:text".  An entry is kept
//   while a probe is in progress (probed less than 1000 s ago) or while it
//   has not expired: status 0 (deliverable) for
//   address_verify_positive_expire_time after `updated`, any other status
//   for address_verify_negative_expire_time.  A malformed value is dropped.
// Parameters come from main.cf with Postfix's defaults and time units.
//
// How it fails: ReadCacheExpiry returns a ConfigError naming main.cf and
// the parameter (bad time, bad boolean, bad $expansion).  Keep() never
// fails: a value it cannot read is an entry Postfix would drop.
// Guarantees: the cleanup stamp key is never judged (callers skip it).
#ifndef MCTABLE_TABLE_CACHE_EXPIRY_H_
#define MCTABLE_TABLE_CACHE_EXPIRY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "mctable/status.h"

namespace mctable {

class MainCf;

// The key under which Postfix records when a full cleanup run completed;
// its value is that time in decimal seconds since the epoch.
inline constexpr std::string_view kCacheCleanupStampKey = "_LAST_CACHE_CLEANUP_COMPLETED_";

enum class CacheKind { kPostscreen, kVerify };

// "postscreen" or "verify"; false for anything else.
bool ParseCacheKind(std::string_view name, CacheKind* kind);

struct CacheExpiry {
  CacheKind kind = CacheKind::kVerify;
  // postscreen
  int64_t retention_seconds = 7 * 86400;  // postscreen_cache_retention_time
  bool pregreet_enabled = true;           // postscreen_greet_banner non-empty
  bool dnsbl_enabled = false;             // postscreen_dnsbl_sites non-empty
  bool pipelining_enabled = false;
  bool non_smtp_command_enabled = false;
  bool bare_newline_enabled = false;
  // verify
  int64_t positive_expire_seconds = 31 * 86400;  // address_verify_positive_expire_time
  int64_t negative_expire_seconds = 3 * 86400;   // address_verify_negative_expire_time

  // Whether Postfix's cleanup at time `now` keeps an entry with `value`.
  bool Keep(std::string_view value, int64_t now) const;
};

// The parameters of `kind` from main.cf (Postfix's defaults for those it
// does not set).
Status ReadCacheExpiry(const MainCf& main_cf, CacheKind kind, CacheExpiry* out);

}  // namespace mctable

#endif  // MCTABLE_TABLE_CACHE_EXPIRY_H_
