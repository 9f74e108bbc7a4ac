// FaultTest: the fixture of the tests that play a hostile memcached with
// FaultServer (fault_server.h), which records every byte it receives, so
// each test checks the result, the warning text, the number of tries
// (connections the server saw), the pauses between them, the total time
// (never above timeout*max_try + retry_pause*(max_try-1) + slack), that the
// wire carried only the intended command, and that the next operation on
// the same table works.  Configurations use timeout=1, retry_pause=1 so
// each test stays well under a minute.  Used by memcache_fault_test.cc,
// cli_fault_test.cc and memcache_key_safety_test.cc.
#ifndef MCTABLE_TESTUTIL_FAULT_FIXTURE_H_
#define MCTABLE_TESTUTIL_FAULT_FIXTURE_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mctable/log.h"
#include "mctable/table.h"
#include "mctable/table_registry.h"
#include "testutil/fault_server.h"
#include "testutil/testutil.h"

namespace mctable::testutil {

// Scheduling noise allowed on top of a computed bound.
inline constexpr double kSlack = 0.5;
// A process start on top of kSlack for the command-line tests.
inline constexpr double kProcessSlack = 0.7;

inline double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

inline double Bound(int timeout, int max_try, int retry_pause) {
  return timeout * max_try + retry_pause * (max_try - 1) + kSlack;
}

inline bool HasType(const std::string& type) {
  for (const std::string& t : RegisteredTableTypes())
    if (t == type) return true;
  return false;
}

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()) << "fault server did not start"; }

  // A configuration file for the fault server; `extra` lines are appended.
  std::string Config(const std::string& extra = "", int max_try = 2,
                     const std::string& endpoint = "") {
    std::string text = "memcache = " + (endpoint.empty() ? server_.endpoint() : endpoint) +
                       "\ntimeout = 1\nretry_pause = 1\nmax_try = " + std::to_string(max_try) +
                       "\n" + extra;
    return dir_.WriteFile("mc" + std::to_string(++files_) + ".cf", text);
  }

  std::unique_ptr<Table> Open(const std::string& cf, bool read_write = false) {
    OpenOptions options;
    options.read_write = read_write;
    std::unique_ptr<Table> table;
    Status s = OpenTable("memcache:" + cf, options, &table);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return table;
  }

  // The next operation after a fault: the script is used up, so the server
  // answers normally, on a new connection (the failed one was closed).
  void ExpectNextLookupWorks(Table* table) {
    server_.Put("next", "works");
    std::string value;
    Status s = table->Lookup("next", &value);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(value, "works");
  }

  // Checks that consecutive tries were retry_pause (1 s) apart, no less.
  void ExpectPauses(double min_gap, double max_gap) {
    auto times = server_.AcceptTimes();
    for (size_t i = 1; i < times.size(); ++i) {
      double gap = std::chrono::duration<double>(times[i] - times[i - 1]).count();
      EXPECT_GE(gap, min_gap) << "between tries " << i << " and " << i + 1;
      EXPECT_LE(gap, max_gap) << "between tries " << i << " and " << i + 1;
    }
  }

  struct Outcome {
    Status status;
    std::string value;
    double seconds = 0;
    int connections = 0;
    std::vector<std::string> warnings;
  };

  // Looks `key` up with `count` connections playing `action`.
  Outcome LookupUnder(Table* table, const FaultAction& action, int count,
                      const std::string& key = "key") {
    server_.ResetRecording();
    server_.Script(action, count);
    Outcome out;
    CapturedWarnings log;
    auto start = std::chrono::steady_clock::now();
    out.status = table->Lookup(key, &out.value);
    out.seconds = Since(start);
    out.connections = server_.connections();
    out.warnings = log.lines();
    return out;
  }

  // The common checks of a lookup that fails on every try: a temporary
  // error, max_try connections each carrying exactly "get key", one
  // warning per retry, the time bound, and a working next lookup.
  void ExpectFailedLookup(Table* table, const Outcome& out, int max_try,
                          const std::string& warning, const std::string& reason) {
    EXPECT_TRUE(out.status.IsTempError()) << out.status.ToString();
    EXPECT_EQ(out.status.message(), reason);
    EXPECT_TRUE(out.value.empty()) << "a failed lookup produced a value: " << out.value;
    EXPECT_EQ(out.connections, max_try);
    for (int i = 0; i < out.connections; ++i) EXPECT_EQ(server_.Received(i), "get key\r\n");
    // Postfix warns on each retry, not on the first failure.
    EXPECT_EQ(out.warnings, std::vector<std::string>(max_try - 1, warning));
    EXPECT_LE(out.seconds, Bound(1, max_try, 1));
    EXPECT_GE(out.seconds, 1.0 * (max_try - 1) - 0.05) << "retry_pause not honoured";
    ExpectNextLookupWorks(table);
  }

  std::string IoError(const std::string& cf, const std::string& reason) {
    return "database memcache:" + cf + ": I/O error: " + reason;
  }
  std::string Unexpected(const std::string& cf, const std::string& what) {
    return cf + ": unexpected memcache server reply: " + what;
  }

  TempDir dir_;
  FaultServer server_;
  int files_ = 0;
};


}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_FAULT_FIXTURE_H_
