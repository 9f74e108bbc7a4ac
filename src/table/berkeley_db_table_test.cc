// Tests for hash: and btree: (Berkeley DB files /path.db as Debian's
// postmap makes them).
#ifdef MCTABLE_HAVE_BDB
#include <db.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "testutil/table_util.h"

namespace mctable {
namespace {

using testutil::CapturedWarnings;
using testutil::Dump;
using testutil::LookupOrStatus;
using testutil::OpenOrDie;

using testutil::BuildOptions;
OpenOptions ReadWrite(bool create = false) {
  OpenOptions options;
  options.read_write = true;
  options.create = create;
  return options;
}

// Raw records of a .db file, NULs kept, in cursor order.
std::vector<std::pair<std::string, std::string>> RawRecords(const std::string& file, DBTYPE type) {
  std::vector<std::pair<std::string, std::string>> out;
  DB* db = nullptr;
  if (db_create(&db, nullptr, 0) != 0) return out;
  if (db->open(db, nullptr, file.c_str(), nullptr, type, DB_RDONLY, 0) != 0) {
    db->close(db, 0);
    return out;
  }
  DBC* cursor = nullptr;
  db->cursor(db, nullptr, &cursor, 0);
  DBT k = {}, v = {};
  while (cursor->get(cursor, &k, &v, DB_NEXT) == 0)
    out.emplace_back(std::string(static_cast<char*>(k.data), k.size),
                     std::string(static_cast<char*>(v.data), v.size));
  cursor->close(cursor);
  db->close(db, 0);
  return out;
}

class BerkeleyDbTableTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string type() const { return GetParam(); }
  DBTYPE db_type() const { return type() == "btree" ? DB_BTREE : DB_HASH; }
  std::string Name(const std::string& base) const { return type() + ":" + dir_.path() + "/" + base; }
  std::string File(const std::string& base) const { return dir_.path() + "/" + base + ".db"; }
  testutil::TempDir dir_;
};

TEST_P(BerkeleyDbTableTest, BuildLookupSequenceWithPostfixConventions) {
  std::string name = Name("map");
  {
    CapturedWarnings warnings;
    auto table = OpenOrDie(name, BuildOptions());
    ASSERT_TRUE(table->Update("Foo", "bar").ok());
    ASSERT_TRUE(table->Update("FOO", "dup").ok());
    ASSERT_TRUE(table->Update("b", "").ok());
    ASSERT_TRUE(table->Update("c\xe9", "v\x01\xff").ok());
    EXPECT_EQ(LookupOrStatus(table.get(), "foo"), "bar");  // visible to the builder
    struct stat st;
    EXPECT_NE(stat(File("map").c_str(), &st), 0) << "visible before Close()";
    ASSERT_TRUE(table->Close().ok());
    // Postfix names the .db file in this warning.
    EXPECT_EQ(warnings.joined(), File("map") + ": duplicate entry: \"foo\"\n");
  }
  // On disk: folded keys, trailing NULs on keys and values (dict_db on Linux).
  auto raw = RawRecords(File("map"), db_type());
  std::sort(raw.begin(), raw.end());
  ASSERT_EQ(raw.size(), 3u);
  EXPECT_EQ(raw[0], std::make_pair(std::string("b\0", 2), std::string("\0", 1)));
  EXPECT_EQ(raw[1], std::make_pair(std::string("c\xe9\0", 3), std::string("v\x01\xff\0", 4)));
  EXPECT_EQ(raw[2], std::make_pair(std::string("foo\0", 4), std::string("bar\0", 4)));

  auto table = OpenOrDie(name);
  EXPECT_EQ(LookupOrStatus(table.get(), "FOO"), "bar");
  EXPECT_EQ(LookupOrStatus(table.get(), "b"), "");
  EXPECT_EQ(LookupOrStatus(table.get(), "C\xe9"), "v\x01\xff");
  EXPECT_EQ(LookupOrStatus(table.get(), "nothing"), "<not found>");
  std::string dump = Dump(table.get());
  if (type() == "btree") {
    EXPECT_EQ(dump, "b\t\nc\xe9\tv\x01\xff\nfoo\tbar\n");
  }
  EXPECT_EQ(dump.size(), std::string("b\t\nc\xe9\tv\x01\xff\nfoo\tbar\n").size());
  EXPECT_TRUE(table->Update("x", "y").IsRefused());
  EXPECT_TRUE(table->Delete("foo").IsRefused());
  EXPECT_TRUE(table->Close().ok());
}

TEST_P(BerkeleyDbTableTest, DuplicateModes) {
  CapturedWarnings warnings;
  OpenOptions replace = BuildOptions();
  replace.duplicates = DuplicateMode::kReplace;
  auto table = OpenOrDie(Name("r"), replace);
  EXPECT_OK(table->Update("a", "1"));
  EXPECT_OK(table->Update("a", "2"));
  EXPECT_EQ(LookupOrStatus(table.get(), "a"), "2");
  OpenOptions ignore = BuildOptions();
  ignore.duplicates = DuplicateMode::kIgnore;
  auto table2 = OpenOrDie(Name("i"), ignore);
  EXPECT_OK(table2->Update("a", "1"));
  EXPECT_OK(table2->Update("a", "2"));
  EXPECT_EQ(LookupOrStatus(table2.get(), "a"), "1");
  EXPECT_TRUE(warnings.lines().empty()) << warnings.joined();
}

TEST_P(BerkeleyDbTableTest, ReadWriteUpdateDeleteAndFolding) {
  std::string name = Name("map");
  auto table = OpenOrDie(name, ReadWrite(/*create=*/true));
  ASSERT_TRUE(table->Update("Key", "v").ok());
  EXPECT_TRUE(table->Delete("nothing").IsNotFound());
  EXPECT_TRUE(table->Delete("KEY").ok());
  EXPECT_EQ(LookupOrStatus(table.get(), "key"), "<not found>");
  ASSERT_TRUE(table->Update("Key", "v2").ok());
  ASSERT_TRUE(table->Close().ok());
  OpenOptions unfolded;
  unfolded.fold_keys = false;
  auto reader = OpenOrDie(name, unfolded);
  EXPECT_EQ(LookupOrStatus(reader.get(), "key"), "v2");
  EXPECT_EQ(LookupOrStatus(reader.get(), "Key"), "<not found>");
  // read_write without create needs the file.
  std::unique_ptr<Table> missing;
  EXPECT_TRUE(OpenTable(Name("none"), ReadWrite(), &missing).IsConfigError());
}

TEST_P(BerkeleyDbTableTest, NulModes) {
  for (NulMode write : {NulMode::kInclude, NulMode::kOmit}) {
    std::string base = write == NulMode::kInclude ? "with" : "without";
    OpenOptions options = BuildOptions();
    options.nul_mode = write;
    auto table = OpenOrDie(Name(base), options);
    EXPECT_OK(table->Update("k", "v"));
    ASSERT_TRUE(table->Close().ok());
    auto raw = RawRecords(File(base), db_type());
    ASSERT_EQ(raw.size(), 1u);
    EXPECT_EQ(raw[0].first, write == NulMode::kInclude ? std::string("k\0", 2) : "k");
    EXPECT_EQ(LookupOrStatus(OpenOrDie(Name(base)).get(), "k"), "v");
    OpenOptions same, other;
    same.nul_mode = write;
    other.nul_mode = write == NulMode::kInclude ? NulMode::kOmit : NulMode::kInclude;
    EXPECT_EQ(LookupOrStatus(OpenOrDie(Name(base), same).get(), "k"), "v");
    EXPECT_EQ(LookupOrStatus(OpenOrDie(Name(base), other).get(), "k"), "<not found>");
    // An undecided writer follows what a lookup found.
    auto rw = OpenOrDie(Name(base), ReadWrite());
    EXPECT_EQ(LookupOrStatus(rw.get(), "k"), "v");
    ASSERT_TRUE(rw->Update("k2", "v2").ok());
    ASSERT_TRUE(rw->Close().ok());
    for (const auto& [k, v] : RawRecords(File(base), db_type()))
      EXPECT_EQ(k.back() == '\0', write == NulMode::kInclude) << k;
  }
}

TEST_P(BerkeleyDbTableTest, ErrorsNameTheFile) {
  std::unique_ptr<Table> table;
  Status missing = OpenTable(Name("none"), {}, &table);
  EXPECT_TRUE(missing.IsConfigError());
  EXPECT_EQ(missing.message(), "open database " + File("none") + ": No such file or directory");

  dir_.WriteFile("bad.db", std::string(8192, 'x'));
  Status corrupt = OpenTable(Name("bad"), {}, &table);
  EXPECT_TRUE(corrupt.IsConfigError());
  EXPECT_NE(corrupt.message().find("open database " + File("bad") + ": Invalid argument"), std::string::npos)
      << corrupt.message();

  dir_.WriteFile("empty.db", "");
  Status empty = OpenTable(Name("empty"), {}, &table);
  EXPECT_TRUE(empty.IsError());
  EXPECT_NE(empty.message().find(File("empty")), std::string::npos) << empty.message();

  // The other BDB type: BDB refuses, as postmap does ("Invalid argument").
  {
    std::string other = type() == "hash" ? "btree" : "hash";
    auto build = OpenOrDie(other + ":" + dir_.path() + "/other", BuildOptions());
    EXPECT_OK(build->Update("a", "b"));
    ASSERT_TRUE(build->Close().ok());
  }
  Status wrong = OpenTable(Name("other"), {}, &table);
  EXPECT_TRUE(wrong.IsConfigError());
  EXPECT_NE(wrong.message().find("open database " + File("other") + ": Invalid argument"), std::string::npos)
      << wrong.message();

  // Truncated: a real table cut short must give errors, not a crash.
  {
    auto build = OpenOrDie(Name("cut"), BuildOptions());
    for (int i = 0; i < 3000; ++i) EXPECT_OK(build->Update("key" + std::to_string(i), std::string(50, 'v')));
    ASSERT_TRUE(build->Close().ok());
  }
  ASSERT_EQ(truncate(File("cut").c_str(), 8192), 0);
  // Never silently "not found": the open itself fails, naming the file.
  Status cut = OpenTable(Name("cut"), {}, &table);
  EXPECT_TRUE(cut.IsConfigError());
  EXPECT_NE(cut.message().find("open database " + File("cut") + ": file is truncated"), std::string::npos)
      << cut.message();

  if (geteuid() != 0) {
    auto build = OpenOrDie(Name("private"), BuildOptions());
    EXPECT_OK(build->Update("a", "b"));
    ASSERT_TRUE(build->Close().ok());
    chmod(File("private").c_str(), 0);
    Status denied = OpenTable(Name("private"), {}, &table);
    EXPECT_TRUE(denied.IsConfigError());
    EXPECT_EQ(denied.message(), "open database " + File("private") + ": Permission denied");
  }
}

TEST_P(BerkeleyDbTableTest, AbandonedBuildLeavesOldTableAndModeIsKept) {
  std::string name = Name("map");
  {
    auto table = OpenOrDie(name, BuildOptions());
    EXPECT_OK(table->Update("old", "1"));
    ASSERT_TRUE(table->Close().ok());
  }
  chmod(File("map").c_str(), 0640);
  {
    auto table = OpenOrDie(name, BuildOptions());
    EXPECT_OK(table->Update("new", "2"));
    auto reader = OpenOrDie(name);
    EXPECT_EQ(Dump(reader.get()), "old\t1\n");  // mid-build: the old table
  }
  EXPECT_EQ(Dump(OpenOrDie(name).get()), "old\t1\n");
  EXPECT_EQ(testutil::DirectoryListing(dir_.path()), "map.db\n");
  {
    auto table = OpenOrDie(name, BuildOptions());
    EXPECT_OK(table->Update("new", "2"));
    ASSERT_TRUE(table->Close().ok());
  }
  EXPECT_EQ(Dump(OpenOrDie(name).get()), "new\t2\n");
  struct stat st;
  ASSERT_EQ(stat(File("map").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST_P(BerkeleyDbTableTest, ReadersSeeOtherProcessesWrites) {
  std::string name = Name("map");
  auto writer = OpenOrDie(name, ReadWrite(/*create=*/true));
  auto reader = OpenOrDie(name);
  for (int i = 0; i < 200; ++i) {
    // A separate writer handle, as another process would have.
    ASSERT_TRUE(writer->Update("k" + std::to_string(i), "v" + std::to_string(i)).ok());
    ASSERT_EQ(LookupOrStatus(reader.get(), "k" + std::to_string(i)), "v" + std::to_string(i));
    if (i % 2 == 0) {
      ASSERT_TRUE(writer->Delete("k" + std::to_string(i)).ok());
      ASSERT_EQ(LookupOrStatus(reader.get(), "k" + std::to_string(i)), "<not found>");
    }
  }
  // A rebuild renames a new file into place; both handles follow it.
  {
    auto build = OpenOrDie(name, BuildOptions());
    EXPECT_OK(build->Update("rebuilt", "yes"));
    ASSERT_TRUE(build->Close().ok());
  }
  EXPECT_EQ(LookupOrStatus(reader.get(), "rebuilt"), "yes");
  EXPECT_EQ(LookupOrStatus(reader.get(), "k1"), "<not found>");
  ASSERT_TRUE(writer->Update("after", "1").ok());
  EXPECT_EQ(Dump(OpenOrDie(name).get()).find("after\t1\n") != std::string::npos, true);
}

TEST_P(BerkeleyDbTableTest, UsesFlockOnTheDbFileLikePostfix) {
  std::string name = Name("map");
  {
    auto table = OpenOrDie(name, BuildOptions());
    EXPECT_OK(table->Update("a", "1"));
    ASSERT_TRUE(table->Close().ok());
  }
  // Hold an exclusive flock() as postmap -i does; a writer must wait for it.
  int fd = open(File("map").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX), 0);
  pid_t child = fork();
  if (child == 0) {
    std::unique_ptr<Table> t;
    if (!OpenTable(name, ReadWrite(), &t).ok()) _exit(2);
    _exit(t->Update("b", "2").ok() && t->Close().ok() ? 0 : 3);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int status = 0;
  EXPECT_EQ(waitpid(child, &status, WNOHANG), 0) << "writer did not wait for the flock";
  flock(fd, LOCK_UN);
  close(fd);
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(LookupOrStatus(OpenOrDie(name).get(), "b"), "2");
}

// bulk_update (-i): the table's own file, under an exclusive flock() held
// from Open() to Close(); a session dropped without Close() is undone in
// the same file, and the saved copy is gone either way.
TEST_P(BerkeleyDbTableTest, BulkUpdateWritesInPlaceUnderOneLock) {
  std::string name = Name("map");
  {
    auto table = OpenOrDie(name, BuildOptions());
    EXPECT_OK(table->Update("old", "1"));
    ASSERT_TRUE(table->Close().ok());
  }
  struct stat before;
  ASSERT_EQ(stat(File("map").c_str(), &before), 0);
  OpenOptions bulk = ReadWrite(/*create=*/true);
  bulk.bulk_update = true;
  auto try_lock = [&] {
    int fd = open(File("map").c_str(), O_RDWR);
    bool got = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (fd >= 0) close(fd);
    return got;
  };
  {
    auto table = OpenOrDie(name, bulk);
    EXPECT_FALSE(try_lock()) << "other writers must wait for the whole session";
    EXPECT_OK(table->Update("new", "2"));
    EXPECT_EQ(LookupOrStatus(table.get(), "new"), "2");
    EXPECT_EQ(testutil::DirectoryListing(dir_.path()).find("map.db.") != std::string::npos, true)
        << "the file is saved before it is changed";
    EXPECT_FALSE(try_lock());
    ASSERT_TRUE(table->Close().ok());
  }
  EXPECT_TRUE(try_lock());
  EXPECT_EQ(LookupOrStatus(OpenOrDie(name).get(), "new"), "2");
  EXPECT_EQ(LookupOrStatus(OpenOrDie(name).get(), "old"), "1");
  {
    auto table = OpenOrDie(name, bulk);
    EXPECT_OK(table->Update("dropped", "3"));
    EXPECT_OK(table->Delete("old"));
  }  // no Close(): undone
  EXPECT_EQ(LookupOrStatus(OpenOrDie(name).get(), "dropped"), "<not found>");
  EXPECT_EQ(LookupOrStatus(OpenOrDie(name).get(), "old"), "1");
  EXPECT_EQ(testutil::DirectoryListing(dir_.path()), "map.db\n");
  struct stat after;
  ASSERT_EQ(stat(File("map").c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino) << "updated in place, never replaced";
}

INSTANTIATE_TEST_SUITE_P(Types, BerkeleyDbTableTest, ::testing::Values("hash", "btree"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace mctable
#endif  // MCTABLE_HAVE_BDB
