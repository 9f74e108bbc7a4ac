// proxy:TYPE:NAME against Debian's postmap 3.7, both talking to the same
// private Postfix instance (testutil/postfix_instance.h), started once for
// the suite with its own proxy_read_maps / proxy_write_maps: the same
// commands through "postmap -c DIR" and "mctable -c DIR" give the same
// stdout, exit status and stderr (with "postmap:" read as "mctable:"),
// for btree, lmdb and hash tables:
//   -q (folding, -f, -N/-n, several maps, "-q -"), -d and "-d -" (each
//   program on its own copy of the table, compared afterwards), -s and
//   build mode (both refused with postmap's message), tables not listed
//   (Postfix's DENY messages), a memcache table with backup =
//   proxy:btree:... (lookups with cache fill, first/next, deletes) and
//   with domain = proxy:btree:..., and no proxymap running (a stopped
//   instance and a queue directory without sockets: postmap's warnings
//   word for word, our retries bounded).
// Where mctable does more than postmap (-i through proxywrite, -i on a
// memcache table), the test checks postmap's refusal and our result.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "testutil/postfix_instance.h"
#include "testutil/proxy_tables.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::MemcachedServer;
using testutil::PostfixInstance;
using testutil::RunCommand;
using testutil::TempDir;

const char kSource[] =
    "alpha one\n"
    "beta two\n"
    "gamma three\n"
    "MixedCase upper\n"
    "user@example.com local\n";

const std::vector<std::string> kTypes = {"btree", "lmdb", "hash"};

// postmap's lines with "postmap:" read as "mctable:".
std::string AsMctable(std::string text) {
  for (size_t p = 0; (p = text.find("postmap: ", p)) != std::string::npos;) {
    if (p == 0 || text[p - 1] == '\n') text.replace(p, 9, "mctable: ");
    p += 9;
  }
  return text;
}

std::vector<std::string> Sorted(const std::string& text) {
  std::vector<std::string> lines = testutil::SplitLines(text);
  std::sort(lines.begin(), lines.end());
  return lines;
}

class ProxyPostmapDiffWithPostfix : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!postfix_.Prepare()) return;
    std::vector<std::string> readable, writable;
    for (const std::string& t : kTypes) {
      for (const char* name : {"q", "d_pm", "d_mc", "i"}) {
        readable.push_back(Table(name, t));
        writable.push_back(Table(name, t));
      }
      readable.push_back(Table("ro", t));
    }
    for (const char* name : {"mcq", "mcd_pm", "mcd_mc", "mci", "dom"}) {
      readable.push_back(Table(name, "btree"));
      writable.push_back(Table(name, "btree"));
    }
    std::vector<std::pair<std::string, std::string>> tables;
    for (const std::string& table : readable)
      tables.emplace_back(table, table.find("/dom_") != std::string::npos ? "example.com OK\n" : kSource);
    for (const std::string& t : kTypes) tables.emplace_back(Table("unlisted", t), kSource);
    postfix_.Start(readable, writable, tables);
  }
  static void TearDownTestSuite() { postfix_.Reset(); }

  void SetUp() override { MCTABLE_REQUIRE_SUITE_POSTFIX(postfix_); }

  // "type:MAPS/NAME_type"
  static std::string Table(const std::string& name, const std::string& type) {
    return type + ":" + postfix_->maps_dir() + "/" + name + "_" + type;
  }
  static std::string Proxy(const std::string& name, const std::string& type) {
    return "proxy:" + Table(name, type);
  }

  static CommandResult Run(const std::string& program, const std::string& config_dir,
                           std::vector<std::string> args, const std::string& input,
                           double timeout = 60) {
    std::vector<std::string> argv = {program, "-c", config_dir};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, input, timeout);
  }
  static CommandResult Postmap(std::vector<std::string> args, const std::string& input = "") {
    return Run(testutil::PostmapBinary(), postfix_->config_dir(), std::move(args), input);
  }
  static CommandResult Mctable(std::vector<std::string> args, const std::string& input = "") {
    return Run(testutil::MctableBinary(), postfix_->config_dir(), std::move(args), input);
  }

  // Runs `args` through both programs; expects the same stdout, exit status
  // and stderr.  Returns mctable's result.
  static CommandResult ExpectSame(const std::vector<std::string>& args, const std::string& input = "") {
    CommandResult theirs = Postmap(args, input);
    CommandResult ours = Mctable(args, input);
    std::string shown;
    for (const std::string& a : args) shown += " " + a;
    EXPECT_EQ(ours.out, theirs.out) << shown;
    EXPECT_EQ(ours.exit_status, theirs.exit_status) << shown << "\n" << ours.err << theirs.err;
    EXPECT_EQ(ours.err, AsMctable(theirs.err)) << shown;
    return ours;
  }

  static testutil::SuitePostfix postfix_;
};

testutil::SuitePostfix ProxyPostmapDiffWithPostfix::postfix_;

TEST_F(ProxyPostmapDiffWithPostfix, QueriesMatchPostmap) {
  for (const std::string& type : kTypes) {
    SCOPED_TRACE(type);
    const std::string table = Proxy("q", type);
    EXPECT_EQ(ExpectSame({"-q", "alpha", table}).out, "one\n");
    EXPECT_EQ(ExpectSame({"-q", "nope", table}).exit_status, 1);
    EXPECT_EQ(ExpectSame({"-q", "ALPHA", table}).out, "one\n");
    EXPECT_EQ(ExpectSame({"-q", "MIXEDCASE", table}).out, "upper\n");
    EXPECT_EQ(ExpectSame({"-f", "-q", "MIXEDCASE", table}).exit_status, 1);
    EXPECT_EQ(ExpectSame({"-q", "User@Example.COM", table}).out, "local\n");
    ExpectSame({"-N", "-q", "alpha", table});
    ExpectSame({"-n", "-q", "alpha", table});
    ExpectSame({"-q", "", table});
    EXPECT_EQ(ExpectSame({"-q", "-", table}, "alpha\nnope\nBETA\n\ngamma\n").out,
              "alpha\tone\nBETA\ttwo\ngamma\tthree\n");
    EXPECT_EQ(ExpectSame({"-q", "-", table}, "nope\nnada\n").exit_status, 1);
  }
  // Several maps: the first that has the key answers; one connection each.
  EXPECT_EQ(ExpectSame({"-q", "beta", Proxy("q", "lmdb"), Proxy("q", "btree")}).out, "two\n");
  EXPECT_EQ(ExpectSame({"-q", "-", Proxy("q", "hash"), Proxy("q", "btree")}, "gamma\nalpha\n").out,
            "gamma\tthree\nalpha\tone\n");
}

TEST_F(ProxyPostmapDiffWithPostfix, SequenceAndBuildAreRefusedAsByPostmap) {
  for (const std::string& type : kTypes) {
    SCOPED_TRACE(type);
    CommandResult dump = ExpectSame({"-s", Proxy("q", type)});
    EXPECT_EQ(dump.exit_status, 1);
    EXPECT_EQ(dump.err, "mctable: fatal: can't sequence maps via the proxy service\n");
    CommandResult build = ExpectSame({Proxy("q", type)});
    EXPECT_EQ(build.exit_status, 1);
    EXPECT_EQ(build.err, "mctable: fatal: can't create maps via the proxy service\n");
  }
}

TEST_F(ProxyPostmapDiffWithPostfix, DeletesMatchPostmap) {
  for (const std::string& type : kTypes) {
    SCOPED_TRACE(type);
    // Each program deletes from its own copy; the copies must end equal.
    const std::string theirs = Proxy("d_pm", type), ours = Proxy("d_mc", type);
    auto both = [&](std::vector<std::string> args, const std::string& input = "") {
      std::vector<std::string> pm_args = args, mc_args = args;
      pm_args.push_back(theirs);
      mc_args.push_back(ours);
      CommandResult p = Postmap(pm_args, input), m = Mctable(mc_args, input);
      EXPECT_EQ(m.out, p.out);
      EXPECT_EQ(m.exit_status, p.exit_status) << m.err << p.err;
      EXPECT_EQ(m.err, AsMctable(p.err));
      return m.exit_status;
    };
    EXPECT_EQ(both({"-d", "alpha"}), 0);
    EXPECT_EQ(both({"-d", "alpha"}), 1);
    EXPECT_EQ(both({"-d", "MIXEDCASE"}), 0);
    EXPECT_EQ(both({"-d", "-"}, "BETA\nnope\n"), 0);
    EXPECT_EQ(both({"-d", "-"}, "nope\n"), 1);
    // What is left, read directly (not through proxymap).
    CommandResult left_theirs = Postmap({"-s", Table("d_pm", type)});
    CommandResult left_ours = Postmap({"-s", Table("d_mc", type)});
    EXPECT_EQ(Sorted(left_ours.out), Sorted(left_theirs.out));
    EXPECT_EQ(Sorted(left_ours.out),
              (std::vector<std::string>{"gamma\tthree", "user@example.com\tlocal"}));
  }
}

TEST_F(ProxyPostmapDiffWithPostfix, TablesNotListedAreDeniedWithPostfixsMessage) {
  for (const std::string& type : kTypes) {
    SCOPED_TRACE(type);
    const std::string unlisted = Table("unlisted", type);
    CommandResult read = ExpectSame({"-q", "alpha", "proxy:" + unlisted});
    EXPECT_EQ(read.exit_status, 1);
    EXPECT_EQ(read.err, "mctable: fatal: proxymap service is not configured for table \"" +
                            unlisted + "\"\n");
    // Listed for reading only: deleting goes to proxywrite, which refuses.
    const std::string read_only = Table("ro", type);
    EXPECT_EQ(ExpectSame({"-q", "alpha", "proxy:" + read_only}).out, "one\n");
    CommandResult write = ExpectSame({"-d", "alpha", "proxy:" + read_only});
    EXPECT_EQ(write.exit_status, 1);
    EXPECT_EQ(write.err, "mctable: fatal: proxywrite service is not configured for table \"" +
                             read_only + "\"\n");
  }
  // Postfix's server logs how to fix it.
  EXPECT_NE(postfix_->Log().find("to approve this table for read-only access, list proxy:" +
                                 Table("unlisted", "btree") + " in main.cf:proxy_read_maps"),
            std::string::npos);
}

TEST_F(ProxyPostmapDiffWithPostfix, IncrementalLoadGoesThroughProxywrite) {
  for (const std::string& type : kTypes) {
    SCOPED_TRACE(type);
    const std::string table = Proxy("i", type);
    const std::string input = "new1 value1\nNew2 value two\nalpha replaced\n";
    // postmap 3.7 cannot; mctable sends each record to proxywrite (which
    // replaces duplicates: proxymap forces DICT_FLAG_DUP_REPLACE).
    CommandResult refused = Postmap({"-i", table}, input);
    EXPECT_EQ(refused.exit_status, 1);
    EXPECT_EQ(refused.err,
              "postmap: fatal: unsupported dictionary type: proxy does not support bulk-mode creation.\n");
    CommandResult loaded = Mctable({"-i", table}, input);
    EXPECT_EQ(loaded.exit_status, 0) << loaded.err;
    EXPECT_EQ(loaded.err, "");
    EXPECT_EQ(Postmap({"-q", "new1", table}).out, "value1\n");
    EXPECT_EQ(Postmap({"-q", "new2", table}).out, "value two\n");
    EXPECT_EQ(Postmap({"-q", "alpha", table}).out, "replaced\n");
    EXPECT_EQ(Postmap({"-q", "beta", table}).out, "two\n");
  }
}

// memcached as the cache in front of proxy:btree:..., the page's shared
// postscreen cache setup.
TEST_F(ProxyPostmapDiffWithPostfix, MemcacheWithProxyBackupMatchesPostmap) {
  MemcachedServer memcached;
  if (!memcached.Start()) GTEST_SKIP() << "cannot run memcached: " << memcached.error();
  TempDir dir;
  auto config = [&](const std::string& name, const std::string& backup) {
    return dir.WriteFile(name, "memcache = " + memcached.endpoint() + "\nbackup = proxy:" + backup +
                                   "\nkey_format = t:%s\n");
  };
  const std::string cf = "memcache:" + config("q.cf", Table("mcq", "btree"));
  for (const char* program : {"postmap", "mctable"}) {
    SCOPED_TRACE(program);
    memcached.RawCommand("flush_all\r\n", "OK\r\n");
    auto run = [&](std::vector<std::string> args, const std::string& input = "") {
      return std::string(program) == "postmap" ? Postmap(args, input) : Mctable(args, input);
    };
    CommandResult hit = run({"-q", "ALPHA", cf});
    EXPECT_EQ(hit.out, "one\n");
    EXPECT_EQ(hit.exit_status, 0) << hit.err;
    bool found = false;
    EXPECT_EQ(memcached.Get("t:alpha", &found), "one");  // the cache fill
    EXPECT_TRUE(found);
    EXPECT_EQ(run({"-q", "nope", cf}).exit_status, 1);
    EXPECT_FALSE((memcached.Get("t:nope", &found), found));
  }
  ExpectSame({"-q", "-", cf}, "beta\nnope\ngamma\nuser@example.com\n");
  // First/next is the backup's, through proxymap (only "postmap -s proxy:"
  // itself is refused).
  CommandResult dump = ExpectSame({"-s", cf});
  EXPECT_EQ(Sorted(dump.out).size(), 5u) << dump.out;

  // Deletes: memcached and the backup, each program on its own backup.
  const std::string cf_pm = "memcache:" + config("d_pm.cf", Table("mcd_pm", "btree"));
  const std::string cf_mc = "memcache:" + config("d_mc.cf", Table("mcd_mc", "btree"));
  memcached.Set("t:alpha", "cached");
  CommandResult p = Postmap({"-d", "alpha", cf_pm});
  bool found = true;
  memcached.Get("t:alpha", &found);
  EXPECT_FALSE(found);
  memcached.Set("t:alpha", "cached");
  CommandResult m = Mctable({"-d", "alpha", cf_mc});
  EXPECT_EQ(m.exit_status, p.exit_status);
  EXPECT_EQ(m.exit_status, 0) << m.err;
  EXPECT_EQ(m.err, AsMctable(p.err));
  memcached.Get("t:alpha", &found);
  EXPECT_FALSE(found);
  EXPECT_EQ(Postmap({"-q", "alpha", Table("mcd_pm", "btree")}).exit_status, 1);
  EXPECT_EQ(Postmap({"-q", "alpha", Table("mcd_mc", "btree")}).exit_status, 1);

  // -i: postmap 3.7 refuses memcache; mctable updates memcached and, through
  // proxywrite, the backup.
  const std::string cf_i = "memcache:" + config("i.cf", Table("mci", "btree"));
  EXPECT_EQ(Postmap({"-i", cf_i}, "k1 v1\n").exit_status, 1);
  CommandResult loaded = Mctable({"-i", cf_i}, "k1 v1\nK2 v2\n");
  EXPECT_EQ(loaded.exit_status, 0) << loaded.err;
  EXPECT_EQ(memcached.Get("t:k1", &found), "v1");
  EXPECT_EQ(memcached.Get("t:k2", &found), "v2");
  EXPECT_EQ(Postmap({"-q", "k2", Table("mci", "btree")}).out, "v2\n");
}

TEST_F(ProxyPostmapDiffWithPostfix, DomainListThroughProxy) {
  MemcachedServer memcached;
  if (!memcached.Start()) GTEST_SKIP() << "cannot run memcached: " << memcached.error();
  TempDir dir;
  const std::string cf = "memcache:" + dir.WriteFile("dom.cf", "memcache = " + memcached.endpoint() +
                                                               "\ndomain = proxy:" + Table("dom", "btree") +
                                                               "\nkey_format = d:%s\n");
  memcached.Set("d:user@example.com", "listed");
  memcached.Set("d:user@other.org", "unlisted");
  EXPECT_EQ(ExpectSame({"-q", "user@example.com", cf}).out, "listed\n");
  EXPECT_EQ(ExpectSame({"-q", "User@EXAMPLE.com", cf}).out, "listed\n");
  EXPECT_EQ(ExpectSame({"-q", "user@other.org", cf}).exit_status, 1);
  EXPECT_EQ(ExpectSame({"-q", "-", cf}, "user@other.org\nuser@example.com\nexample.com\n").out,
            "user@example.com\tlisted\n");
}

// postmap (3.7.11, measured): with no proxymap it makes 11 connection
// attempts 10 s apart, a warning for each of the first 10, then the fatal
// error: 102.6 s, exit status 1.  mctable makes 3, 1 s apart, with the same
// words.  Both cases: the socket is missing (ENOENT: no instance ever ran
// there), and a stopped instance left its socket behind (ECONNREFUSED).
TEST_F(ProxyPostmapDiffWithPostfix, NoProxymapRunning) {
  PostfixInstance stopped;
  ASSERT_TRUE(stopped.Start()) << stopped.error();
  ASSERT_TRUE(stopped.Stop()) << stopped.error();
  TempDir never;
  never.WriteFile("main.cf", "queue_directory = " + never.path() + "/queue\n");
  struct Case {
    std::string config_dir, socket, reason;
  };
  for (const Case& c : {Case{stopped.config_dir(), stopped.queue_directory() + "/private/proxymap",
                             "Connection refused"},
                        Case{never.path(), never.path() + "/queue/private/proxymap",
                             "No such file or directory"}}) {
    SCOPED_TRACE(c.reason);
    const std::string table = "proxy:btree:" + postfix_->maps_dir() + "/q_btree";
    // postmap's first warning comes at once; 3 s is enough to see it, and
    // its full 100 s are not worth waiting for in every run.
    CommandResult theirs = Run(testutil::PostmapBinary(), c.config_dir, {"-q", "alpha", table}, "", 3);
    CommandResult ours = Run(testutil::MctableBinary(), c.config_dir, {"-q", "alpha", table}, "", 30);
    std::printf("no proxymap (%s): mctable gave up after %.2f s (exit %d)\n", c.reason.c_str(),
                ours.seconds, ours.exit_status);
    const std::string first = "connect #1 to subsystem " + c.socket + ": " + c.reason;
    EXPECT_EQ(testutil::SplitLines(theirs.err).at(0), "postmap: warning: " + first);
    EXPECT_EQ(ours.out, "");
    EXPECT_EQ(ours.exit_status, 1);
    EXPECT_EQ(ours.err, "mctable: warning: " + first + "\n" +
                            "mctable: warning: connect #2 to subsystem " + c.socket + ": " + c.reason + "\n" +
                            "mctable: fatal: table " + table + ": connect #3 to subsystem " +
                            c.socket + ": " + c.reason + "\n");
    EXPECT_GE(ours.seconds, 2.0);   // two pauses of 1 s
    EXPECT_LT(ours.seconds, 2.0 + 3.0);  // and no more than process starts
  }
}

}  // namespace
}  // namespace mctable
