// The proxy table (proxymap(8)): "proxy:TYPE:NAME" is the table TYPE:NAME
// as a Postfix instance's proxymap server opens it, reached over that
// instance's private/proxymap socket (opened read-only) or
// private/proxywrite (opened read-write: every operation, lookups and
// first/next included, then goes to the single updater, as in Postfix).
//
// Which instance: main.cf in OpenOptions::config_dir (postmap -c):
// queue_directory (default /var/spool/postfix), proxymap_service_name and
// proxywrite_service_name, and ipc_timeout / ipc_idle / ipc_ttl for the
// connection (proxy/proxymap_client.h).  Without main.cf the table cannot
// be opened, as postmap's proxy client cannot.
//
// Behaviour, as Postfix 3.7's dict_proxy client:
// - Opening sends "open" and fails on the server's refusal:
//   DENY "proxymap service is not configured for table \"TYPE:NAME\""
//   (the table is not in proxy_read_maps / proxy_write_maps).
// - Keys are cut at a NUL byte and folded to lower case here (unless
//   folding is off), as Postfix's client folds them before sending; the
//   request flags are postmap's: lock, the duplicate mode, the NUL
//   convention (-N/-n, which also select the server's table instance).
// - Reply status: OK; NOKEY is NotFound; RETRY a TempError; CONFIG and
//   BAD ConfigErrors; DENY a ConfigError with Postfix's wording ("proxywrite
//   update access is not configured for table ..." for updates/deletes).
// - Opened read-only, update and delete are refused here (Postfix would
//   send them and get DENY).  Security-sensitive use opens TYPE:NAME
//   directly, as Postfix's proxy client does.
// - A table cannot be built (truncated) through proxymap: "can't create
//   maps via the proxy service", postmap's refusal.
#include <sys/un.h>

#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "config/main_cf.h"
#include "mctable/log.h"
#include "mctable/table.h"
#include "proxy/attr_codec.h"
#include "proxy/proxymap_client.h"
#include "table/key_folding.h"
#include "table/table_types.h"

namespace mctable {
namespace {

constexpr char kType[] = "proxy";

// Postfix's DICT_FLAG_* bits that go on the wire (util/dict.h).
constexpr unsigned kDupWarn = 1u << 0;
constexpr unsigned kDupIgnore = 1u << 1;
constexpr unsigned kTry0Null = 1u << 2;
constexpr unsigned kTry1Null = 1u << 3;
constexpr unsigned kLock = 1u << 6;
constexpr unsigned kDupReplace = 1u << 7;
constexpr unsigned kUtf8Request = 1u << 19;

// The proxymap sequence functions (DICT_SEQ_FUN_FIRST / _NEXT).
constexpr char kSeqFirst[] = "0";
constexpr char kSeqNext[] = "1";

class ProxyTable : public Table {
 public:
  ProxyTable(std::string name, const OpenOptions& options, ProxymapSettings settings)
      : Table(kType, std::move(name)), options_(options), client_(std::move(settings)) {
    // The instance flags select the server's table instance and must stay
    // the same for every request; the request flags are postmap's.
    if (options.nul_mode == NulMode::kInclude) instance_flags_ = kTry1Null;
    if (options.nul_mode == NulMode::kOmit) instance_flags_ = kTry0Null;
    unsigned duplicates = options.duplicates == DuplicateMode::kReplace  ? kDupReplace
                          : options.duplicates == DuplicateMode::kIgnore ? kDupIgnore
                                                                         : kDupWarn;
    request_flags_ = instance_flags_ | kLock | duplicates | kUtf8Request;
  }

  Status Open();
  Status Lookup(std::string_view key, std::string* value) override;
  Status Update(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  Status Sequence(SequenceOp op, std::string* key, std::string* value) override;

 private:
  using Attributes = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  // Sends "request" OP, "table" NAME, "flags" FLAGS, then `more`; reads
  // "status" then `reply_names` (into values_).
  Status Ask(std::string_view op, unsigned flags, Attributes more,
             std::initializer_list<std::string_view> reply_names, ProxyStatus* status);
  // The result for a reply status other than OK, in Postfix's words;
  // `subject` is what the request was about ("key \"K\"", "function 0").
  Status Failure(std::string_view op, ProxyStatus status, std::string_view subject) const;
  // Table errors at open: "table proxy:TYPE:NAME: " + text.
  std::string Named(std::string_view text) const { return "table " + full_name() + ": " + std::string(text); }
  // Postfix 3.7's LMDB table dies on an empty key (proxymap: "fatal: error
  // reading lmdb:...: MDB_BAD_VALSIZE"); the master then throttles the
  // service for every client and postmap retries forever.  No LMDB table
  // has an empty key, so the answer is known without asking.
  bool KillsServer(std::string_view key) const {
    return key.empty() && name().compare(0, 5, "lmdb:") == 0;
  }
  Status ReadOnlyRefusal(std::string_view operation) const {
    return Status::Refused(Named(std::string(operation) + " is not allowed: table is opened read-only"));
  }

  OpenOptions options_;
  ProxymapClient client_;
  unsigned instance_flags_ = 0;
  unsigned request_flags_ = 0;
  std::vector<std::string> values_;
};

Status ProxyTable::Ask(std::string_view op, unsigned flags, Attributes more,
                       std::initializer_list<std::string_view> reply_names, ProxyStatus* status) {
  std::string request;
  // Keys are cut at NUL bytes and the name is checked at open, so this
  // cannot fail; if it did, nothing is sent (a NUL would inject attributes).
  bool ok = AppendAttribute("request", op, &request) && AppendAttribute("table", name(), &request) &&
            AppendAttribute("flags", std::to_string(flags), &request);
  for (const auto& [attr, value] : more) ok = ok && AppendAttribute(attr, value, &request);
  if (!ok) return Status::ConfigError(std::string(op) + " request with a null byte: not sent");
  EndAttributeList(&request);
  return client_.Call(op, request, reply_names, status, &values_);
}

Status ProxyTable::Failure(std::string_view op, ProxyStatus status, std::string_view subject) const {
  const std::string& service = client_.settings().service;
  const bool writes = op == "update" || op == "delete";
  switch (status) {
    case kProxyOk:
      break;
    case kProxyNoKey:
      // An update the table declined (a duplicate it keeps) is not stored.
      if (op == "update") return Status::Refused(service + " did not update " + std::string(subject));
      return Status::NotFound();
    case kProxyRetry:
      return Status::TempError(service + " server: " + std::string(op) + " failed for table \"" + name() +
                               "\" (its log says why)");
    case kProxyConfig:
      return Status::ConfigError(service + " server: configuration error for table \"" + name() +
                                 "\" (its log says why)");
    case kProxyDeny:
      return Status::ConfigError(service + (writes ? " update access" : " service") +
                                 " is not configured for table \"" + name() + "\"");
    case kProxyBad:
      return Status::ConfigError(service + " " + std::string(op) + " failed for table \"" + name() +
                                 "\" " + std::string(subject) + ": invalid request");
  }
  return Status::OK();
}

Status ProxyTable::Open() {
  if (name().find('\0') != std::string::npos)
    return Status::ConfigError(Named("table name contains a null byte"));
  ProxyStatus status;
  Status s = Ask("open", instance_flags_, {}, {"flags"}, &status);
  if (!s.ok()) return Status::TempError(Named(s.message()));
  const std::string& service = client_.settings().service;
  switch (status) {
    case kProxyOk:
      return Status::OK();
    case kProxyDeny:
      return Failure("open", status, "");
    case kProxyBad:
      return Status::ConfigError(service + " open failed for table \"" + name() + "\": invalid request");
    default:
      return Status::TempError(service + " open failed for table \"" + name() +
                               "\": unexpected status " + std::to_string(status));
  }
}

std::string KeySubject(std::string_view key) { return "key \"" + PrintableBytes(key) + "\""; }

Status ProxyTable::Lookup(std::string_view raw_key, std::string* value) {
  std::string key = PrepareKey(raw_key, options_);
  if (KillsServer(key)) return Status::NotFound();
  ProxyStatus status;
  Status s = Ask("lookup", request_flags_, {{"key", key}}, {"value"}, &status);
  if (!s.ok()) return s;
  if (status != kProxyOk) return Failure("lookup", status, KeySubject(key));
  *value = std::move(values_[0]);
  return Status::OK();
}

Status ProxyTable::Update(std::string_view raw_key, std::string_view raw_value) {
  if (!options_.read_write) return ReadOnlyRefusal("update");
  std::string key = PrepareKey(raw_key, options_);
  if (KillsServer(key)) return Status::Refused("an empty key cannot be stored: LMDB has no empty keys");
  ProxyStatus status;
  Status s = Ask("update", request_flags_, {{"key", key}, {"value", UpToNul(raw_value)}}, {}, &status);
  if (!s.ok()) return s;
  return Failure("update", status, KeySubject(key));
}

Status ProxyTable::Delete(std::string_view raw_key) {
  if (!options_.read_write) return ReadOnlyRefusal("delete");
  std::string key = PrepareKey(raw_key, options_);
  if (KillsServer(key)) return Status::NotFound();
  ProxyStatus status;
  Status s = Ask("delete", request_flags_, {{"key", key}}, {}, &status);
  if (!s.ok()) return s;
  return Failure("delete", status, KeySubject(key));
}

// The cursor lives in the server's table instance, which every client of
// that proxymap process shares: concurrent walks interleave.  That is
// Postfix's design (postscreen and verify clean their caches this way);
// see docs/postfix-differences.md.
Status ProxyTable::Sequence(SequenceOp op, std::string* key, std::string* value) {
  const char* function = op == SequenceOp::kFirst ? kSeqFirst : kSeqNext;
  ProxyStatus status;
  Status s = Ask("sequence", request_flags_, {{"function", function}}, {"key", "value"}, &status);
  if (!s.ok()) return s;
  if (status != kProxyOk) return Failure("sequence", status, "function " + std::string(function));
  *key = std::move(values_[0]);
  *value = std::move(values_[1]);
  return Status::OK();
}

// Reads what the client needs from main.cf.
Status SettingsFromMainCf(const std::string& full_name, const OpenOptions& options,
                          ProxymapSettings* settings) {
  MainCf main_cf;
  Status s = MainCf::Read(options.config_dir, &main_cf);
  if (!s.ok()) return s;
  std::string queue_directory;
  s = main_cf.GetString("queue_directory", "/var/spool/postfix", &queue_directory);
  if (!s.ok()) return s;
  // Postfix's client picks the service by the open mode: O_RDONLY goes to
  // proxymap, anything with O_RDWR to proxywrite.
  bool writer = options.read_write || options.create;
  settings->service = writer ? "proxywrite" : "proxymap";
  std::string service_name;
  s = main_cf.GetString(writer ? "proxywrite_service_name" : "proxymap_service_name",
                        settings->service, &service_name);
  if (!s.ok()) return s;
  settings->socket_path = queue_directory + "/private/" + service_name;
  if (settings->socket_path.size() >= sizeof(sockaddr_un{}.sun_path))
    return Status::ConfigError(settings->socket_path + ": socket path is too long for a UNIX-domain socket");
  settings->table_name = full_name;
  for (auto [param, fallback, target] :
       {std::tuple{"ipc_timeout", "3600s", &settings->ipc_timeout_seconds},
        std::tuple{"ipc_idle", "5s", &settings->ipc_idle_seconds},
        std::tuple{"ipc_ttl", "1000s", &settings->ipc_ttl_seconds}}) {
    s = main_cf.GetTime(param, fallback, 1, target);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace

Status OpenProxyTable(std::string_view name, const OpenOptions& options,
                      std::unique_ptr<Table>* table) {
  std::string full = std::string(kType) + ":" + std::string(name);
  if (options.truncate) return Status::ConfigError("can't create maps via the proxy service");
  // Postfix's proxy client opens a table for security-sensitive use
  // directly: proxymap is not a trusted process.
  if (options.security_sensitive) return OpenTable(name, options, table);
  ProxymapSettings settings;
  Status s = SettingsFromMainCf(full, options, &settings);
  if (!s.ok()) return s;
  auto proxy = std::make_unique<ProxyTable>(std::string(name), options, std::move(settings));
  s = proxy->Open();
  if (!s.ok()) return s;
  *table = std::move(proxy);
  return Status::OK();
}

}  // namespace mctable
