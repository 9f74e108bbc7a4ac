// CRLF line endings in standard input: -q -, -d - and -i read "key\r\n" as
// "key\n", like a source file.  postmap strips the CR only where it is
// whitespace (-i values, source files); in -q - and -d - it keeps it in the
// key and finds nothing (docs/postfix-differences.md), which these tests
// keep checking so that the documented difference stays true.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::RunCommand;
using testutil::TempDir;

class CrlfInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::HaveTableType("lmdb")) GTEST_SKIP() << "lmdb is not built in";
    config_.WriteFile("main.cf", "");
  }
  CommandResult Run(const std::string& program, std::vector<std::string> args,
                    const std::string& input = "") {
    args.insert(args.begin(), {program, "-c", config_.path()});
    return RunCommand(args, input);
  }
  std::string Build(const std::string& program, const std::string& name) {
    std::string map = "lmdb:" + work_.WriteFile(name, "alice v1\nbob v2\n");
    CommandResult built = Run(program, {map});
    EXPECT_EQ(built.exit_status, 0) << built.err;
    return map;
  }
  TempDir config_, work_;
  std::string mctable_ = testutil::MctableBinary();
  std::string postmap_ = testutil::PostmapBinary();
};

TEST_F(CrlfInputTest, QueryDeleteAndLoadReadCrlfAsLf) {
  std::string map = Build(mctable_, "ours");
  CommandResult found = Run(mctable_, {"-q", "-", map}, "alice\r\nnobody\r\nbob\r\n");
  EXPECT_EQ(found.exit_status, 0) << found.err;
  EXPECT_EQ(found.out, "alice\tv1\nbob\tv2\n");
  CommandResult loaded = Run(mctable_, {"-i", map}, "carol v3\r\ndave   v4 \r\n");
  EXPECT_EQ(loaded.exit_status, 0) << loaded.err;
  CommandResult deleted = Run(mctable_, {"-d", "-", map}, "alice\r\n");
  EXPECT_EQ(deleted.exit_status, 0) << deleted.err;
  EXPECT_EQ(Run(mctable_, {"-s", map}).out, "bob\tv2\ncarol\tv3\ndave\tv4\n");
}

TEST_F(CrlfInputTest, PostmapDiffersOnlyInQueryAndDelete) {
  if (postmap_.empty()) GTEST_SKIP() << "Debian's postmap is not installed (apt-get install postfix)";
  std::string theirs = Build(postmap_, "theirs");
  std::string ours = Build(mctable_, "ours");
  // -i, and a source file with CRLF endings: the same tables.
  const std::string entries = "carol v3\r\ndave   v4 \r\nlonely\r\n";
  CommandResult t = Run(postmap_, {"-i", theirs}, entries);
  CommandResult o = Run(mctable_, {"-i", ours}, entries);
  // The line without a value is skipped by both; postmap exits 0, mctable
  // 1 with a summary (-i's one rule for skipped entries, mctable(1)).
  EXPECT_EQ(t.exit_status, 0) << t.err;
  EXPECT_EQ(o.exit_status, 1) << o.err;
  EXPECT_NE(o.err.find("1 of 3 entries from stdin were not stored"), std::string::npos) << o.err;
  EXPECT_EQ(Run(mctable_, {"-s", ours}).out, Run(postmap_, {"-s", theirs}).out);
  std::string crlf_source = work_.WriteFile("crlf", "e v5\r\nf\r\n  g\r\n");
  t = Run(postmap_, {"lmdb:" + crlf_source});
  EXPECT_EQ(Run(postmap_, {"-s", "lmdb:" + crlf_source}).out, "e\tv5\nf\tg\n");
  o = Run(mctable_, {"lmdb:" + crlf_source});
  EXPECT_EQ(o.exit_status, t.exit_status);
  EXPECT_EQ(Run(mctable_, {"-s", "lmdb:" + crlf_source}).out, "e\tv5\nf\tg\n");
  // -q - and -d -: postmap looks up "alice\r" and finds nothing.
  t = Run(postmap_, {"-q", "-", theirs}, "alice\r\n");
  EXPECT_EQ(t.exit_status, 1) << "postmap now strips CR in -q -: update docs/postfix-differences.md";
  t = Run(postmap_, {"-d", "-", theirs}, "alice\r\n");
  EXPECT_EQ(t.exit_status, 1) << "postmap now strips CR in -d -: update docs/postfix-differences.md";
}

TEST_F(CrlfInputTest, MemcacheKeysFromCrlfInput) {
  testutil::MemcachedServer server;
  if (!server.Start()) GTEST_SKIP() << "cannot run memcached: " << server.error();
  server.Set("alice", "v1");
  std::string cf = work_.WriteFile("mc.cf", "memcache = " + server.endpoint() + "\n");
  CommandResult got = Run(mctable_, {"-q", "-", "memcache:" + cf}, "alice\r\n");
  EXPECT_EQ(got.out, "alice\tv1\n") << got.err;
  CommandResult loaded = Run(mctable_, {"-i", "memcache:" + cf}, "bob v2\r\n");
  EXPECT_EQ(loaded.exit_status, 0) << loaded.err;
  bool found = false;
  EXPECT_EQ(server.Get("bob", &found), "v2");
  EXPECT_TRUE(found);
  // A CR inside a key cannot be sent; the reason says what it is.
  got = Run(mctable_, {"-v", "-q", "al\rice", "memcache:" + cf});
  EXPECT_EQ(got.exit_status, 1);
  EXPECT_NE(got.err.find("skipping lookup for name \"al\\x0dice\": name contains carriage return"),
            std::string::npos)
      << got.err;
}

}  // namespace
}  // namespace mctable
