// The proxy table against a hostile or broken proxymap, played by
// FakeProxymap (testutil/fake_proxymap.h), for what a real Postfix will not
// do: garbage, cut-off, oversized or over-long replies, unknown status
// codes, a wrong or missing greeting, a stall.  Each test checks the
// result, the warnings, how many connections were used, that the time is
// bounded (ipc_timeout = 1s, retry pause 1 s), and that the next lookup
// works.  It also checks the exact bytes on the wire (the same as
// postmap's, see proxy_postmap_diff_test.cc for the real server), that a
// NUL in a key cannot inject attributes, and the status code mapping.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/timer_clock.h"
#include "mctable/table.h"
#include "testutil/fake_proxymap.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using namespace std::string_literals;
using testutil::CapturedWarnings;
using testutil::FakeProxymap;
using Action = testutil::FakeProxymapAction;

constexpr char kTable[] = "proxy:btree:/t";
constexpr double kSlack = 0.7;

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class ProxyFaultTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()); }

  std::unique_ptr<Table> Open(bool read_write = false, OpenOptions options = {}) {
    options.config_dir = server_.config_dir();
    options.read_write = read_write;
    std::unique_ptr<Table> table;
    Status s = OpenTable(kTable, options, &table);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return table;
  }
  std::string Socket() const { return server_.socket_path(); }

  FakeProxymap server_{"ipc_timeout = 1s\n"};
};

TEST_F(ProxyFaultTest, SendsPostmapsBytesAndCutsKeysAtNul) {
  auto table = Open();
  ASSERT_NE(table, nullptr);
  std::string value;
  EXPECT_OK(table->Lookup("ALPHA", &value));
  EXPECT_EQ(value, "v:alpha");
  EXPECT_OK(table->Lookup("a\0request\0delete"s, &value));
  EXPECT_EQ(value, "v:a");
  EXPECT_EQ(server_.connections(), 1);
  EXPECT_EQ(server_.Requests(0),
            (std::vector<std::string>{"request\0open\0table\0btree:/t\0flags\0" "0\0\0"s,
                                      "request\0lookup\0table\0btree:/t\0flags\0" "524353\0key\0alpha\0\0"s,
                                      "request\0lookup\0table\0btree:/t\0flags\0" "524353\0key\0a\0\0"s}));
  // Read-write (proxywrite), -N and -r: the flags postmap sends for them.
  OpenOptions options;
  options.nul_mode = NulMode::kInclude;
  options.duplicates = DuplicateMode::kReplace;
  options.fold_keys = false;
  auto writer = Open(true, options);
  ASSERT_NE(writer, nullptr);
  EXPECT_OK(writer->Update("Key", "a value"));
  EXPECT_OK(writer->Delete("Key"));
  ASSERT_EQ(server_.connections(), 2);
  EXPECT_EQ(server_.Requests(1),
            (std::vector<std::string>{
                "request\0open\0table\0btree:/t\0flags\0" "8\0\0"s,
                "request\0update\0table\0btree:/t\0flags\0" "524488\0key\0Key\0value\0a value\0\0"s,
                "request\0delete\0table\0btree:/t\0flags\0" "524488\0key\0Key\0\0"s}));
  EXPECT_EQ(testutil::Dump(writer.get()), "k1\tv1\n");
}

TEST_F(ProxyFaultTest, StatusCodesMapToStatusClassesAndPostfixsWords) {
  auto table = Open(true);
  ASSERT_NE(table, nullptr);
  std::string value;
  EXPECT_TRUE(table->Lookup("missing", &value).IsNotFound());
  Status retry = table->Lookup("retry", &value);
  EXPECT_TRUE(retry.IsTempError());
  EXPECT_EQ(retry.message(), "proxywrite server: lookup failed for table \"btree:/t\" (its log says why)");
  Status config = table->Lookup("config", &value);
  EXPECT_TRUE(config.IsConfigError());
  EXPECT_EQ(config.message(), "proxywrite server: configuration error for table \"btree:/t\" (its log says why)");
  Status bad = table->Lookup("bad", &value);
  EXPECT_TRUE(bad.IsConfigError());
  EXPECT_EQ(bad.message(), "proxywrite lookup failed for table \"btree:/t\" key \"bad\": invalid request");
  Status deny = table->Lookup("deny", &value);
  EXPECT_TRUE(deny.IsConfigError());
  EXPECT_EQ(deny.message(), "proxywrite service is not configured for table \"btree:/t\"");
}

TEST_F(ProxyFaultTest, GarbageIsRetriedOnANewConnectionWithAWarning) {
  server_.Script({Action::Reply("HTTP/1.0 400\0Bad Request\0\0"s)});
  auto table = Open();
  ASSERT_NE(table, nullptr);
  CapturedWarnings warnings;
  auto start = std::chrono::steady_clock::now();
  std::string value;
  EXPECT_OK(table->Lookup("x", &value));
  EXPECT_EQ(value, "v:x");
  EXPECT_EQ(server_.connections(), 2);
  EXPECT_EQ(warnings.lines(),
            (std::vector<std::string>{"table proxy:btree:/t: lookup via " + Socket() +
                                      ": unexpected attribute \"HTTP/1.0 400\" where status was expected"}));
  EXPECT_GE(Since(start), 1.0);  // the retry pause
  EXPECT_LT(Since(start), 1.0 + kSlack);
}

TEST_F(ProxyFaultTest, EveryTryFailingIsABoundedTemporaryError) {
  const Action unknown = Action::Reply("status\0" "9\0value\0\0\0"s);
  server_.Script({unknown, unknown, unknown});
  auto table = Open();  // connection 1: open, then status 9
  ASSERT_NE(table, nullptr);
  CapturedWarnings warnings;
  auto start = std::chrono::steady_clock::now();
  std::string value;
  Status s = table->Lookup("x", &value);
  EXPECT_TRUE(s.IsTempError());
  EXPECT_EQ(s.message(), "lookup via " + Socket() + ": unexpected reply status 9 (3 tries)");
  EXPECT_EQ(warnings.lines().size(), 2u) << warnings.joined();
  EXPECT_EQ(server_.connections(), 3);
  EXPECT_GE(Since(start), 2.0);
  EXPECT_LT(Since(start), 2.0 + kSlack);
  EXPECT_OK(table->Lookup("y", &value));  // connection 4: past the script
}

TEST_F(ProxyFaultTest, CutOffReplyIsRetriedQuietly) {
  server_.Script({Action::Reply("status\0" "0\0value\0par"s)});
  auto table = Open();
  ASSERT_NE(table, nullptr);
  CapturedWarnings warnings;
  auto start = std::chrono::steady_clock::now();
  std::string value;
  EXPECT_OK(table->Lookup("x", &value));
  EXPECT_EQ(value, "v:x");
  // The server went away mid-reply: what a proxymap exiting looks like, so
  // retried at once, without a warning.
  EXPECT_EQ(warnings.joined(), "");
  EXPECT_LT(Since(start), kSlack);
  EXPECT_EQ(server_.connections(), 2);
}

TEST_F(ProxyFaultTest, OversizedValueAndTrailingBytesAreRefused) {
  server_.Script({Action::Reply("status\0" "0\0value\0"s + std::string(2 << 20, 'x') + "\0\0"s),
                  Action::Reply("status\0" "0\0value\0v\0\0status\0" "0\0\0"s),
                  Action::Reply("status\0" "0\0value\0v\0extra\0x\0\0"s)});
  auto table = Open();
  ASSERT_NE(table, nullptr);
  CapturedWarnings warnings;
  std::string value;
  Status s = table->Lookup("x", &value);
  EXPECT_TRUE(s.IsTempError());
  EXPECT_EQ(s.message(), "lookup via " + Socket() + ": unexpected attribute \"extra\" (3 tries)");
  ASSERT_EQ(warnings.lines().size(), 2u);
  EXPECT_EQ(warnings.lines()[0], "table proxy:btree:/t: lookup via " + Socket() +
                                     ": malformed reply: attribute value longer than 1048576 bytes");
  EXPECT_EQ(warnings.lines()[1], "table proxy:btree:/t: lookup via " + Socket() +
                                     ": unexpected data from server after reply");
  EXPECT_OK(table->Lookup("y", &value));
  EXPECT_EQ(value, "v:y");
}

TEST_F(ProxyFaultTest, StalledServerCostsOneIpcTimeoutAndNoRetry) {
  server_.Script({Action::Stall()});
  auto table = Open();
  ASSERT_NE(table, nullptr);
  auto start = std::chrono::steady_clock::now();
  std::string value;
  Status s = table->Lookup("x", &value);
  EXPECT_TRUE(s.IsTempError());
  EXPECT_EQ(s.message(), "lookup via " + Socket() + ": no reply within ipc_timeout (1s)");
  EXPECT_GE(Since(start), 0.99);  // poll() waits whole milliseconds
  EXPECT_LT(Since(start), 1.0 + kSlack);
  EXPECT_EQ(server_.connections(), 1);
  EXPECT_OK(table->Lookup("y", &value));  // on a new connection
  EXPECT_EQ(server_.connections(), 2);
}

TEST_F(ProxyFaultTest, WrongOrMissingGreetingFailsTheOpen) {
  const Action wrong = Action::Greeting("protocol\0other_protocol\0\0"s);
  server_.Script({wrong, wrong, wrong});
  OpenOptions options;
  options.config_dir = server_.config_dir();
  std::unique_ptr<Table> table;
  CapturedWarnings warnings;
  auto start = std::chrono::steady_clock::now();
  Status s = OpenTable(kTable, options, &table);
  EXPECT_TRUE(s.IsTempError());
  const std::string why =
      "unexpected server greeting (want protocol proxymap_protocol): protocol \"other_protocol\"";
  EXPECT_EQ(s.message(), "table proxy:btree:/t: connect #3 to subsystem " + Socket() + ": " + why);
  EXPECT_EQ(warnings.lines().size(), 2u);
  EXPECT_LT(Since(start), 2.0 + kSlack);

  // No greeting at all: each try waits ipc_timeout.
  const Action silent = Action::Greeting(std::nullopt);
  server_.Script({silent, silent, silent});
  start = std::chrono::steady_clock::now();
  s = OpenTable(kTable, options, &table);
  EXPECT_EQ(s.message(), "table proxy:btree:/t: connect #3 to subsystem " + Socket() +
                             ": Connection timed out");
  EXPECT_GE(Since(start), 3 * 0.99 + 2 * 1.0);
  EXPECT_LT(Since(start), 3 * 1.0 + 2 * 1.0 + kSlack);
}

// Connections the server closed (a proxymap exits after each client here),
// idle longer than ipc_idle, or older than ipc_ttl are replaced before
// they are used, without a warning.
TEST_F(ProxyFaultTest, StaleConnectionsAreReplacedQuietly) {
  Action closing;
  closing.close_after_reply = true;
  server_.Script({closing, closing, closing, closing});
  auto table = Open();
  ASSERT_NE(table, nullptr);
  CapturedWarnings warnings;
  std::string value;
  for (const char* key : {"a", "b", "c"}) {
    EXPECT_OK(table->Lookup(key, &value));
    EXPECT_EQ(value, "v:"s + key);
  }
  EXPECT_EQ(server_.connections(), 4);
  EXPECT_EQ(warnings.joined(), "");

  FakeProxymap idle_server("ipc_idle = 1s\nipc_ttl = 2s\n");
  OpenOptions options;
  options.config_dir = idle_server.config_dir();
  std::unique_ptr<Table> idle_table;
  ASSERT_TRUE(OpenTable(kTable, options, &idle_table).ok());
  EXPECT_OK(idle_table->Lookup("a", &value));
  EXPECT_OK(idle_table->Lookup("b", &value));
  EXPECT_EQ(idle_server.connections(), 1);
  // The client's ipc timers run on TimerSteadyNow: moved on, not slept.
  AdvanceTimerClocksForTesting(std::chrono::milliseconds(1100));
  EXPECT_OK(idle_table->Lookup("c", &value));  // idle for more than ipc_idle
  EXPECT_EQ(idle_server.connections(), 2);
  for (int i = 0; i < 6; ++i) {  // never idle for ipc_idle, but older than ipc_ttl by the end
    AdvanceTimerClocksForTesting(std::chrono::milliseconds(500));
    EXPECT_OK(idle_table->Lookup("d", &value));
  }
  EXPECT_EQ(idle_server.connections(), 3);
  EXPECT_EQ(warnings.joined(), "");
}

// Without queue_directory in main.cf, Postfix's default.  (A service name
// nobody uses, so that a system Postfix on the machine is never contacted.)
TEST_F(ProxyFaultTest, DefaultQueueDirectoryAndServiceName) {
  testutil::TempDir dir;
  dir.WriteFile("main.cf", "proxymap_service_name = mctable-test-no-such-service\n");
  OpenOptions options;
  options.config_dir = dir.path();
  std::unique_ptr<Table> table;
  CapturedWarnings warnings;
  Status s = OpenTable(kTable, options, &table);
  EXPECT_TRUE(s.IsTempError());
  EXPECT_NE(s.message().find("connect #3 to subsystem /var/spool/postfix/private/mctable-test-no-such-service: "),
            std::string::npos)
      << s.message();
  EXPECT_EQ(warnings.lines().size(), 2u);
}

TEST_F(ProxyFaultTest, MainCfErrorsAreConfigErrors) {
  testutil::TempDir dir;
  OpenOptions options;
  options.config_dir = dir.path();
  std::unique_ptr<Table> table;
  EXPECT_EQ(OpenTable(kTable, options, &table).message(),
            "open " + dir.path() + "/main.cf: No such file or directory");
  dir.WriteFile("main.cf", "ipc_timeout = 5x\n");
  EXPECT_EQ(OpenTable(kTable, options, &table).message(),
            "parameter ipc_timeout: bad time value or unit: 5x");
  dir.WriteFile("main.cf", "queue_directory = /" + std::string(120, 'q') + "\n");
  EXPECT_TRUE(OpenTable(kTable, options, &table).IsConfigError());
  options.truncate = true;
  EXPECT_EQ(OpenTable(kTable, options, &table).message(), "can't create maps via the proxy service");
}

}  // namespace
}  // namespace mctable
