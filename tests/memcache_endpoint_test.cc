// Where the memcache table connects: an IPv6 address without brackets, as
// Postfix accepts it (inet:::1:PORT), against a real memcached on ::1; and
// a host name resolved once per table open, not on every try.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testutil/fault_server.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::CountOccurrences;
using testutil::RunCommand;
using testutil::TempDir;

TEST(MemcacheEndpointTest, Ipv6AddressWithoutBrackets) {
  if (!testutil::HaveIpv6Loopback())
    GTEST_SKIP() << "this machine has no IPv6 loopback address (::1) to listen on";
  testutil::MemcachedServer::Options options;
  options.ipv6 = true;
  testutil::MemcachedServer server(options);
  if (!server.Start()) GTEST_SKIP() << "cannot run memcached on [::1]: " << server.error();
  server.Set("k6", "v6");
  TempDir dir;
  dir.WriteFile("main.cf", "");
  std::string cf = dir.WriteFile("mc.cf", "memcache = inet:::1:" + std::to_string(server.port()) + "\n");
  CommandResult ours = RunCommand({testutil::MctableBinary(), "-c", dir.path(), "-q", "k6", "memcache:" + cf});
  EXPECT_EQ(ours.exit_status, 0) << ours.err;
  EXPECT_EQ(ours.out, "v6\n");
  CommandResult stored = RunCommand({testutil::MctableBinary(), "-c", dir.path(), "-i", "memcache:" + cf},
                                    "new v-new\n");
  EXPECT_EQ(stored.exit_status, 0) << stored.err;
  bool found = false;
  EXPECT_EQ(server.Get("new", &found), "v-new");
  std::string postmap = testutil::PostmapBinary();
  if (postmap.empty()) return;  // the comparison needs Debian's postmap
  CommandResult theirs = RunCommand({postmap, "-c", dir.path(), "-q", "k6", "memcache:" + cf});
  EXPECT_EQ(ours.out, theirs.out) << theirs.err;
  EXPECT_EQ(ours.exit_status, theirs.exit_status);
}

// Three tries of one lookup, each on a new connection (the first two get
// garbage and are closed): the name is looked up once.
TEST(MemcacheEndpointTest, HostNameIsResolvedOncePerOpen) {
  testutil::FaultServer server;
  ASSERT_TRUE(server.ok());
  server.Script(testutil::FaultAction::Reply("garbage\r\n"), 2);
  server.Put("k", "v");
  TempDir dir;
  dir.WriteFile("main.cf", "");
  const std::string host_port = "localhost:" + std::to_string(server.port());
  std::string cf = dir.WriteFile("mc.cf", "memcache = inet:" + host_port +
                                              "\nmax_try = 3\nretry_pause = 1\ntimeout = 5\n");
  CommandResult got = RunCommand({testutil::MctableBinary(), "-v", "-c", dir.path(), "-q", "k", "memcache:" + cf});
  EXPECT_EQ(got.out, "v\n") << got.err;
  EXPECT_EQ(server.connections(), 3) << got.err;
  EXPECT_EQ(CountOccurrences(got.err, "resolved " + host_port + " to "), 1) << got.err;
}

}  // namespace
}  // namespace mctable
