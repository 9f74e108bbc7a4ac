// The memcache client against a hostile server: stalls, cut-off and
// malformed replies, error replies, retries and their pauses, refusal.
// Every fault is played by FaultServer (testutil/fault_fixture.h).
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mctable/table.h"
#include "mctable/table_registry.h"
#include "testutil/fault_fixture.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::Bound;
using testutil::CapturedWarnings;
using testutil::FaultAction;
using testutil::FaultTest;
using testutil::kSlack;
using testutil::Since;
using Then = FaultAction::Then;
using std::chrono::milliseconds;

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
  CapturedWarnings log;
  auto start = std::chrono::steady_clock::now();
  Status s = table->Update("key", "value");
  double seconds = Since(start);
  EXPECT_TRUE(s.IsTempError()) << s.ToString();
  EXPECT_EQ(server_.connections(), 2) << "SERVER_ERROR on set was not retried";
  EXPECT_EQ(log.lines(),
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
  CapturedWarnings log;
  Status s = table->Update("key", "value");
  EXPECT_TRUE(s.IsTempError()) << s.ToString();
  EXPECT_EQ(server_.connections(), 2);
  EXPECT_EQ(log.lines().size(), 1u) << log.joined();
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
  CapturedWarnings log;
  auto start = std::chrono::steady_clock::now();
  Status s = table->Delete("key");
  EXPECT_TRUE(s.IsTempError()) << s.ToString();
  EXPECT_EQ(server_.connections(), 2);
  EXPECT_EQ(log.lines().size(), 1u) << log.joined();
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
  CapturedWarnings log;
  auto start = std::chrono::steady_clock::now();
  Status s = table->Update("key", "value");
  double seconds = Since(start);
  EXPECT_TRUE(s.IsTempError()) << s.ToString();
  EXPECT_EQ(server_.connections(), 2);
  EXPECT_EQ(log.lines(), std::vector<std::string>{IoError(cf, "Connection timed out")});
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
  CapturedWarnings log;
  auto start = std::chrono::steady_clock::now();
  std::string value;
  Status s = table->Lookup("key", &value);
  EXPECT_TRUE(s.IsTempError()) << s.ToString();
  EXPECT_EQ(s.message(), "Connection refused");
  EXPECT_EQ(log.lines(),
            std::vector<std::string>{"database memcache:" + cf + ": connect to 127.0.0.1:" + std::to_string(port) +
                                     ": Connection refused"});
  EXPECT_LT(Since(start), 0.5) << "a refused connection must not be retried";
  EXPECT_TRUE(table->Update("key", "v").IsTempError());
  EXPECT_TRUE(table->Delete("key").IsTempError());
  EXPECT_LT(Since(start), 1.0);
}

}  // namespace
}  // namespace mctable
