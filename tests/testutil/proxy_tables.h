// Tables a private Postfix instance (postfix_instance.h) serves through
// proxymap, for the proxy table tests: the main.cf lines that list them in
// proxy_read_maps / proxy_write_maps, and building one with Debian's
// postmap so that its files belong to the postfix user (proxywrite must be
// able to update them).
#ifndef MCTABLE_TESTUTIL_PROXY_TABLES_H_
#define MCTABLE_TESTUTIL_PROXY_TABLES_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "testutil/postfix_instance.h"

namespace mctable::testutil {

// The Postfix instance of a test suite (SetUpTestSuite / TearDownTestSuite),
// serving tables through proxymap.  Prepare() tells whether Postfix and
// postmap can run here (else skip() says why) and makes the instance, so
// that table paths under maps_dir() are known; Start() lists the tables,
// starts Postfix and builds each table from its source (else error()).
class SuitePostfix {
 public:
  bool Prepare();
  // readable / writable: "type:/path" for proxy_read_maps / proxy_write_maps;
  // tables: "type:/path" and its postmap source.
  void Start(const std::vector<std::string>& readable, const std::vector<std::string>& writable,
             const std::vector<std::pair<std::string, std::string>>& tables);
  void Reset() { postfix_.reset(); }

  PostfixInstance& operator*() const { return *postfix_; }
  PostfixInstance* operator->() const { return postfix_.get(); }
  const std::string& skip() const { return skip_; }
  const std::string& error() const { return error_; }

 private:
  std::unique_ptr<PostfixInstance> postfix_;
  std::string skip_;
  std::string error_;
};

// In a fixture's SetUp(): skips or fails the test as the suite's Postfix says.
#define MCTABLE_REQUIRE_SUITE_POSTFIX(suite)                     \
  do {                                                           \
    if (!(suite).skip().empty()) GTEST_SKIP() << (suite).skip(); \
    ASSERT_TRUE((suite).error().empty()) << (suite).error();     \
  } while (0)

// proxy_read_maps = proxy:T1 proxy:T2 ..., proxy_write_maps = ... for
// tables given as "type:/path".
PostfixInstance::Parameters ProxyMapsParameters(const std::vector<std::string>& readable,
                                                const std::vector<std::string>& writable);

// Writes `source` (postmap source syntax) to PATH and runs "postmap -c
// CONFIG TYPE:PATH" as the tests' user, then gives the source and the
// table's files to the postfix user.  Returns "" or what went wrong.
std::string BuildTableForPostfix(const PostfixInstance& postfix, const std::string& type_and_path,
                                 const std::string& source);

// The files a table "type:/path" is made of (/path.db, /path.lmdb, ...).
std::vector<std::string> TableFiles(const std::string& type_and_path);

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_PROXY_TABLES_H_
