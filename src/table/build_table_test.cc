// Tests for BuildTableFromSource (postmap's build and -i modes).
#include "table/build_table.h"

#include <gtest/gtest.h>

#include "testutil/table_util.h"

namespace mctable {
namespace {

using testutil::CapturedWarnings;
using testutil::Dump;
using testutil::OpenOrDie;

TEST(BuildTable, RebuildsFromTheSourceFileWithPostmapWarnings) {
  testutil::TempDir dir;
  std::string src = dir.WriteFile("map", "Foo bar\nfoo dup\nbad\nk v1\n  v2\n");
  CapturedWarnings warnings;
  ASSERT_TRUE(BuildTableFromSource("lmdb:" + src, {}, false).ok());
  EXPECT_EQ(warnings.joined(), "lmdb:" + src + ": duplicate entry: \"foo\"\n" + src +
                                   ", line 3: expected format: key whitespace value\n");
  EXPECT_EQ(Dump(OpenOrDie("lmdb:" + src).get()), "foo\tbar\nk\tv1  v2\n");
  // A rebuild starts from empty.
  dir.WriteFile("map", "only one\n");
  ASSERT_TRUE(BuildTableFromSource("lmdb:" + src, {}, false).ok());
  EXPECT_EQ(Dump(OpenOrDie("lmdb:" + src).get()), "only\tone\n");
}

TEST(BuildTable, IncrementalAddsToTheTable) {
  testutil::TempDir dir;
  std::string src = dir.WriteFile("map", "a 1\n");
  ASSERT_TRUE(BuildTableFromSource("lmdb:" + src, {}, false).ok());
  SourceReader input("stdin", "b 2\nA 3\n", {});
  CapturedWarnings warnings;
  ASSERT_TRUE(BuildTableFromReader("lmdb:" + src, {}, true, &input).ok());
  EXPECT_EQ(warnings.joined(), "lmdb:" + src + ": duplicate entry: \"a\"\n");
  EXPECT_EQ(Dump(OpenOrDie("lmdb:" + src).get()), "a\t1\nb\t2\n");
  OpenOptions replace;
  replace.duplicates = DuplicateMode::kReplace;
  SourceReader more("stdin", "A 3\n", {});
  ASSERT_TRUE(BuildTableFromReader("lmdb:" + src, replace, true, &more).ok());
  EXPECT_EQ(Dump(OpenOrDie("lmdb:" + src).get()), "a\t3\nb\t2\n");
}

TEST(BuildTable, Errors) {
  Status missing = BuildTableFromSource("lmdb:/nonexistent/map", {}, false);
  EXPECT_TRUE(missing.IsConfigError());
  EXPECT_EQ(missing.message(), "open /nonexistent/map: No such file or directory");
  testutil::TempDir dir;
  std::string src = dir.WriteFile("map", "a 1\n");
  Status unsupported = BuildTableFromSource("texthash:" + src, {}, false);
  EXPECT_EQ(unsupported.message(), "unsupported map type for this operation: texthash");
}

}  // namespace
}  // namespace mctable
