// Writes that must never lose data or expose it (issue 8): a write that
// fails fails the command naming the table and the key, and leaves the old
// table whole; a new table takes its mode (and, for root, its owner) from
// the source as postmap does, and a rebuild keeps the table's own; a stop
// signal during a build leaves the old table readable by postmap; -i and
// -d - say how far they got; a fatal error closes the open tables first.
//
// Everything runs the real mctable and Debian's postmap on real files.  A
// full disk is a file size limit (prlimit --fsize: writes then fail with
// EFBIG, as on a full file system).
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testutil/child_process.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::ChildProcess;
using testutil::CommandResult;
using testutil::RunCommand;
using testutil::TempDir;

const char* const kFileTypes[] = {"lmdb", "hash", "btree", "cdb"};

std::string Extension(const std::string& type) {
  return type == "lmdb" ? ".lmdb" : type == "cdb" ? ".cdb" : ".db";
}

// "key<i> value<i>\n" for i in [from, to).
std::string Lines(int from, int to, const std::string& prefix = "key") {
  std::string text;
  for (int i = from; i < to; ++i)
    text += prefix + std::to_string(i) + " value" + std::to_string(i) + "\n";
  return text;
}

class TableFileSafetyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!postmap_.available()) GTEST_SKIP() << "Debian's postmap is not installed (apt-get install postfix)";
    cf_dir_ = dir_.path() + "/cf";
    ::mkdir(cf_dir_.c_str(), 0755);
    dir_.WriteFile("cf/main.cf", "");
  }

  CommandResult Mctable(std::vector<std::string> args, const std::string& input = "",
                        std::vector<std::string> prefix = {}) {
    std::vector<std::string> argv = prefix;
    argv.push_back(testutil::MctableBinary());
    argv.push_back("-c");
    argv.push_back(cf_dir_);
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, input, 300);
  }
  CommandResult Postmap(std::vector<std::string> args, const std::string& input = "") {
    return postmap_.Run(std::move(args), input);
  }
  // Every entry, sorted: postmap -s (cdb: postmap cannot list it, mctable -s).
  std::string Listing(const std::string& type, const std::string& src) {
    CommandResult r = type == "cdb" ? Mctable({"-s", type + ":" + src}) : Postmap({"-s", type + ":" + src});
    EXPECT_EQ(r.exit_status, 0) << r.err;
    std::vector<std::string> lines = testutil::SplitLines(r.out);
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }
  // Files in the test directory that are neither sources nor tables: the
  // leftovers of a build ("map.lmdb.AbC123").
  std::vector<std::string> Leftovers() {
    std::vector<std::string> found;
    DIR* d = ::opendir(dir_.path().c_str());
    while (dirent* e = d ? ::readdir(d) : nullptr) {
      std::string name = e->d_name;
      for (const char* table_ext : {".lmdb.", ".db.", ".cdb."})
        if (name.find(table_ext) != std::string::npos) found.push_back(name);
    }
    if (d) ::closedir(d);
    return found;
  }
  static std::string Sorted(const std::string& text) {
    std::vector<std::string> lines = testutil::SplitLines(text);
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }
  static std::string AsListing(const std::string& source_text) {
    std::string out;
    for (const auto& line : testutil::SplitLines(source_text)) out += line.substr(0, line.find(' ')) + "\t" + line.substr(line.find(' ') + 1) + "\n";
    return Sorted(out);
  }

  TempDir dir_;
  std::string cf_dir_;
  testutil::Postmap postmap_;
};

// ---- failed writes -----------------------------------------------------------------

TEST_F(TableFileSafetyTest, OversizedLmdbKeyFailsNamingTableAndKeyAndKeepsTheOldTable) {
  std::string src = dir_.WriteFile("map", "a 1\n");
  ASSERT_EQ(Mctable({"lmdb:" + src}).exit_status, 0);
  const std::string big(600, 'k');
  dir_.WriteFile("map", "b 2\n" + big + " v\nc 3\n");
  CommandResult built = Mctable({"lmdb:" + src});
  EXPECT_EQ(built.exit_status, 1) << "postmap: fatal MDB_BAD_VALSIZE; mctable exited 0 and lost the key";
  EXPECT_NE(built.err.find("mctable: fatal: error updating lmdb:" + src + ": key \"kkkk"), std::string::npos)
      << built.err;
  EXPECT_NE(built.err.find("(600 bytes)"), std::string::npos) << built.err;
  EXPECT_EQ(Listing("lmdb", src), "a\t1\n") << "the old table is kept whole";
  EXPECT_TRUE(Leftovers().empty());

  CommandResult added = Mctable({"-i", "lmdb:" + src}, "x 1\n" + big + " v\n");
  EXPECT_EQ(added.exit_status, 1);
  EXPECT_NE(added.err.find("fatal: error updating lmdb:" + src + ": key \"kkkk"), std::string::npos) << added.err;
  EXPECT_NE(added.err.find("1 entries from stdin were stored"), std::string::npos) << added.err;
  EXPECT_EQ(Listing("lmdb", src), "a\t1\nx\t1\n");
  // Such a key cannot be in the table: a lookup or delete finds nothing, as postmap.
  EXPECT_EQ(Mctable({"-q", big, "lmdb:" + src}).exit_status, Postmap({"-q", big, "lmdb:" + src}).exit_status);
  EXPECT_EQ(Mctable({"-d", big, "lmdb:" + src}).exit_status, 1);
}

class FullDiskTest : public TableFileSafetyTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(FullDiskTest, BuildFailsAndKeepsTheOldTable) {
  const std::string type = GetParam();
  if (!testutil::HaveTableType(type)) GTEST_SKIP() << type << " is not built in";
  std::string src = dir_.WriteFile("map", Lines(0, 20));
  ASSERT_EQ(Mctable({type + ":" + src}).exit_status, 0);
  const std::string old_listing = Listing(type, src);
  dir_.WriteFile("map", Lines(0, 200000));
  // A 1 MB file size limit: the new table (about 10 MB) hits it.
  CommandResult built = Mctable({type + ":" + src}, "", {"/usr/bin/prlimit", "--fsize=1000000"});
  EXPECT_EQ(built.exit_status, 1) << built.err;
  EXPECT_NE(built.err.find("mctable: fatal: "), std::string::npos) << built.err;
  EXPECT_NE(built.err.find(type + ":" + src), std::string::npos) << "names the table: " << built.err;
  // EFBIG, or EIO where LMDB saw a short write.
  EXPECT_TRUE(built.err.find("File too large") != std::string::npos ||
              built.err.find("Input/output error") != std::string::npos)
      << built.err;
  EXPECT_EQ(Listing(type, src), old_listing) << "the old table is kept whole";
  if (type != "cdb") {
    EXPECT_EQ(Postmap({"-q", "key7", type + ":" + src}).out, "value7\n");
  }
  EXPECT_TRUE(Leftovers().empty()) << testing::PrintToString(Leftovers());
}

TEST_P(FullDiskTest, IncrementalLoadFailsAndKeepsTheTableReadable) {
  const std::string type = GetParam();
  if (type == "cdb") GTEST_SKIP() << "cdb has no incremental update";
  if (!testutil::HaveTableType(type)) GTEST_SKIP() << type << " is not built in";
  std::string src = dir_.WriteFile("map", Lines(0, 100));
  ASSERT_EQ(Mctable({type + ":" + src}).exit_status, 0);
  const std::string table_file = src + Extension(type);
  struct stat before;
  ASSERT_EQ(::stat(table_file.c_str(), &before), 0);
  std::string limit = "--fsize=" + std::to_string(before.st_size + 200000);
  // hash/btree: about 2 MB, all in Berkeley DB's cache: the final sync fails.
  std::vector<std::string> inputs = {Lines(1000, 30000)};
  if (type != "lmdb") {
    // About 25 MB, more than the 16 MB cache: a write fails on the way,
    // when the cache must give pages back to the file and cannot.
    std::string big;
    const std::string padding(300, 'v');
    for (int i = 1000; i < 80000; ++i) big += "key" + std::to_string(i) + " value" + std::to_string(i) + padding + "\n";
    inputs.push_back(big);
  }
  for (size_t attempt = 0; attempt < inputs.size(); ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    CommandResult added = Mctable({"-i", type + ":" + src}, inputs[attempt], {"/usr/bin/prlimit", limit});
    EXPECT_EQ(added.exit_status, 1) << added.err;
    EXPECT_NE(added.err.find("mctable: fatal: "), std::string::npos) << added.err;
    EXPECT_NE(added.err.find(type + ":" + src), std::string::npos) << added.err;
    if (attempt == 1) {
      EXPECT_NE(added.err.find(": key \"key"), std::string::npos) << "names the key: " << added.err;
    }
    CommandResult listed = Postmap({"-s", type + ":" + src});
    ASSERT_EQ(listed.exit_status, 0) << "readable by postmap: " << listed.err;
    if (type == "lmdb") {
      // Each entry is committed as it comes: those before the failure stay.
      EXPECT_NE(added.err.find("entries from stdin were stored in " + type + ":" + src), std::string::npos)
          << "says how far it got: " << added.err;
    } else {
      // Berkeley DB pages half written by a failed write leave a file no one
      // can open: -i saved the file first and wrote it back, in place.
      EXPECT_NE(added.err.find(type + ":" + src + " is as it was"), std::string::npos) << added.err;
      EXPECT_NE(added.err.find("File too large"), std::string::npos) << "says why: " << added.err;
      EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 100);
      struct stat after;
      ASSERT_EQ(::stat(table_file.c_str(), &after), 0);
      EXPECT_EQ(after.st_ino, before.st_ino) << "updated in place, not replaced";
      EXPECT_EQ(after.st_size, before.st_size);
      // Opened read-only by mctable, too.
      CommandResult looked_up = Mctable({"-q", "key42", type + ":" + src});
      EXPECT_EQ(looked_up.exit_status, 0) << looked_up.err;
      EXPECT_EQ(looked_up.out, "value42\n");
    }
    EXPECT_TRUE(Leftovers().empty()) << "the saved copy is removed: " << testing::PrintToString(Leftovers());
    // Every old entry there, each new one whole or absent.
    std::set<std::string> lines;
    for (const auto& l : testutil::SplitLines(listed.out)) lines.insert(l);
    for (int i = 0; i < 100; ++i)
      EXPECT_TRUE(lines.count("key" + std::to_string(i) + "\tvalue" + std::to_string(i))) << i;
    for (const auto& l : lines) {
      std::string k = l.substr(0, l.find('\t'));
      EXPECT_TRUE(l == k + "\tvalue" + k.substr(3) || (attempt == 1 && l.starts_with(k + "\tvalue" + k.substr(3) + "vvv")))
          << l.substr(0, 80);
    }
  }
  // The table takes updates again (no lock or copy was left behind).
  CommandResult again = Mctable({"-i", type + ":" + src}, "later 1\n");
  EXPECT_EQ(again.exit_status, 0) << again.err;
  EXPECT_EQ(Postmap({"-q", "later", type + ":" + src}).out, "1\n");
}

INSTANTIATE_TEST_SUITE_P(Types, FullDiskTest, ::testing::ValuesIn(kFileTypes),
                         [](const auto& param_info) { return std::string(param_info.param); });

// ---- modes and owners ------------------------------------------------------------------

TEST_F(TableFileSafetyTest, NewTableTakesTheSourceModeLikePostmap) {
  for (const char* type_name : kFileTypes) {
    const std::string type = type_name;
    if (!testutil::HaveTableType(type)) continue;
    for (mode_t mode : {0600, 0640, 0604, 0644, 0664}) {
      for (bool p : {false, true}) {
        std::string ours = dir_.WriteFile("ours", "a 1\n"), theirs = dir_.WriteFile("theirs", "a 1\n");
        ::chmod(ours.c_str(), mode);
        ::chmod(theirs.c_str(), mode);
        ::unlink((ours + Extension(type)).c_str());
        ::unlink((theirs + Extension(type)).c_str());
        std::vector<std::string> o = {type + ":" + ours}, t = {type + ":" + theirs};
        if (p) o.insert(o.begin(), "-p"), t.insert(t.begin(), "-p");
        ASSERT_EQ(Mctable(o).exit_status, 0);
        ASSERT_EQ(Postmap(t).exit_status, 0);
        struct stat a, b;
        ASSERT_EQ(::stat((ours + Extension(type)).c_str(), &a), 0);
        ASSERT_EQ(::stat((theirs + Extension(type)).c_str(), &b), 0);
        EXPECT_EQ(a.st_mode & 07777, b.st_mode & 07777)
            << type << " source mode " << std::oct << mode << (p ? " with -p" : "");
      }
    }
  }
}

TEST_F(TableFileSafetyTest, RootRunsAsTheSourceOwnerLikePostmapUnlessO) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root (postmap drops root privileges to the source owner)";
  ::chmod(dir_.path().c_str(), 0777);  // the source owner must be able to create the table
  ::chmod(cf_dir_.c_str(), 0755);
  const uid_t nobody = 65534;
  for (const char* type_name : kFileTypes) {
    const std::string type = type_name;
    if (!testutil::HaveTableType(type)) continue;
    for (bool o : {false, true}) {
      std::string ours = dir_.WriteFile("ours", "a 1\n"), theirs = dir_.WriteFile("theirs", "a 1\n");
      for (const std::string& f : {ours, theirs}) {
        ASSERT_EQ(::chown(f.c_str(), nobody, nobody), 0);
        ::chmod(f.c_str(), 0640);
        ::unlink((f + Extension(type)).c_str());
      }
      std::vector<std::string> oa = {type + ":" + ours}, ta = {type + ":" + theirs};
      if (o) oa.insert(oa.begin(), "-o"), ta.insert(ta.begin(), "-o");
      std::vector<std::string> env;
      if (std::string off = testutil::LeakCheckOffSetting(); !off.empty()) env = {"/usr/bin/env", off};
      CommandResult r = Mctable(oa, "", env);
      ASSERT_EQ(r.exit_status, 0) << r.err;
      r = Postmap(ta);
      ASSERT_EQ(r.exit_status, 0) << r.err;
      struct stat a, b;
      ASSERT_EQ(::stat((ours + Extension(type)).c_str(), &a), 0);
      ASSERT_EQ(::stat((theirs + Extension(type)).c_str(), &b), 0);
      EXPECT_EQ(a.st_uid, b.st_uid) << type << (o ? " -o" : "");
      EXPECT_EQ(a.st_gid, b.st_gid) << type << (o ? " -o" : "");
      EXPECT_EQ(a.st_mode & 07777, b.st_mode & 07777) << type << (o ? " -o" : "");
      EXPECT_EQ(a.st_uid, o ? 0u : nobody) << type;
    }
  }
}

TEST_F(TableFileSafetyTest, RebuildKeepsTheTableOwnerGroupAndMode) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root to give the table another owner";
  for (const char* type_name : kFileTypes) {
    const std::string type = type_name;
    if (!testutil::HaveTableType(type)) continue;
    std::string src = dir_.WriteFile("map", "a 1\n");
    ASSERT_EQ(Mctable({type + ":" + src}).exit_status, 0);
    std::string table = src + Extension(type);
    ASSERT_EQ(::chown(table.c_str(), 65534, 65534), 0);
    ASSERT_EQ(::chmod(table.c_str(), 0620), 0);
    dir_.WriteFile("map", "b 2\n");
    CommandResult r = Mctable({type + ":" + src});
    ASSERT_EQ(r.exit_status, 0) << r.err;
    struct stat st;
    ASSERT_EQ(::stat(table.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 65534u) << type << ": owner kept (lmdb came back root:root)";
    EXPECT_EQ(st.st_gid, 65534u) << type;
    EXPECT_EQ(st.st_mode & 07777, 0620u) << type;
    EXPECT_EQ(Listing(type, src), "b\t2\n");
  }
}

// ---- stop signals ----------------------------------------------------------------------

TEST_F(TableFileSafetyTest, BuildKilledAtRandomPointsKeepsTheOldTable) {
  const int kRecords = 1000000;
  std::string src = dir_.path() + "/map";
  const std::string old_text = Lines(0, 50, "old");
  std::string big = Lines(0, kRecords);
  std::mt19937 random(std::random_device{}());
  const int signals[] = {SIGINT, SIGTERM, SIGHUP};
  const char* const names[] = {"SIGINT", "SIGTERM", "SIGHUP"};
  for (const char* type_name : kFileTypes) {
    const std::string type = type_name;
    if (!testutil::HaveTableType(type)) continue;
    int old_kept = 0, finished = 0;
    for (int round = 0; round < 4; ++round) {
      dir_.WriteFile("map", old_text);
      ASSERT_EQ(Mctable({type + ":" + src}).exit_status, 0);
      dir_.WriteFile("map", big);
      ChildProcess build({testutil::MctableBinary(), "-c", cf_dir_, type + ":" + src}, false);
      ASSERT_TRUE(build.started());
      // The handlers are installed first thing in main; a signal before that
      // (sanitizer start-up can take a while) is the default action's.
      for (int i = 0; i < 1000 && !testutil::CatchesSignal(build.pid(), SIGHUP); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      int which = static_cast<int>(random() % 3);
      auto delay = std::chrono::milliseconds(random() % 2500);
      std::this_thread::sleep_for(delay);
      build.Signal(signals[which]);
      CommandResult r = build.Wait(300);
      std::string listing = Listing(type, src);
      SCOPED_TRACE(type + " " + names[which] + " after " + std::to_string(delay.count()) + " ms: " + r.err);
      if (r.exit_status == 0) {
        ++finished;  // done before the signal came
        EXPECT_EQ(std::count(listing.begin(), listing.end(), '\n'), kRecords);
      } else {
        EXPECT_EQ(r.exit_status, 128 + signals[which]) << "dies by the signal, after cleaning up";
        EXPECT_NE(r.err.find(std::string("mctable: fatal: interrupted by ") + names[which]), std::string::npos);
        if (r.err.find("was rebuilt before the signal") != std::string::npos) {
          ++finished;
          EXPECT_EQ(std::count(listing.begin(), listing.end(), '\n'), kRecords);
        } else {
          ++old_kept;
          EXPECT_NE(r.err.find(type + ":" + src + " was not changed"), std::string::npos);
          EXPECT_EQ(listing, AsListing(old_text)) << "the old table, whole";
          if (type != "cdb") {
            EXPECT_EQ(Postmap({"-q", "old7", type + ":" + src}).out, "value7\n");
          }
        }
      }
      EXPECT_TRUE(Leftovers().empty()) << testing::PrintToString(Leftovers());
    }
    std::cout << type << ": " << old_kept << " builds stopped, " << finished << " finished first\n";
  }
}

TEST_F(TableFileSafetyTest, InterruptedIncrementalLoadSaysHowFarItGot) {
  std::string src = dir_.WriteFile("map", "old 1\n");
  ASSERT_EQ(Mctable({"lmdb:" + src}).exit_status, 0);
  ChildProcess load({testutil::MctableBinary(), "-c", cf_dir_, "-i", "lmdb:" + src}, true);
  ASSERT_TRUE(load.started());
  ASSERT_TRUE(load.Write(Lines(1, 501)));
  // Entry 500 waits for the next line (it might continue), 499 are stored.
  for (int i = 0; i < 500 && Postmap({"-q", "key499", "lmdb:" + src}).exit_status != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  load.Signal(SIGINT);
  CommandResult r = load.Wait(30);
  EXPECT_EQ(r.exit_status, 128 + SIGINT) << r.err;
  EXPECT_EQ(r.err, "mctable: fatal: interrupted by SIGINT: 499 entries from stdin were stored in lmdb:" + src +
                       " (through input line 499); the rest of the input was not stored\n");
  std::string listing = Listing("lmdb", src);
  EXPECT_EQ(std::count(listing.begin(), listing.end(), '\n'), 500) << "499 and the old entry";
}

TEST_F(TableFileSafetyTest, InterruptedBatchDeleteSaysHowFarItGot) {
  std::string src = dir_.WriteFile("map", Lines(0, 6000));
  ASSERT_EQ(Mctable({"lmdb:" + src}).exit_status, 0);
  ChildProcess del({testutil::MctableBinary(), "-c", cf_dir_, "-d", "-", "lmdb:" + src}, true);
  ASSERT_TRUE(del.started());
  std::string keys;
  for (int i = 0; i < 5000; ++i) keys += "key" + std::to_string(i) + "\n";
  ASSERT_TRUE(del.Write(keys));
  // The first batch (4096 keys) is deleted; the rest waits for a full batch.
  for (int i = 0; i < 500 && Postmap({"-q", "key4095", "lmdb:" + src}).exit_status == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  del.Signal(SIGTERM);
  CommandResult r = del.Wait(30);
  EXPECT_EQ(r.exit_status, 128 + SIGTERM) << r.err;
  EXPECT_EQ(r.err,
            "mctable: fatal: interrupted by SIGTERM: 4096 keys from stdin were processed (4096 entries "
            "deleted); the rest of the input was not read\n");
  EXPECT_EQ(Postmap({"-q", "key4096", "lmdb:" + src}).out, "value4096\n");
}

// ---- fatal errors ------------------------------------------------------------------------

// A fatal error used to exit() on the spot, skipping every destructor: open
// tables were never closed.  Now the tables are closed first: strace shows
// the table's descriptor closed before the process exits.
TEST_F(TableFileSafetyTest, FatalErrorClosesTheOpenTablesFirst) {
  const std::string strace = "/usr/bin/strace";
  if (::access(strace.c_str(), X_OK) != 0) GTEST_SKIP() << "strace is not installed (apt-get install strace)";
  std::string src = dir_.WriteFile("map", "a 1\nb 2\n");
  ASSERT_EQ(Mctable({"lmdb:" + src}).exit_status, 0);
  std::string log = dir_.path() + "/strace.log";
  std::vector<std::string> argv = {strace, "-qq", "-e", "trace=openat,close,write", "-o", log};
  if (std::string off = testutil::LeakCheckOffSetting(); !off.empty()) argv.insert(argv.end(), {"-E", off});
  argv.insert(argv.end(), {testutil::MctableBinary(), "-c", cf_dir_, "-d", "a", "lmdb:" + src,
                           "lmdb:" + dir_.path() + "/missing"});
  CommandResult r = RunCommand(argv, "", 60);
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("mctable: fatal: open database " + dir_.path() + "/missing.lmdb"), std::string::npos)
      << r.err;
  EXPECT_EQ(Postmap({"-q", "a", "lmdb:" + src}).exit_status, 1) << "the delete before the error stays done";
  std::string trace = testutil::ReadFileOrDie(log);
  size_t open_at = trace.find(src + ".lmdb\", O_RDWR");
  ASSERT_NE(open_at, std::string::npos) << trace;
  size_t eq = trace.find(" = ", open_at);
  std::string fd = trace.substr(eq + 3, trace.find('\n', eq) - eq - 3);
  size_t closed = trace.find("close(" + fd + ")", open_at);
  size_t fatal = trace.find("fatal: open database", open_at);
  ASSERT_NE(fatal, std::string::npos) << trace;
  EXPECT_LT(closed, fatal) << "the table is closed before the fatal message; trace:\n" << trace;
}

}  // namespace
}  // namespace mctable
