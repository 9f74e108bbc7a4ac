// Tests for texthash: (the source file read into memory at open).
#include <gtest/gtest.h>

#include "testutil/table_util.h"

namespace mctable {
namespace {

using testutil::CapturedWarnings;
using testutil::Dump;
using testutil::LookupOrStatus;
using testutil::OpenOrDie;

TEST(TexthashTable, LookupFoldingAndDuplicates) {
  testutil::TempDir dir;
  std::string path = dir.WriteFile("src", "Foo bar\nfoo dup\nk v1\n  v2\nx\n");
  CapturedWarnings warnings;
  auto table = OpenOrDie("texthash:" + path);
  EXPECT_EQ(LookupOrStatus(table.get(), "FOO"), "bar");
  EXPECT_EQ(LookupOrStatus(table.get(), "k"), "v1  v2");
  EXPECT_EQ(LookupOrStatus(table.get(), "x"), "<not found>");
  EXPECT_EQ(Dump(table.get()), "foo\tbar\nk\tv1  v2\n");
  EXPECT_EQ(warnings.joined(), path + ", line 2: duplicate entry: \"foo\"\n" + path +
                                   ", line 5: expected format: key whitespace value -- ignoring this line\n");
}

TEST(TexthashTable, DuplicateModes) {
  testutil::TempDir dir;
  std::string path = dir.WriteFile("src", "a 1\nA 2\n");
  CapturedWarnings warnings;
  OpenOptions replace;
  replace.duplicates = DuplicateMode::kReplace;
  EXPECT_EQ(LookupOrStatus(OpenOrDie("texthash:" + path, replace).get(), "a"), "2");
  OpenOptions ignore;
  ignore.duplicates = DuplicateMode::kIgnore;
  EXPECT_EQ(LookupOrStatus(OpenOrDie("texthash:" + path, ignore).get(), "a"), "1");
  EXPECT_TRUE(warnings.lines().empty());
  OpenOptions unfolded;
  unfolded.fold_keys = false;
  auto table = OpenOrDie("texthash:" + path, unfolded);
  EXPECT_EQ(LookupOrStatus(table.get(), "A"), "2");
  EXPECT_EQ(LookupOrStatus(table.get(), "a"), "1");
  EXPECT_TRUE(warnings.lines().empty());
}

TEST(TexthashTable, Errors) {
  std::unique_ptr<Table> table;
  Status missing = OpenTable("texthash:/nonexistent/src", {}, &table);
  EXPECT_TRUE(missing.IsConfigError());
  EXPECT_EQ(missing.message(), "open database /nonexistent/src: No such file or directory");
  testutil::TempDir dir;
  std::string path = dir.WriteFile("src", "a 1\n");
  OpenOptions rw;
  rw.read_write = true;
  Status refused = OpenTable("texthash:" + path, rw, &table);
  EXPECT_TRUE(refused.IsRefused());
  EXPECT_EQ(refused.message(), "texthash:" + path + " map requires O_RDONLY access mode");
  auto ro = OpenOrDie("texthash:" + path);
  EXPECT_TRUE(ro->Update("b", "2").IsNotSupported());
}

}  // namespace
}  // namespace mctable
