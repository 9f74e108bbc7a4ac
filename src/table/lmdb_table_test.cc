// Tests for lmdb: (files /path.lmdb as Debian's postmap makes them).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil/table_util.h"

namespace mctable {
namespace {

using testutil::CapturedWarnings;
using testutil::Dump;
using testutil::LookupOrStatus;
using testutil::OpenOrDie;

using testutil::BuildOptions;
TEST(LmdbTable, BuildLookupSequence) {
  testutil::TempDir dir;
  std::string name = "lmdb:" + dir.path() + "/map";
  {
    CapturedWarnings warnings;
    auto table = OpenOrDie(name, BuildOptions());
    ASSERT_TRUE(table->Update("Foo", "bar").ok());
    ASSERT_TRUE(table->Update("FOO", "dup").ok());
    ASSERT_TRUE(table->Update("b", "").ok());
    EXPECT_EQ(LookupOrStatus(table.get(), "foo"), "bar");
    // Not visible before Close(): the file does not exist yet.
    struct stat st;
    EXPECT_NE(stat((dir.path() + "/map.lmdb").c_str(), &st), 0);
    ASSERT_TRUE(table->Close().ok());
    EXPECT_EQ(warnings.joined(), name + ": duplicate entry: \"foo\"\n");
  }
  auto table = OpenOrDie(name);
  EXPECT_EQ(LookupOrStatus(table.get(), "FOO"), "bar");
  EXPECT_EQ(LookupOrStatus(table.get(), "b"), "");
  EXPECT_EQ(LookupOrStatus(table.get(), "c"), "<not found>");
  EXPECT_EQ(Dump(table.get()), "b\t\nfoo\tbar\n");
  EXPECT_TRUE(table->Update("x", "y").IsRefused());
  EXPECT_TRUE(table->Delete("foo").IsRefused());
}

TEST(LmdbTable, DuplicateModes) {
  testutil::TempDir dir;
  std::string name = "lmdb:" + dir.path() + "/map";
  CapturedWarnings warnings;
  OpenOptions replace = BuildOptions();
  replace.duplicates = DuplicateMode::kReplace;
  auto table = OpenOrDie(name, replace);
  EXPECT_OK(table->Update("a", "1"));
  EXPECT_OK(table->Update("a", "2"));
  EXPECT_EQ(LookupOrStatus(table.get(), "a"), "2");
  OpenOptions ignore = BuildOptions();
  ignore.duplicates = DuplicateMode::kIgnore;
  auto table2 = OpenOrDie(name, ignore);
  EXPECT_OK(table2->Update("a", "1"));
  EXPECT_OK(table2->Update("a", "2"));
  EXPECT_EQ(LookupOrStatus(table2.get(), "a"), "1");
  EXPECT_TRUE(warnings.lines().empty());
}

TEST(LmdbTable, ReadWriteUpdateDeleteAndFolding) {
  testutil::TempDir dir;
  std::string name = "lmdb:" + dir.path() + "/map";
  OpenOptions create;
  create.read_write = true;
  create.create = true;
  auto table = OpenOrDie(name, create);
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
}

TEST(LmdbTable, NulModes) {
  testutil::TempDir dir;
  for (NulMode write : {NulMode::kInclude, NulMode::kOmit}) {
    std::string name = "lmdb:" + dir.path() + (write == NulMode::kInclude ? "/with" : "/without");
    OpenOptions options = BuildOptions();
    options.nul_mode = write;
    auto table = OpenOrDie(name, options);
    EXPECT_OK(table->Update("k", "v"));
    ASSERT_TRUE(table->Close().ok());
    // The default tries both forms; the other explicit mode misses.
    EXPECT_EQ(LookupOrStatus(OpenOrDie(name).get(), "k"), "v");
    OpenOptions same, other;
    same.nul_mode = write;
    other.nul_mode = write == NulMode::kInclude ? NulMode::kOmit : NulMode::kInclude;
    EXPECT_EQ(LookupOrStatus(OpenOrDie(name, same).get(), "k"), "v");
    EXPECT_EQ(LookupOrStatus(OpenOrDie(name, other).get(), "k"), "<not found>");
  }
}

TEST(LmdbTable, Errors) {
  testutil::TempDir dir;
  std::unique_ptr<Table> table;
  Status missing = OpenTable("lmdb:" + dir.path() + "/none", {}, &table);
  EXPECT_TRUE(missing.IsConfigError());
  EXPECT_EQ(missing.message(), "open database " + dir.path() + "/none.lmdb: No such file or directory");
  OpenOptions rw;
  rw.read_write = true;
  missing = OpenTable("lmdb:" + dir.path() + "/none", rw, &table);
  EXPECT_TRUE(missing.IsConfigError());
  dir.WriteFile("bad.lmdb", "corrupt\n");
  Status corrupt = OpenTable("lmdb:" + dir.path() + "/bad", {}, &table);
  EXPECT_TRUE(corrupt.IsConfigError());
  EXPECT_EQ(corrupt.message(),
            "open database " + dir.path() + "/bad.lmdb: MDB_INVALID: File is not an LMDB file");
}

TEST(LmdbTable, TruncatedFileIsAnErrorNotACrash) {
  testutil::TempDir dir;
  std::string name = "lmdb:" + dir.path() + "/cut";
  {
    auto table = OpenOrDie(name, BuildOptions());
    for (int i = 0; i < 3000; ++i)
      ASSERT_TRUE(table->Update("key" + std::to_string(i), std::string(50, 'v')).ok());
    ASSERT_TRUE(table->Close().ok());
  }
  std::string file = dir.path() + "/cut.lmdb";
  ASSERT_EQ(truncate(file.c_str(), 16384), 0);
  std::unique_ptr<Table> table;
  Status s = OpenTable(name, {}, &table);  // Debian's postmap dies of SIGBUS here
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_NE(s.message().find("open database " + file + ": file is truncated"), std::string::npos)
      << s.message();
}

TEST(LmdbTable, AbandonedBuildLeavesOldTable) {
  testutil::TempDir dir;
  std::string name = "lmdb:" + dir.path() + "/map";
  {
    auto table = OpenOrDie(name, BuildOptions());
    EXPECT_OK(table->Update("old", "1"));
    ASSERT_TRUE(table->Close().ok());
  }
  {
    auto table = OpenOrDie(name, BuildOptions());
    EXPECT_OK(table->Update("new", "2"));
    auto reader = OpenOrDie(name);
    EXPECT_EQ(Dump(reader.get()), "old\t1\n");  // mid-build: the old table
  }  // destroyed without Close(): abandoned
  EXPECT_EQ(Dump(OpenOrDie(name).get()), "old\t1\n");
  EXPECT_EQ(testutil::DirectoryListing(dir.path()), "map.lmdb\n");
}

TEST(LmdbTable, GrowsTheMapDuringABuild) {
  testutil::TempDir dir;
  std::string name = "lmdb:" + dir.path() + "/big";
  auto table = OpenOrDie(name, BuildOptions());
  std::string value(400, 'x');
  for (int i = 0; i < 60000; ++i) ASSERT_TRUE(table->Update("key" + std::to_string(i), value).ok());
  ASSERT_TRUE(table->Close().ok());
  auto reader = OpenOrDie(name);
  EXPECT_EQ(LookupOrStatus(reader.get(), "key0"), value);
  EXPECT_EQ(LookupOrStatus(reader.get(), "key59999"), value);
}

}  // namespace
}  // namespace mctable
