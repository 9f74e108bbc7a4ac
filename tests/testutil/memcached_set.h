// MemcachedSet: several real memcached servers for the tests of a table
// spread over servers, and a way to see which of them holds each key.
#ifndef MCTABLE_TESTUTIL_MEMCACHED_SET_H_
#define MCTABLE_TESTUTIL_MEMCACHED_SET_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "testutil/testutil.h"

namespace mctable::testutil {

class MemcachedSet {
 public:
  // Starts `count` memcached on free loopback ports; false with a reason
  // in error() if one cannot be run.
  bool Start(int count);
  size_t size() const { return servers_.size(); }
  MemcachedServer& operator[](size_t i) { return *servers_[i]; }
  const std::string& error() const { return error_; }

  // "inet:127.0.0.1:P1, inet:127.0.0.1:P2, ..." (with weights and names,
  // each element in braces, when given).
  std::string MemcacheValue(const std::vector<int>& weights = {},
                            const std::vector<std::string>& names = {}) const;
  // nutcracker's server lines for the same servers: "127.0.0.1:P:W [name]".
  std::vector<std::string> NutcrackerLines(const std::vector<int>& weights = {},
                                           const std::vector<std::string>& names = {}) const;

  // For each key, the indexes of the servers that hold it (by multi-key
  // gets to each running server).
  std::map<std::string, std::vector<size_t>> Holders(const std::vector<std::string>& keys) const;

 private:
  std::vector<std::unique_ptr<MemcachedServer>> servers_;
  std::string error_;
};

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_MEMCACHED_SET_H_
