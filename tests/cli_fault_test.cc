// The mctable command against a hostile memcache server: fatal errors
// within the time bound, no forged value printed, postmap's messages.
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
using testutil::FaultAction;
using testutil::FaultTest;
using testutil::kProcessSlack;
using testutil::kSlack;
using testutil::RunCommand;
using Then = FaultAction::Then;

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
  EXPECT_EQ(r.err, "mctable: warning: database memcache:" + cf + ": connect to 127.0.0.1:" + std::to_string(port) +
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

}  // namespace
}  // namespace mctable
