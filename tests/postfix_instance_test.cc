// The private Postfix instance of the tests (testutil/postfix_instance.h):
// it starts, its proxymap answers Debian's postmap, a reload brings a newly
// listed table in, and it stops, its master gone, bounded in time.
#include "testutil/postfix_instance.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::PostfixInstance;
using testutil::RunCommand;

// The greeting a proxymap server sends on connect (Postfix 3.x).
std::string ReadGreeting(const std::string& socket_path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::strncpy(sun.sun_path, socket_path.c_str(), sizeof(sun.sun_path) - 1);
  std::string got;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0) {
    char buf[256];
    while (got.size() < 2 || got.compare(got.size() - 2, 2, std::string(2, '\0')) != 0) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return got;
}

TEST(PostfixInstanceTest, StartsServesReloadsAndStops) {
  if (std::string why = PostfixInstance::Unavailable(); !why.empty()) GTEST_SKIP() << why;
  const std::string postmap = testutil::PostmapBinary();
  if (postmap.empty()) GTEST_SKIP() << "postmap is not installed (apt-get install postfix)";

  PostfixInstance postfix;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(postfix.Start()) << postfix.error();
  double start_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("postfix start: %.2f s\n", start_seconds);
  pid_t master = postfix.master_pid();
  ASSERT_GT(master, 1);
  EXPECT_EQ(::kill(master, 0), 0);
  EXPECT_EQ(ReadGreeting(postfix.queue_directory() + "/private/proxymap"),
            std::string("protocol\0proxymap_protocol\0\0", 28));

  // A table postmap reads through this instance's proxymap, once listed.
  const std::string table = postfix.maps_dir() + "/t";
  {
    std::ofstream(table) << "alpha one\n";
  }
  CommandResult built = RunCommand({postmap, "-c", postfix.config_dir(), "lmdb:" + table});
  ASSERT_EQ(built.exit_status, 0) << built.err;
  CommandResult denied =
      RunCommand({postmap, "-c", postfix.config_dir(), "-q", "alpha", "proxy:lmdb:" + table});
  EXPECT_EQ(denied.exit_status, 1);
  EXPECT_NE(denied.err.find("proxymap service is not configured for table"), std::string::npos)
      << denied.err;
  ASSERT_TRUE(postfix.Reload({{"proxy_read_maps", "proxy:lmdb:" + table}})) << postfix.error();
  CommandResult found =
      RunCommand({postmap, "-c", postfix.config_dir(), "-q", "alpha", "proxy:lmdb:" + table});
  EXPECT_EQ(found.exit_status, 0) << found.err;
  EXPECT_EQ(found.out, "one\n");

  // The log is the instance's own file, written by postlogd.
  EXPECT_NE(postfix.Log().find("starting the Postfix mail system"), std::string::npos)
      << postfix.Log();

  start = std::chrono::steady_clock::now();
  EXPECT_TRUE(postfix.Stop()) << postfix.error();
  double stop_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("postfix stop: %.2f s\n", stop_seconds);
  EXPECT_LT(stop_seconds, 20 + 5 + 1);
  EXPECT_FALSE(postfix.running());
  // Gone (or a zombie nobody reaps, which Stop() counts as gone).
  bool gone = ::kill(master, 0) != 0 ||
              testutil::ReadFileOrDie("/proc/" + std::to_string(master) + "/stat").find(") Z") !=
                  std::string::npos;
  EXPECT_TRUE(gone);
}

}  // namespace
}  // namespace mctable
