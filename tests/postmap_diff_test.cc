// Differential test: the same scenarios through Debian's postmap and
// through mctable, against one real memcached reset to the same contents
// before each run; stdout and exit status must be identical.
//
// The cases where Postfix 3.7 is wrong, and mctable deliberately differs,
// are listed in kPostfixDiffers below (and in docs/postfix-differences.md):
// for those, mctable's own expected result is asserted instead.
//
// Nothing is installed here: without /usr/sbin/postmap the test says so
// and skips.  CI installs postfix and postfix-lmdb.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::MemcachedServer;
using testutil::RunCommand;
using testutil::TempDir;

struct Scenario {
  const char* name;
  std::vector<std::pair<std::string, std::string>> memcached;  // preloaded raw keys
  std::string config;   // table file contents after the memcache line ("SERVER": the memcached)
  std::vector<std::string> args;  // before the map names; "MAP" is replaced by the table
  std::string input;    // stdin
};

// Postfix 3.7 behaviour we do not copy.  Each entry: scenario name, why,
// and what mctable does instead.
struct Difference {
  const char* scenario;
  const char* why;
  const char* mctable_stdout;
  int mctable_status;
};

const Difference kPostfixDiffers[] = {
    {"control_character_key",
     "Postfix 3.7 sends a key with control characters to memcached (get x\\x01y); newer Postfix "
     "and mctable skip it as not found",
     "", 1},
    {"bulk_load",
     "postmap -i refuses memcache tables (\"does not support bulk-mode creation\"); mctable "
     "stores the entries",
     "", 0},
    {"server_list",
     "Postfix's client takes one server (a list is fatal: \"valid hostname or network address "
     "required\"); mctable spreads the table over the servers of the list",
     "one\n", 0},
};

const Difference* FindDifference(const std::string& name) {
  for (const Difference& d : kPostfixDiffers)
    if (name == d.scenario) return &d;
  return nullptr;
}

std::vector<Scenario> Scenarios() {
  const std::vector<std::pair<std::string, std::string>> data = {
      {"user1@example.com", "one"},     {"user2@example.com", "two"},
      {"t:user1@example.com", "t-one"}, {"mail", "from-label"},
      {"x\x01y", "control"},            {"example.com", "domain-value"},
      {"p:joe.example", "joe-parts"},   {"big", std::string(20000, 'b')},
      {"com", "label-com"},
  };
  return {
      {"hit", data, "", {"-q", "user1@example.com"}, ""},
      {"miss", data, "", {"-q", "nobody@example.com"}, ""},
      {"folded", data, "", {"-q", "User2@Example.COM"}, ""},
      {"not_folded", data, "", {"-f", "-q", "User2@Example.COM"}, ""},
      {"key_format", data, "key_format = t:%s\n", {"-q", "USER1@example.com"}, ""},
      {"key_format_parts", data, "key_format = p:%u.%2\n", {"-q", "Joe@mail.Example.com"}, ""},
      {"key_format_domain", data, "key_format = %d\n", {"-q", "anyone@example.com"}, ""},
      {"key_format_domain_missing", data, "key_format = %d\n", {"-q", "example.com"}, ""},
      {"key_format_labels_short", data, "key_format = %3\n", {"-q", "u@example.com"}, ""},
      {"key_format_user_empty", data, "key_format = %u\n", {"-q", "@example.com"}, ""},
      {"domain_match", data, "domain = example.com, example.org\n", {"-q", "user1@EXAMPLE.com"}, ""},
      {"domain_mismatch", data, "domain = example.org\n", {"-q", "user1@example.com"}, ""},
      {"domain_bare_key", data, "domain = example.com\n", {"-q", "example.com"}, ""},
      {"domain_no_parent_match", data, "domain = com\n", {"-q", "user1@example.com"}, ""},
      {"space_in_key", data, "", {"-q", "user1 @example.com"}, ""},
      {"batch", data, "",
       {"-q", "-"},
       "user1@example.com\nnobody\n\nUSER2@example.com\n  user1@example.com\n#x\nuser1@example.com\n"},
      {"batch_none_found", data, "", {"-q", "-"}, "a\nb\n"},
      {"batch_key_format", data, "key_format = t:%s\n", {"-q", "-"}, "user1@example.com\nuser2@example.com\n"},
      {"second_map", data, "", {"-q", "extra", "MAP", "inline:{extra=from-inline}"}, ""},
      {"first_map_wins", data, "", {"-q", "user1@example.com", "MAP", "inline:{user1@example.com=x}"}, ""},
      {"dump_without_backup", data, "", {"-s"}, ""},
      {"delete_present", data, "", {"-d", "user1@example.com"}, ""},
      {"delete_absent", data, "", {"-d", "nobody@example.com"}, ""},
      {"delete_batch", data, "", {"-d", "-"}, "nobody\nuser2@example.com\n"},
      {"value_too_big", data, "max_try = 1\n", {"-q", "big"}, ""},
      {"bad_number", data, "ttl = 5x\n", {"-q", "user1@example.com"}, ""},
      {"bad_range", data, "max_try = 0\n", {"-q", "user1@example.com"}, ""},
      {"bad_template", data, "key_format = %x\n", {"-q", "user1@example.com"}, ""},
      {"control_character_key", data, "", {"-q", "x\x01y"}, ""},
      // Empty labels are dropped: %3 of u@mail..example.com is "mail".
      {"empty_domain_label", data, "key_format = %3\n", {"-q", "u@mail..example.com"}, ""},
      {"empty_domain_labels_short", data, "key_format = %3\n", {"-q", "u@.example.com.."}, ""},
      {"absolute_domain", data, "key_format = %1\n", {"-q", "u@example.com."}, ""},
      {"absolute_domain_labels", data, "key_format = %2.%1\n", {"-q", "u@mail.example.com."}, ""},
      {"bulk_load", data, "", {"-i"}, "new1 v1\nnew2 v2\n"},
      // The same memcached twice under two names: every key is found whichever it lands on.
      {"server_list", data, "memcache = SERVER, { SERVER name=second }\n", {"-q", "user1@example.com"}, ""},
  };
}

class PostmapDiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    postmap_ = testutil::PostmapBinary();
    if (postmap_.empty()) GTEST_SKIP() << "Debian's postmap is not installed (apt-get install postfix)";
    if (!server_.Start()) GTEST_SKIP() << "cannot run memcached: " << server_.error();
    dir_.WriteFile("main.cf", "");
  }

  void Reset(const Scenario& s) {
    server_.RawCommand("flush_all\r\n", "OK\r\n");
    for (const auto& [k, v] : s.memcached) server_.Set(k, v);
  }

  CommandResult Run(const std::string& program, const Scenario& s) {
    std::string config = s.config;  // "SERVER" stands for the test's memcached
    for (size_t at; (at = config.find("SERVER")) != std::string::npos;)
      config.replace(at, 6, server_.endpoint());
    std::string cf = dir_.WriteFile("table.cf", "memcache = " + server_.endpoint() + "\n" + config);
    std::string map = "memcache:" + cf;
    std::vector<std::string> argv = {program, "-c", dir_.path()};
    bool placed = false;
    for (const std::string& a : s.args) {
      if (a == "MAP") {
        argv.push_back(map);
        placed = true;
      } else {
        argv.push_back(a);
      }
    }
    if (!placed) argv.push_back(map);
    Reset(s);
    return RunCommand(argv, s.input, 30);
  }

  std::string postmap_;
  MemcachedServer server_;
  TempDir dir_;
};

TEST_F(PostmapDiffTest, SameOutputAndStatus) {
  int compared = 0, differing = 0;
  for (const Scenario& s : Scenarios()) {
    CommandResult theirs = Run(postmap_, s);
    CommandResult ours = Run(testutil::MctableBinary(), s);
    if (const Difference* d = FindDifference(s.name)) {
      ++differing;
      EXPECT_EQ(ours.out, d->mctable_stdout) << s.name << ": " << d->why << "\n" << ours.err;
      EXPECT_EQ(ours.exit_status, d->mctable_status) << s.name << ": " << d->why << "\n" << ours.err;
      // Keep the list honest: a listed difference must still be one.
      EXPECT_TRUE(theirs.out != ours.out || theirs.exit_status != ours.exit_status)
          << s.name << " is listed as a difference but postmap now agrees";
      continue;
    }
    ++compared;
    EXPECT_EQ(ours.out, theirs.out) << s.name << "\npostmap stderr: " << theirs.err
                                    << "\nmctable stderr: " << ours.err;
    EXPECT_EQ(ours.exit_status, theirs.exit_status)
        << s.name << "\npostmap stderr: " << theirs.err << "\nmctable stderr: " << ours.err;
    // Both fail, or both do not, and a failure says "fatal:".
    EXPECT_EQ(ours.err.find("fatal:") != std::string::npos,
              theirs.err.find("fatal:") != std::string::npos)
        << s.name << "\npostmap stderr: " << theirs.err << "\nmctable stderr: " << ours.err;
  }
  std::printf("[ differential ] %d scenarios identical to postmap, %d documented differences\n",
              compared, differing);
}

// A table named without "/" or "." takes NAME_param from main.cf, with
// main.cf's $name expansion.
TEST_F(PostmapDiffTest, ParametersFromMainCf) {
  dir_.WriteFile("main.cf", "prefix = t\nmc_memcache = " + server_.endpoint() +
                                "\nmc_key_format = ${prefix}:%s\nmc_max_try = 1\n");
  server_.RawCommand("flush_all\r\n", "OK\r\n");
  server_.Set("t:user1@example.com", "from-main-cf");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"-q", "User1@example.com"}, std::vector<std::string>{"-q", "other"}}) {
    std::vector<std::string> theirs_argv = {postmap_, "-c", dir_.path()}, ours_argv = {testutil::MctableBinary(), "-c", dir_.path()};
    for (const auto& a : args) {
      theirs_argv.push_back(a);
      ours_argv.push_back(a);
    }
    theirs_argv.push_back("memcache:mc");
    ours_argv.push_back("memcache:mc");
    CommandResult theirs = RunCommand(theirs_argv);
    CommandResult ours = RunCommand(ours_argv);
    EXPECT_EQ(ours.out, theirs.out) << theirs.err << "\n" << ours.err;
    EXPECT_EQ(ours.exit_status, theirs.exit_status) << theirs.err << "\n" << ours.err;
  }
  CommandResult found = RunCommand({testutil::MctableBinary(), "-c", dir_.path(), "-q", "user1@example.com", "memcache:mc"});
  EXPECT_EQ(found.out, "from-main-cf\n");
  // A bad value is reported with the main.cf parameter's name, as Postfix does.
  dir_.WriteFile("main.cf", "mc_ttl = 5x\n");
  CommandResult bad = RunCommand({testutil::MctableBinary(), "-c", dir_.path(), "-q", "k", "memcache:mc"});
  EXPECT_EQ(bad.exit_status, 1);
  EXPECT_NE(bad.err.find("bad numerical configuration: mc_ttl = 5x"), std::string::npos) << bad.err;
  dir_.WriteFile("main.cf", "");
}

TEST_F(PostmapDiffTest, ServerDown) {
  Scenario s{"down", {}, "", {"-q", "k"}, ""};
  server_.Stop();
  CommandResult theirs = Run(postmap_, s);
  CommandResult ours = Run(testutil::MctableBinary(), s);
  EXPECT_EQ(ours.out, theirs.out);
  EXPECT_EQ(ours.exit_status, theirs.exit_status);
  EXPECT_NE(ours.err.find(": connect to 127.0.0.1:"), std::string::npos) << ours.err;
  EXPECT_NE(ours.err.find("query error: Connection refused"), std::string::npos) << ours.err;
}

TEST_F(PostmapDiffTest, LmdbBackupBuiltByPostmap) {
  std::string source = dir_.WriteFile("backup", "alice@example.com alice-v\nbob@example.com bob-v\n");
  CommandResult built = RunCommand({postmap_, "-c", dir_.path(), "lmdb:" + source});
  if (built.exit_status != 0) GTEST_SKIP() << "postmap cannot build lmdb (postfix-lmdb missing?): " << built.err;
  std::vector<Scenario> cases = {
      {"backup_hit", {}, "key_format = b:%s\nbackup = lmdb:" + source + "\n", {"-q", "Alice@example.com"}, ""},
      {"backup_miss", {}, "backup = lmdb:" + source + "\n", {"-q", "carol@example.com"}, ""},
      {"backup_dump", {}, "backup = lmdb:" + source + "\n", {"-s"}, ""},
      {"backup_batch", {}, "backup = lmdb:" + source + "\n", {"-q", "-"}, "bob@example.com\nx\nalice@example.com\n"},
  };
  for (const Scenario& s : cases) {
    CommandResult theirs = Run(postmap_, s);
    bool found = false;
    std::string filled = s.name == std::string("backup_hit") ? server_.Get("b:alice@example.com", &found) : "";
    CommandResult ours = Run(testutil::MctableBinary(), s);
    EXPECT_EQ(ours.out, theirs.out) << s.name << "\n" << theirs.err << "\n" << ours.err;
    EXPECT_EQ(ours.exit_status, theirs.exit_status) << s.name;
    if (s.name == std::string("backup_hit")) {
      EXPECT_EQ(filled, "alice-v") << "postmap fills the cache";
      bool ours_found = false;
      EXPECT_EQ(server_.Get("b:alice@example.com", &ours_found), "alice-v") << "mctable fills the cache";
    }
  }
}

}  // namespace
}  // namespace mctable
