// Robustness against hostile servers and bad input.
//
// Every fault a real memcached will not produce is played by FaultServer
// (src/testutil/fault_server.h), which records every byte it receives, so
// each test checks: the result, the warning text, the number of tries
// (connections the server saw), the pauses between them, the total time
// (never above timeout*max_try + retry_pause*(max_try-1) + slack), that the
// wire carried only the intended command, and that the next operation on
// the same table works.  Configurations use timeout=1, retry_pause=1 so the
// file stays well under a minute.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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

namespace mctable {
namespace {

using testutil::FaultAction;
using testutil::FaultServer;
using testutil::MemcachedServer;
using testutil::RunCommand;
using testutil::TempDir;
using Then = FaultAction::Then;
using std::chrono::milliseconds;

// Scheduling noise allowed on top of a computed bound.
constexpr double kSlack = 0.5;
// A process start on top of kSlack for the command-line tests.
constexpr double kProcessSlack = 0.7;

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double Bound(int timeout, int max_try, int retry_pause) {
  return timeout * max_try + retry_pause * (max_try - 1) + kSlack;
}

bool HasType(const std::string& type) {
  for (const std::string& t : RegisteredTableTypes())
    if (t == type) return true;
  return false;
}

// Captures warnings (and other messages) while alive.
class LogCapture {
 public:
  LogCapture() {
    old_ = SetLogSink([this](LogLevel level, std::string_view text) {
      if (level == LogLevel::kWarning)
        warnings.emplace_back(text);
      else
        others.emplace_back(text);
    });
  }
  ~LogCapture() { SetLogSink(std::move(old_)); }
  std::string Joined() const {
    std::string all;
    for (const auto& w : warnings) all += w + "\n";
    return all;
  }
  std::vector<std::string> warnings;
  std::vector<std::string> others;

 private:
  LogSink old_;
};

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
    LogCapture log;
    auto start = std::chrono::steady_clock::now();
    out.status = table->Lookup(key, &out.value);
    out.seconds = Since(start);
    out.connections = server_.connections();
    out.warnings = log.warnings;
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

// ---------------------------------------------------------------------------
// The fault server itself.

TEST_F(FaultTest, ServerActsNormallyAndRecords) {
  std::string cf = Config();
  auto table = Open(cf, true);
  ASSERT_TRUE(table);
  EXPECT_TRUE(table->Update("a", "1").ok());
  std::string value;
  EXPECT_TRUE(table->Lookup("a", &value).ok());
  EXPECT_EQ(value, "1");
  EXPECT_TRUE(table->Lookup("b", &value).IsNotFound());
  EXPECT_TRUE(table->Delete("a").ok());
  EXPECT_TRUE(table->Delete("a").IsNotFound());
  EXPECT_EQ(server_.connections(), 1) << "the connection is reused";
  EXPECT_EQ(server_.AllReceived(),
            "set a 0 3600 1\r\n1\r\nget a\r\nget b\r\ndelete a\r\ndelete a\r\n");
}

// ---------------------------------------------------------------------------
// Timeouts.

TEST_F(FaultTest, AcceptsAndNeverAnswers) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  Outcome out = LookupUnder(table.get(), FaultAction::Silent(), 2);
  EXPECT_GE(out.seconds, 2.9) << "each try waits the full timeout";
  ExpectPauses(1.9, 2.4);  // timeout (1 s) + retry_pause (1 s)
  ExpectFailedLookup(table.get(), out, 2, IoError(cf, "Connection timed out"),
                     "Connection timed out");
}

TEST_F(FaultTest, AnswersTooSlowlyByteByByte) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  server_.Put("key", "slow value");
  // 31 reply bytes at 100 ms each: 3.1 s, more than the 1 s timeout.  The
  // timeout bounds the whole reply, not the gap between bytes.
  Outcome out = LookupUnder(table.get(), FaultAction::Slow(milliseconds(100)), 2);
  ExpectFailedLookup(table.get(), out, 2, IoError(cf, "Connection timed out"),
                     "Connection timed out");
}

TEST_F(FaultTest, SlowButWithinTimeoutIsReassembled) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  server_.Put("key", "v");
  // "VALUE key 0 1\r\nv\r\nEND\r\n" is 23 bytes: 0.46 s at 20 ms a byte.
  Outcome out = LookupUnder(table.get(), FaultAction::Slow(milliseconds(20)), 1);
  EXPECT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.value, "v");
  EXPECT_EQ(out.connections, 1);
  EXPECT_TRUE(out.warnings.empty());
}

// ---------------------------------------------------------------------------
// Truncated and malformed replies.

TEST_F(FaultTest, ClosesInTheMiddleOfValueLine) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  Outcome out = LookupUnder(table.get(), FaultAction::Reply("VALUE {key} 0 5", Then::kClose), 2);
  ExpectPauses(0.95, 1.4);
  ExpectFailedLookup(table.get(), out, 2, IoError(cf, "lost connection: end of file from server"),
                     "lost connection: end of file from server");
}

TEST_F(FaultTest, ClosesInTheMiddleOfData) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  Outcome out =
      LookupUnder(table.get(), FaultAction::Reply("VALUE {key} 0 10\r\nhello", Then::kClose), 2);
  ExpectFailedLookup(table.get(), out, 2, IoError(cf, "lost connection: end of file from server"),
                     "lost connection: end of file from server");
}

TEST_F(FaultTest, ValueLineLongerThanLineSizeLimit) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  // The server then hangs: the client must see the error without waiting
  // for the timeout.
  std::string line = "VALUE {key}" + std::string(1100, ' ') + "0 5\r\nhello\r\nEND\r\n";
  Outcome out = LookupUnder(table.get(), FaultAction::Reply(line, Then::kHang), 2);
  std::string reason = "unexpected memcache server reply: line longer than line_size_limit (1024): "
                       "VALUE key" + std::string(21, ' ');
  ExpectFailedLookup(table.get(), out, 2, cf + ": " + reason, reason);
  EXPECT_LT(out.seconds, 1.0 + kSlack) << "waited for a timeout on an oversized line";
}

TEST_F(FaultTest, AnnouncesMoreDataThanDataSizeLimit) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  Outcome out =
      LookupUnder(table.get(), FaultAction::Reply("VALUE {key} 0 20000\r\n", Then::kHang), 2);
  // As Postfix 3.7: "warning: FILE: unexpected memcache server reply: VALUE key 0 20000".
  ExpectFailedLookup(table.get(), out, 2, Unexpected(cf, "VALUE key 0 20000"),
                     "unexpected memcache server reply: VALUE key 0 20000");
  EXPECT_LT(out.seconds, 1.0 + kSlack);
}

TEST_F(FaultTest, NegativeDataLength) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  Outcome out = LookupUnder(
      table.get(), FaultAction::Reply("VALUE {key} 0 -5\r\nhello\r\nEND\r\n", Then::kHang), 2);
  ExpectFailedLookup(table.get(), out, 2, Unexpected(cf, "VALUE key 0 -5"),
                     "unexpected memcache server reply: VALUE key 0 -5");
}

TEST_F(FaultTest, DataBlockShorterThanAnnounced) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  // 8 announced, 5 sent: the parser takes "hello\r\nE" and finds "ND".
  Outcome out = LookupUnder(
      table.get(), FaultAction::Reply("VALUE {key} 0 8\r\nhello\r\nEND\r\n", Then::kHang), 2);
  std::string reason =
      "unexpected memcache server reply: data block of 8 bytes not followed by CRLF";
  ExpectFailedLookup(table.get(), out, 2, cf + ": " + reason, reason);
  EXPECT_LT(out.seconds, 1.0 + kSlack);
}

TEST_F(FaultTest, DataBlockLongerThanAnnounced) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  Outcome out = LookupUnder(
      table.get(), FaultAction::Reply("VALUE {key} 0 3\r\nhello\r\nEND\r\n", Then::kHang), 2);
  std::string reason =
      "unexpected memcache server reply: data block of 3 bytes not followed by CRLF";
  ExpectFailedLookup(table.get(), out, 2, cf + ": " + reason, reason);
  EXPECT_NE(out.value, "hel");
}

// A complete VALUE block (right key, right length, CRLF) followed by EOF or
// by nothing: Postfix 3.7 (dict_memcache_get) takes the value and only
// recovers the connection when END does not follow.  So do we: the value
// is the answer, the connection is not reused, and no retry is made.
TEST_F(FaultTest, OmitsEndThenCloses) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  Outcome out =
      LookupUnder(table.get(), FaultAction::Reply("VALUE {key} 0 5\r\nhello\r\n", Then::kClose), 1);
  EXPECT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.value, "hello");
  EXPECT_EQ(out.connections, 1);
  EXPECT_TRUE(out.warnings.empty());
  EXPECT_LT(out.seconds, kSlack);
  ExpectNextLookupWorks(table.get());
  EXPECT_EQ(server_.connections(), 2) << "the broken connection must not be reused";
}

TEST_F(FaultTest, OmitsEndAndHangs) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  Outcome out =
      LookupUnder(table.get(), FaultAction::Reply("VALUE {key} 0 5\r\nhello\r\n", Then::kHang), 1);
  EXPECT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.value, "hello");
  EXPECT_EQ(out.connections, 1) << "an answered key is not asked again";
  EXPECT_TRUE(out.warnings.empty());
  EXPECT_GE(out.seconds, 0.95) << "END is awaited up to the timeout";
  EXPECT_LE(out.seconds, 1.0 + kSlack);
  ExpectNextLookupWorks(table.get());
  EXPECT_EQ(server_.connections(), 2) << "the hanging connection must not be reused";
}

// A VALUE block followed by garbage instead of END: the value stands (as
// Postfix), the connection is dropped.
TEST_F(FaultTest, GarbageInsteadOfEnd) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  Outcome out = LookupUnder(
      table.get(), FaultAction::Reply("VALUE {key} 0 5\r\nhello\r\nVALUE key 0 6\r\nforged\r\nEND\r\n",
                                      Then::kContinue), 1);
  EXPECT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.value, "hello") << "a second VALUE for the same key must not replace the first";
  ExpectNextLookupWorks(table.get());
  EXPECT_EQ(server_.connections(), 2);
}

TEST_F(FaultTest, ValueForAnotherKeyIsNeverTheAnswer) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  Outcome out = LookupUnder(
      table.get(),
      FaultAction::Reply("VALUE other 0 6\r\nforged\r\nEND\r\n", Then::kContinue), 2);
  std::string reason = "unexpected memcache server reply: VALUE for a key not asked for: other";
  ExpectFailedLookup(table.get(), out, 2, cf + ": " + reason, reason);
  EXPECT_NE(out.value, "forged");
}

TEST_F(FaultTest, ValueForAKeyPrefixIsNeverTheAnswer) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  Outcome out = LookupUnder(
      table.get(), FaultAction::Reply("VALUE ke 0 6\r\nforged\r\nEND\r\n", Then::kContinue), 2);
  EXPECT_TRUE(out.status.IsTempError()) << out.status.ToString();
  EXPECT_NE(out.value, "forged");
  EXPECT_EQ(out.connections, 2);
}

TEST_F(FaultTest, GarbageBytes) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  std::string garbage("\x00\x01\xff\xfe\x80 garbage\x1b[2J\r\n", 19);
  Outcome out = LookupUnder(table.get(), FaultAction::Reply(garbage, Then::kHang), 2);
  // Non-printable bytes never reach the log as they are.
  std::string shown = "\\x00\\x01\\xff\\xfe\\x80 garbage\\x1b[2J";
  ExpectFailedLookup(table.get(), out, 2, Unexpected(cf, shown),
                     "unexpected memcache server reply: " + shown);
}

TEST_F(FaultTest, BinaryWithoutLineEnd) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  std::string garbage;
  for (int i = 0; i < 3000; ++i) garbage.push_back(static_cast<char>((i * 7 + 1) % 256 | 0x80));
  Outcome out = LookupUnder(table.get(), FaultAction::Reply(garbage, Then::kHang), 2);
  EXPECT_TRUE(out.status.IsTempError()) << out.status.ToString();
  EXPECT_EQ(out.connections, 2);
  EXPECT_LT(out.seconds, 1.0 + kSlack) << "an endless line must fail at line_size_limit";
  ASSERT_EQ(out.warnings.size(), 1u);
  EXPECT_NE(out.warnings[0].find("line longer than line_size_limit"), std::string::npos)
      << out.warnings[0];
  ExpectNextLookupWorks(table.get());
}

TEST_F(FaultTest, ErrorRepliesToGet) {
  std::string cf = Config();
  for (std::string reply : {"SERVER_ERROR out of memory", "CLIENT_ERROR bad command line format",
                            "ERROR"}) {
    SCOPED_TRACE(reply);
    auto table = Open(cf);  // a fresh connection for the scripted one
    ASSERT_TRUE(table);
    Outcome out =
        LookupUnder(table.get(), FaultAction::Reply(reply + "\r\n", Then::kContinue), 2);
    ExpectFailedLookup(table.get(), out, 2, Unexpected(cf, reply.substr(0, 30)),
                       "unexpected memcache server reply: " + reply.substr(0, 30));
  }
}

// Postfix (dict_memcache_set) treats any reply but STORED as a failed try:
// it retries after retry_pause and warns "update failed" on the retry.  The
// spec (§2: "any other reply counts as an I/O error of that try") agrees.
TEST_F(FaultTest, ServerErrorOnSetIsRetried) {
  std::string cf = Config();
  auto table = Open(cf, true);
  ASSERT_TRUE(table);
  const std::string reply = "SERVER_ERROR out of memory storing object";
  server_.Script(FaultAction::Reply(reply + "\r\n", Then::kContinue), 2);
  LogCapture log;
  auto start = std::chrono::steady_clock::now();
  Status s = table->Update("key", "value");
  double seconds = Since(start);
  EXPECT_TRUE(s.IsTempError()) << s.ToString();
  EXPECT_EQ(server_.connections(), 2) << "SERVER_ERROR on set was not retried";
  EXPECT_EQ(log.warnings,
            std::vector<std::string>{"database memcache:" + cf +
                                     ": update failed: " + reply.substr(0, 30)});
  EXPECT_LE(seconds, Bound(1, 2, 1));
  EXPECT_FALSE(server_.Has("key"));
  EXPECT_TRUE(table->Update("key", "value").ok());
  EXPECT_TRUE(server_.Has("key"));
}

TEST_F(FaultTest, ClientErrorOnSetIsRetried) {
  std::string cf = Config();
  auto table = Open(cf, true);
  ASSERT_TRUE(table);
  server_.Script(FaultAction::Reply("CLIENT_ERROR bad data chunk\r\n", Then::kContinue), 2);
  LogCapture log;
  Status s = table->Update("key", "value");
  EXPECT_TRUE(s.IsTempError()) << s.ToString();
  EXPECT_EQ(server_.connections(), 2);
  EXPECT_EQ(log.warnings.size(), 1u) << log.Joined();
  EXPECT_EQ(server_.Received(0), "set key 0 3600 5\r\nvalue\r\n");
  EXPECT_EQ(server_.Received(1), "set key 0 3600 5\r\nvalue\r\n");
  EXPECT_TRUE(table->Update("key", "again").ok());
  std::string v;
  EXPECT_TRUE(server_.Has("key", &v));
  EXPECT_EQ(v, "again");
}

TEST_F(FaultTest, ErrorOnDeleteIsRetried) {
  std::string cf = Config();
  auto table = Open(cf, true);
  ASSERT_TRUE(table);
  server_.Put("key", "v");
  server_.Script(FaultAction::Reply("ERROR\r\n", Then::kContinue), 2);
  LogCapture log;
  auto start = std::chrono::steady_clock::now();
  Status s = table->Delete("key");
  EXPECT_TRUE(s.IsTempError()) << s.ToString();
  EXPECT_EQ(server_.connections(), 2);
  EXPECT_EQ(log.warnings.size(), 1u) << log.Joined();
  EXPECT_LE(Since(start), Bound(1, 2, 1));
  EXPECT_TRUE(server_.Has("key"));
  EXPECT_TRUE(table->Delete("key").ok());
  EXPECT_FALSE(server_.Has("key"));
}

TEST_F(FaultTest, SilentOnSetIsBounded) {
  std::string cf = Config();
  auto table = Open(cf, true);
  ASSERT_TRUE(table);
  server_.Script(FaultAction::Silent(), 2);
  LogCapture log;
  auto start = std::chrono::steady_clock::now();
  Status s = table->Update("key", "value");
  double seconds = Since(start);
  EXPECT_TRUE(s.IsTempError()) << s.ToString();
  EXPECT_EQ(server_.connections(), 2);
  EXPECT_EQ(log.warnings, std::vector<std::string>{IoError(cf, "Connection timed out")});
  EXPECT_LE(seconds, Bound(1, 2, 1));
  EXPECT_GE(seconds, 2.9);
  EXPECT_TRUE(table->Update("key", "value").ok());
}

// ---------------------------------------------------------------------------
// Retries: count, pauses, partial progress, refusal.

TEST_F(FaultTest, MaxTryThreeMeansThreeTriesTwoPauses) {
  std::string cf = Config("", 3);
  auto table = Open(cf);
  ASSERT_TRUE(table);
  Outcome out = LookupUnder(table.get(), FaultAction::Reply("ERROR\r\n", Then::kClose), 3);
  ExpectPauses(0.95, 1.4);
  ExpectFailedLookup(table.get(), out, 3, Unexpected(cf, "ERROR"),
                     "unexpected memcache server reply: ERROR");
}

TEST_F(FaultTest, RecoversOnTheSecondTry) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  server_.Put("key", "value");
  Outcome out = LookupUnder(table.get(), FaultAction::Reply("VALUE {key} 0", Then::kClose), 1);
  EXPECT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.value, "value");
  EXPECT_EQ(out.connections, 2);
  EXPECT_TRUE(out.warnings.empty()) << "the first failure is not logged";
  EXPECT_EQ(server_.Received(0), "get key\r\n");
  EXPECT_EQ(server_.Received(1), "get key\r\n");
  ExpectPauses(0.95, 1.4);
}

TEST_F(FaultTest, AnswersBeforeAFailureAreKept) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  server_.Put("a", "first");
  server_.Put("b", "second");
  server_.Script({FaultAction::Reply("VALUE {key} 0 5\r\nfirst\r\n", Then::kClose)});
  std::vector<std::string> keys = {"a", "b"};
  std::vector<LookupResult> results;
  table->LookupMany(keys, &results);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].status.ok()) << results[0].status.ToString();
  EXPECT_EQ(results[0].value, "first");
  EXPECT_TRUE(results[1].status.ok()) << results[1].status.ToString();
  EXPECT_EQ(results[1].value, "second");
  EXPECT_EQ(server_.connections(), 2);
  EXPECT_EQ(server_.Received(0), "get a b\r\n");
  EXPECT_EQ(server_.Received(1), "get b\r\n") << "only the unanswered key is asked again";
}

TEST_F(FaultTest, RefusedConnectionIsNotRetried) {
  int port = testutil::FreeLoopbackPort();
  std::string endpoint = "inet:127.0.0.1:" + std::to_string(port);
  std::string cf = Config("", 3, endpoint);
  auto table = Open(cf, true);
  ASSERT_TRUE(table);
  LogCapture log;
  auto start = std::chrono::steady_clock::now();
  std::string value;
  Status s = table->Lookup("key", &value);
  EXPECT_TRUE(s.IsTempError()) << s.ToString();
  EXPECT_EQ(s.message(), "Connection refused");
  EXPECT_EQ(log.warnings,
            std::vector<std::string>{"connect to 127.0.0.1:" + std::to_string(port) +
                                     ": Connection refused"});
  EXPECT_LT(Since(start), 0.5) << "a refused connection must not be retried";
  EXPECT_TRUE(table->Update("key", "v").IsTempError());
  EXPECT_TRUE(table->Delete("key").IsTempError());
  EXPECT_LT(Since(start), 1.0);
}

// ---------------------------------------------------------------------------
// Through the mctable command.

class FaultCliTest : public FaultTest {
 protected:
  testutil::CommandResult Mctable(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), testutil::MctableBinary());
    return RunCommand(args, input, 30);
  }
};

TEST_F(FaultCliTest, StalledServerFatalWithinBound) {
  std::string cf = Config();
  server_.Script(FaultAction::Silent(), 2);
  auto r = Mctable({"-q", "key", "memcache:" + cf});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "mctable: warning: database memcache:" + cf +
                       ": I/O error: Connection timed out\n"
                       "mctable: fatal: table memcache:" + cf +
                       ": query error: Connection timed out\n");
  EXPECT_EQ(server_.connections(), 2);
  EXPECT_LE(r.seconds, Bound(1, 2, 1) + kProcessSlack) << "Postfix 3.7 takes ~6 s here";
  EXPECT_GE(r.seconds, 2.9);
  server_.WaitIdle();
  EXPECT_EQ(server_.AllReceived(), "get key\r\nget key\r\n");
}

TEST_F(FaultCliTest, RefusedIsFatalAtOnce) {
  int port = testutil::FreeLoopbackPort();
  std::string cf = Config("", 2, "inet:127.0.0.1:" + std::to_string(port));
  auto r = Mctable({"-q", "key", "memcache:" + cf});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "mctable: warning: connect to 127.0.0.1:" + std::to_string(port) +
                       ": Connection refused\n"
                       "mctable: fatal: table memcache:" + cf +
                       ": query error: Connection refused\n");
  EXPECT_LT(r.seconds, kSlack + kProcessSlack);
}

TEST_F(FaultCliTest, ForgedValueIsNeverPrinted) {
  std::string cf = Config();
  server_.Script(FaultAction::Reply("VALUE other 0 6\r\nforged\r\nEND\r\n", Then::kContinue), 2);
  auto r = Mctable({"-q", "key", "memcache:" + cf});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.find("forged"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mctable: fatal: table memcache:" + cf + ": query error: "),
            std::string::npos)
      << r.err;
  EXPECT_EQ(server_.connections(), 2);
  EXPECT_LE(r.seconds, Bound(1, 2, 1) + kProcessSlack);
}

TEST_F(FaultCliTest, OversizedValueAsPostfix) {
  std::string cf = Config();
  server_.Script(FaultAction::Reply("VALUE {key} 0 20000\r\n", Then::kHang), 2);
  auto r = Mctable({"-q", "test:big", "memcache:" + cf});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "mctable: warning: " + cf +
                       ": unexpected memcache server reply: VALUE test:big 0 20000\n"
                       "mctable: fatal: table memcache:" + cf +
                       ": query error: unexpected memcache server reply: VALUE test:big 0 20000\n");
  EXPECT_EQ(server_.connections(), 2);
}

TEST_F(FaultCliTest, BatchQueryAfterRecovery) {
  std::string cf = Config();
  server_.Put("a", "1");
  server_.Put("c", "3");
  // First connection dies mid-reply; the batch still completes in order.
  server_.Script({FaultAction::Reply("VALUE {key} 0 1\r\n1\r\nVAL", Then::kClose)});
  auto r = Mctable({"-q", "-", "memcache:" + cf}, "a\nb\nc\n");
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "a\t1\nc\t3\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(server_.connections(), 2);
}

TEST_F(FaultCliTest, DeleteErrorIsFatal) {
  std::string cf = Config();
  server_.Put("key", "v");
  server_.Script(FaultAction::Reply("ERROR\r\n", Then::kContinue), 2);
  auto r = Mctable({"-d", "key", "memcache:" + cf});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("mctable: fatal: table memcache:" + cf + ": delete error: "),
            std::string::npos)
      << r.err;
  EXPECT_EQ(server_.connections(), 2);
  EXPECT_TRUE(server_.Has("key"));
  EXPECT_LE(r.seconds, Bound(1, 2, 1) + kProcessSlack);
}

// ---------------------------------------------------------------------------
// Bad keys and values.

TEST_F(FaultTest, EveryByteValueInKeys) {
  std::string cf = Config();
  auto table = Open(cf, true);
  ASSERT_TRUE(table);
  server_.ResetRecording();
  std::string expected_gets, expected_sets;
  int skipped = 0;
  LogCapture log;
  std::vector<std::string> keys;
  for (int b = 1; b <= 0xff; ++b) {
    std::string key = "k";
    key.push_back(static_cast<char>(b));
    key += "z";
    keys.push_back(key);
  }
  for (const std::string& key : keys) {
    std::string value;
    Status s = table->Lookup(key, &value);
    EXPECT_TRUE(s.IsNotFound()) << PrintableBytes(key) << ": " << s.ToString();
  }
  EXPECT_TRUE(log.warnings.empty()) << "lookups are skipped silently: " << log.Joined();
  for (const std::string& key : keys) {
    unsigned char b = static_cast<unsigned char>(key[1]);
    std::string wire = key;
    if (b >= 'A' && b <= 'Z') wire[1] = static_cast<char>(b - 'A' + 'a');
    bool valid = b > 0x20 && b != 0x7f;
    Status u = table->Update(key, "v");
    if (valid) {
      expected_gets += "get " + wire + "\r\n";
      expected_sets += "set " + wire + " 0 3600 1\r\nv\r\n";
      EXPECT_TRUE(u.ok()) << PrintableBytes(key) << ": " << u.ToString();
    } else {
      ++skipped;
      EXPECT_TRUE(u.IsRefused()) << PrintableBytes(key) << ": " << u.ToString();
    }
  }
  EXPECT_EQ(server_.AllReceived(), expected_gets + expected_sets)
      << "only valid keys may reach the wire, each exactly once";
  EXPECT_EQ(skipped, 33);
  ASSERT_EQ(log.warnings.size(), 33u) << log.Joined();
  EXPECT_EQ(log.warnings[0],
            cf + ": skipping update for name \"k\\x01z\": name contains control character");
  EXPECT_EQ(log.warnings[8], cf + ": skipping update for name \"k\\x09z\": name contains space");
  EXPECT_EQ(log.warnings[31], cf + ": skipping update for name \"k z\": name contains space");
  EXPECT_EQ(log.warnings[32],
            cf + ": skipping update for name \"k\\x7fz\": name contains control character");
  // Folding: "kAz" and "kaz" are one key.
  std::string value;
  EXPECT_TRUE(table->Lookup("kAz", &value).ok());
}

TEST_F(FaultTest, EveryByteValueInABatch) {
  std::string cf = Config();
  auto table = Open(cf);
  ASSERT_TRUE(table);
  server_.ResetRecording();
  std::vector<std::string> keys;
  std::string expected = "get";
  for (int b = 1; b <= 0xff; ++b) {
    std::string key = "k";
    key.push_back(static_cast<char>(b));
    keys.push_back(key);
    if (b > 0x20 && b != 0x7f) {
      if (b >= 'A' && b <= 'Z') key[1] = static_cast<char>(b - 'A' + 'a');
      expected += " " + key;
    }
  }
  server_.Put("ka", "found");
  std::vector<LookupResult> results;
  table->LookupMany(keys, &results);
  ASSERT_EQ(results.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    bool hit = keys[i] == "ka" || keys[i] == "kA";
    EXPECT_EQ(results[i].status.ok(), hit) << i << ": " << results[i].status.ToString();
    if (hit) {
      EXPECT_EQ(results[i].value, "found");
    }
  }
  EXPECT_EQ(server_.AllReceived(), expected + "\r\n");
}

TEST_F(FaultTest, KeysAtAndOver250BytesAfterExpansion) {
  std::string cf = Config("key_format = pre:%s\n");
  auto table = Open(cf, true);
  ASSERT_TRUE(table);
  server_.ResetRecording();
  std::string at(246, 'a'), over(247, 'a');  // + "pre:" = 250, 251
  server_.Put("pre:" + at, "fits");
  std::string value;
  LogCapture log;
  EXPECT_TRUE(table->Lookup(at, &value).ok());
  EXPECT_EQ(value, "fits");
  EXPECT_TRUE(table->Lookup(over, &value).IsNotFound());
  EXPECT_TRUE(table->Delete(over).IsNotFound());
  Status u = table->Update(over, "v");
  EXPECT_TRUE(u.IsRefused()) << u.ToString();
  EXPECT_EQ(log.warnings, std::vector<std::string>{cf + ": skipping update for name \"" + over +
                                                   "\": name is longer than 250 bytes"});
  EXPECT_EQ(server_.AllReceived(), "get pre:" + at + "\r\n");
  // Bytes, not characters: 125 two-byte characters plus "pre:" is 254 bytes.
  std::string utf8;
  for (int i = 0; i < 125; ++i) utf8 += "\xc3\xa9";
  EXPECT_TRUE(table->Lookup(utf8, &value).IsNotFound());
  EXPECT_EQ(server_.AllReceived(), "get pre:" + at + "\r\n");
}

TEST_F(FaultTest, ValueOverDataSizeLimitIsNotSent) {
  std::string cf = Config("data_size_limit = 100\n");
  auto table = Open(cf, true);
  ASSERT_TRUE(table);
  server_.ResetRecording();
  LogCapture log;
  Status s = table->Update("key", std::string(101, 'x'));
  EXPECT_TRUE(s.IsRefused()) << "skipped with a warning, not an error: " << s.ToString();
  EXPECT_EQ(log.warnings,
            std::vector<std::string>{"database memcache:" + cf +
                                     ": data for key key is too long (data_size_limit=100) -- "
                                     "not stored"});
  EXPECT_EQ(server_.AllReceived(), "");
  EXPECT_TRUE(table->Update("key", std::string(100, 'x')).ok());
  EXPECT_EQ(server_.AllReceived(), "set key 0 3600 100\r\n" + std::string(100, 'x') + "\r\n");
}

class FaultRealServerTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(FaultRealServerTest, EmptyAndOneMegabyteValues) {
  MemcachedServer::Options mo;
  mo.max_item_size_kb = 2048;
  MemcachedServer mc(mo);
  if (!mc.Start()) GTEST_SKIP() << mc.error();
  std::string cf = dir_.WriteFile(
      "mc.cf", "memcache = " + mc.endpoint() +
                   "\ntimeout = 1\nmax_try = 2\nretry_pause = 1\ndata_size_limit = 1100000\n");
  OpenOptions options;
  options.read_write = true;
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable("memcache:" + cf, options, &table).ok());
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  big[1000] = '\r';
  big[1001] = '\n';
  big.replace(5000, 7, "\r\nEND\r\n");  // data that looks like protocol stays data
  EXPECT_TRUE(table->Update("empty", "").ok());
  EXPECT_TRUE(table->Update("big", big).ok());
  std::string value = "junk";
  Status s = table->Lookup("empty", &value);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(value, "");
  s = table->Lookup("big", &value);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(value == big) << "1 MB value differs (size " << value.size() << ")";
  bool found = false;
  EXPECT_EQ(mc.Get("big", &found).size(), big.size());
  EXPECT_TRUE(found);
}

TEST_F(FaultRealServerTest, KilledAndRestartedBetweenOperations) {
  MemcachedServer::Options mo;
  mo.unix_socket = true;
  mo.socket_dir = dir_.path();
  MemcachedServer mc(mo);
  if (!mc.Start()) GTEST_SKIP() << mc.error();
  std::string endpoint = mc.endpoint();
  std::string cf = dir_.WriteFile(
      "mc.cf", "memcache = " + endpoint + "\ntimeout = 1\nmax_try = 2\nretry_pause = 1\n");
  OpenOptions options;
  options.read_write = true;
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable("memcache:" + cf, options, &table).ok());
  ASSERT_TRUE(table->Update("k", "v1").ok());
  std::string value;
  ASSERT_TRUE(table->Lookup("k", &value).ok());
  EXPECT_EQ(value, "v1");

  mc.Stop();
  {
    LogCapture log;
    auto start = std::chrono::steady_clock::now();
    Status s = table->Lookup("k", &value);
    EXPECT_TRUE(s.IsTempError()) << s.ToString();
    EXPECT_LE(Since(start), Bound(1, 2, 1));
  }
  ASSERT_TRUE(mc.Start()) << mc.error();
  ASSERT_EQ(mc.endpoint(), endpoint) << "restarted on another socket";
  // memcached lost its data: not found, then the table works again.
  Status s = table->Lookup("k", &value);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_TRUE(table->Update("k", "v2").ok());
  EXPECT_TRUE(table->Lookup("k", &value).ok());
  EXPECT_EQ(value, "v2");

  // Killed while the table holds an idle connection: the next operation
  // reconnects (one failed try, one pause) and gets the right answer.
  mc.Stop();
  ASSERT_TRUE(mc.Start()) << mc.error();
  mc.Set("k", "v3");
  auto start = std::chrono::steady_clock::now();
  s = table->Lookup("k", &value);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(value, "v3");
  EXPECT_LE(Since(start), Bound(1, 2, 1));
}

TEST_F(FaultRealServerTest, BackupKeepsWhatItAcceptedWhileMemcacheIsDown) {
  std::string type = HasType("lmdb") ? "lmdb" : "";
  if (type.empty()) GTEST_SKIP() << "lmdb table type not registered (texthash is read-only)";
  MemcachedServer::Options mo;
  mo.unix_socket = true;
  mo.socket_dir = dir_.path();
  MemcachedServer mc(mo);
  if (!mc.Start()) GTEST_SKIP() << mc.error();
  std::string backup = type + ":" + dir_.path() + "/backup";
  {
    OpenOptions create;
    create.read_write = create.create = true;
    std::unique_ptr<Table> b;
    Status s = OpenTable(backup, create, &b);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(b->Update("old", "o").ok());
    ASSERT_TRUE(b->Close().ok());
  }
  std::string cf = dir_.WriteFile("mc.cf", "memcache = " + mc.endpoint() +
                                               "\ntimeout = 1\nmax_try = 2\nretry_pause = 1\n"
                                               "key_format = t:%s\nbackup = " + backup + "\n");
  OpenOptions options;
  options.read_write = true;
  std::unique_ptr<Table> table;
  Status s = OpenTable("memcache:" + cf, options, &table);
  ASSERT_TRUE(s.ok()) << s.ToString();

  ASSERT_TRUE(table->Update("k1", "v1").ok());
  bool found = false;
  EXPECT_EQ(mc.Get("t:k1", &found), "v1");
  EXPECT_TRUE(found) << "update goes to memcache too";

  mc.Stop();
  {
    LogCapture log;
    auto start = std::chrono::steady_clock::now();
    s = table->Update("k2", "v2");
    EXPECT_TRUE(s.ok()) << "with a backup the result is the backup's: " << s.ToString();
    s = table->Delete("k1");
    EXPECT_TRUE(s.ok()) << s.ToString();
    s = table->Delete("old");
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_LE(Since(start), Bound(1, 2, 1) + kSlack);
    EXPECT_FALSE(log.warnings.empty()) << "memcache being down is not silent";
  }
  // What the backup accepted is in the file, read by an independent handle.
  {
    std::unique_ptr<Table> b;
    ASSERT_TRUE(OpenTable(backup, OpenOptions(), &b).ok());
    std::string v;
    EXPECT_TRUE(b->Lookup("k2", &v).ok());
    EXPECT_EQ(v, "v2");
    EXPECT_TRUE(b->Lookup("k1", &v).IsNotFound());
    EXPECT_TRUE(b->Lookup("old", &v).IsNotFound());
  }
  // A lookup while memcache is down falls back to the backup.
  std::string value;
  s = table->Lookup("k2", &value);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(value, "v2");

  ASSERT_TRUE(mc.Start()) << mc.error();
  s = table->Lookup("k2", &value);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(value, "v2");
  EXPECT_EQ(mc.Get("t:k2", &found), "v2");
  EXPECT_TRUE(found) << "a backup hit is written back to memcache";
  EXPECT_TRUE(table->Lookup("k1", &value).IsNotFound());
  EXPECT_TRUE(table->Lookup("old", &value).IsNotFound());
  ASSERT_TRUE(table->Close().ok());
}

// ---------------------------------------------------------------------------
// Bad configuration: clear errors naming the file.

class FaultConfigTest : public ::testing::Test {
 protected:
  Status OpenWith(const std::string& body, std::string* cf_out = nullptr) {
    std::string cf = dir_.WriteFile("bad" + std::to_string(++n_) + ".cf", body);
    if (cf_out) *cf_out = cf;
    std::unique_ptr<Table> table;
    return OpenTable("memcache:" + cf, OpenOptions(), &table);
  }
  TempDir dir_;
  int n_ = 0;
};

TEST_F(FaultConfigTest, MalformedNumbers) {
  for (std::string name : {"flags", "ttl", "data_size_limit", "line_size_limit", "max_try",
                           "retry_pause", "timeout"}) {
    for (std::string bad : {"5x", "x", "1.5", "0x10", "99999999999", "--1", "1 2"}) {
      SCOPED_TRACE(name + " = " + bad);
      std::string cf;
      Status s = OpenWith(name + " = " + bad + "\n", &cf);
      EXPECT_TRUE(s.IsConfigError()) << s.ToString();
      EXPECT_EQ(s.message(), cf + ": bad numerical configuration: " + name + " = " + bad);
    }
  }
}

TEST_F(FaultConfigTest, OutOfRange) {
  struct Case {
    std::string line, message;
  };
  for (const Case& c : std::vector<Case>{
           {"max_try = 0", "invalid max_try parameter value 0 < 1"},
           {"max_try = -3", "invalid max_try parameter value -3 < 1"},
           {"retry_pause = 0", "invalid retry_pause parameter value 0 < 1"},
           {"line_size_limit = 0", "invalid line_size_limit parameter value 0 < 1"},
           {"data_size_limit = -1", "invalid data_size_limit parameter value -1 < 1"},
           {"timeout = 0", "invalid timeout parameter value 0 < 1"},
           {"flags = -1", "invalid flags parameter value -1 < 0"},
       }) {
    SCOPED_TRACE(c.line);
    std::string cf;
    Status s = OpenWith(c.line + "\n", &cf);
    EXPECT_TRUE(s.IsConfigError()) << s.ToString();
    EXPECT_EQ(s.message(), cf + ": " + c.message);
  }
  // Accepted as Postfix does: a negative ttl, large values.
  EXPECT_TRUE(OpenWith("ttl = -1\n").ok());
  EXPECT_TRUE(OpenWith("max_try = 2147483647\ntimeout = 2147483647\n").ok());
}

TEST_F(FaultConfigTest, MalformedMemcacheAndKeyFormat) {
  for (std::string bad : {"bogus", "inet:", "inet:127.0.0.1", "inet::11211", "inet:[::1", "unix:",
                          "inet:a:b:11211", "tcp:127.0.0.1:11211"}) {
    SCOPED_TRACE(bad);
    std::string cf;
    Status s = OpenWith("memcache = " + bad + "\n", &cf);
    EXPECT_TRUE(s.IsConfigError()) << s.ToString();
    EXPECT_EQ(s.message().rfind(cf + ": invalid memcache parameter value \"" + bad + "\": ", 0), 0u)
        << s.message();
  }
  for (std::string bad : {"%x", "abc%", "%0", "%s%q"}) {
    SCOPED_TRACE(bad);
    std::string cf;
    Status s = OpenWith("key_format = " + bad + "\n", &cf);
    EXPECT_TRUE(s.IsConfigError()) << s.ToString();
    EXPECT_NE(s.message().find(cf), std::string::npos) << s.message();
  }
}

TEST_F(FaultConfigTest, MissingAndUnreadableFile) {
  std::string missing = dir_.path() + "/missing.cf";
  std::unique_ptr<Table> table;
  Status s = OpenTable("memcache:" + missing, OpenOptions(), &table);
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_EQ(s.message(), "open " + missing + ": No such file or directory");

  auto r = RunCommand({testutil::MctableBinary(), "-q", "k", "memcache:" + missing});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.err, "mctable: fatal: open " + missing + ": No such file or directory\n");

  // A directory where the file should be.
  s = OpenTable("memcache:" + dir_.path(), OpenOptions(), &table);
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_NE(s.message().find(dir_.path()), std::string::npos) << s.message();

  if (::geteuid() == 0) GTEST_SKIP() << "running as root: mode 000 does not stop reading";
  std::string cf = dir_.WriteFile("unreadable.cf", "ttl = 5\n");
  ::chmod(cf.c_str(), 0);
  s = OpenTable("memcache:" + cf, OpenOptions(), &table);
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_EQ(s.message(), "open " + cf + ": Permission denied");
}

TEST_F(FaultConfigTest, MissingBackupAndDomainTables) {
  std::string missing = dir_.path() + "/nothere";
  Status s = OpenWith("backup = lmdb:" + missing + "\n");
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_NE(s.message().find(missing), std::string::npos) << s.message();

  s = OpenWith("backup = nosuchtype:" + missing + "\n");
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_NE(s.message().find("nosuchtype"), std::string::npos) << s.message();

  s = OpenWith("domain = example.com, lmdb:" + missing + "\n");
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_NE(s.message().find(missing), std::string::npos) << s.message();

  s = OpenWith("domain = example.com " + missing + "-list\n");
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_NE(s.message().find(missing + "-list"), std::string::npos) << s.message();

  std::string cf = dir_.WriteFile("cli.cf", "domain = lmdb:" + missing + "\n");
  auto r = RunCommand({testutil::MctableBinary(), "-q", "u@example.com", "memcache:" + cf});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.err.rfind("mctable: fatal: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
}

TEST_F(FaultConfigTest, CommandReportsBadNumber) {
  std::string cf = dir_.WriteFile("ttl.cf", "ttl = 5x\n");
  auto r = RunCommand({testutil::MctableBinary(), "-q", "k", "memcache:" + cf});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "mctable: fatal: " + cf + ": bad numerical configuration: ttl = 5x\n");
  cf = dir_.WriteFile("try.cf", "max_try = 0\n");
  r = RunCommand({testutil::MctableBinary(), "-q", "k", "memcache:" + cf});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.err, "mctable: fatal: " + cf + ": invalid max_try parameter value 0 < 1\n");
}

}  // namespace
}  // namespace mctable
