// libFuzzer target: the memcache parameter's server list
// (mctable::ParseServerList) and the placement of keys over what it parsed
// (ServerPool with every hash and both distributions, with ejection).
//
// Input: the list, a newline, then a key.  Checks: no crash or sanitizer
// report; an error is a ConfigError naming the origin; a parsed list has
// 1..kMaxServers servers with weights in 1..kMaxServerWeight and distinct,
// non-empty names; every key lands on a live server of the list.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "memcache/server_list.h"
#include "memcache/server_pool.h"

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(bytes), size);
  size_t newline = input.find('\n');
  std::string_view list = input.substr(0, newline);
  std::string_view key = newline == std::string_view::npos ? "" : input.substr(newline + 1);
  std::vector<mctable::ServerConfig> servers;
  mctable::Status s = mctable::ParseServerList(list, "/fuzz/mc.cf", &servers);
  if (!s.ok()) {
    Check(s.IsConfigError());
    Check(s.message().rfind("/fuzz/mc.cf: ", 0) == 0);
    return 0;
  }
  Check(!servers.empty() && servers.size() <= mctable::kMaxServers);
  std::set<std::string> names;
  for (const mctable::ServerConfig& server : servers) {
    Check(server.weight >= 1 && server.weight <= mctable::kMaxServerWeight);
    Check(!server.name.empty());
    Check(names.insert(server.name).second);
  }
  if (key.empty()) return 0;
  for (int h = 0; h <= static_cast<int>(mctable::KeyHash::kJenkins); ++h) {
    for (auto distribution : {mctable::Distribution::kKetama, mctable::Distribution::kModula}) {
      mctable::PlacementSettings placement;
      placement.hash = static_cast<mctable::KeyHash>(h);
      placement.distribution = distribution;
      placement.hash_tag = "{}";
      placement.auto_eject_hosts = true;
      placement.server_failure_limit = 1;
      mctable::ServerPool pool(servers, placement);
      size_t where = servers.size();
      Check(pool.ServerFor(key, &where) && where < servers.size());
      if (servers.size() > 1) {
        pool.RecordFailure(where, mctable::ServerPool::TimePoint());
        size_t moved = servers.size();
        Check(pool.ServerFor(key, &moved) && moved < servers.size() && moved != where);
      }
    }
  }
  return 0;
}
