// Progress lines on a terminal (cli/progress.h): a run longer than 2 s
// shows them when stderr is a pseudo-terminal, and erases them at the end;
// into a pipe the same run writes exactly what it wrote before (nothing).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::TempDir;

std::string Lines(int from, int to) {
  std::string text;
  for (int i = from; i < to; ++i) text += "key" + std::to_string(i) + " value" + std::to_string(i) + "\n";
  return text;
}

// Runs `mctable -c DIR -i lmdb:TABLE` with stdin a pipe and stderr (and
// stdout) a pseudo-terminal; writes `first`, waits `pause`, writes `second`,
// and returns all the terminal saw and the exit status.
std::string RunUnderPty(const TempDir& dir, const std::string& table, const std::string& first,
                        std::chrono::milliseconds pause, const std::string& second, int* exit_status) {
  int input[2];
  if (::pipe(input) != 0) return "pipe failed";
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) return "forkpty failed";
  if (pid == 0) {
    ::dup2(input[0], STDIN_FILENO);
    ::close(input[0]);
    ::close(input[1]);
    std::string binary = testutil::MctableBinary();
    ::execl(binary.c_str(), binary.c_str(), "-c", dir.path().c_str(), "-i", table.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(input[0]);
  std::string seen;
  auto drain = [&](int ms) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < until) {
      pollfd p{master, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) return false;  // EIO: the child closed the terminal
      seen.append(buf, n);
    }
    return true;
  };
  (void)!::write(input[1], first.data(), first.size());
  drain(static_cast<int>(pause.count()));
  (void)!::write(input[1], second.data(), second.size());
  ::close(input[1]);
  drain(10000);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return seen;
}

TEST(ProgressTty, ShownOnATerminalAfterTwoSecondsAndErased) {
  TempDir dir;
  dir.WriteFile("main.cf", "");
  std::string table = "lmdb:" + dir.path() + "/slow";
  int exit_status = -1;
  std::string seen = RunUnderPty(dir, table, Lines(0, 10), std::chrono::milliseconds(2500), Lines(10, 20),
                                 &exit_status);
  EXPECT_EQ(exit_status, 0) << seen;
  // The 10th entry is complete only when the 11th line shows it has no
  // continuation, after the pause: the first update past 2 s.
  EXPECT_NE(seen.find("\rmctable: -i " + table + ": 10 entries, "), std::string::npos) << seen;
  // The last thing written erases the line: the screen is as without it.
  ASSERT_GE(seen.size(), 4u);
  EXPECT_EQ(seen.substr(seen.size() - 4), "\r\033[K") << seen;
}

TEST(ProgressTty, QuickRunOnATerminalShowsNothing) {
  TempDir dir;
  dir.WriteFile("main.cf", "");
  int exit_status = -1;
  std::string seen = RunUnderPty(dir, "lmdb:" + dir.path() + "/quick", Lines(0, 10),
                                 std::chrono::milliseconds(0), Lines(10, 20), &exit_status);
  EXPECT_EQ(exit_status, 0);
  EXPECT_EQ(seen, "");
}

TEST(ProgressTty, PipesGetNothingNew) {
  // The same slow run with stderr a pipe: nothing on stderr, as before.
  TempDir dir;
  dir.WriteFile("main.cf", "");
  std::string table = "lmdb:" + dir.path() + "/piped";
  testutil::CommandResult r =
      testutil::RunCommand({"/bin/sh", "-c",
                            "{ printf '" + Lines(0, 3) + "'; sleep 2.5; printf '" + Lines(3, 6) + "'; } | " +
                                testutil::MctableBinary() + " -c " + dir.path() + " -i " + table});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

}  // namespace
}  // namespace mctable
