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

TEST(BuildTable, MatchesPostmapBuild) {
  testutil::Postmap postmap;
  if (!postmap.available()) GTEST_SKIP() << "Debian postmap not installed (/usr/sbin/postmap)";
  testutil::TempDir dir;
  const std::string text = "User@Example.COM u1\n\"a b\"@x q\nE\xe9 v\xe9\nk v1\n  v2\nk: z\nfoo 1\nFOO 2\n";
  std::string ours = dir.WriteFile("ours", text);
  std::string theirs = dir.WriteFile("theirs", text);
  CapturedWarnings warnings;
  ASSERT_TRUE(BuildTableFromSource("lmdb:" + ours, {}, false).ok());
  auto built = postmap.Run({"lmdb:" + theirs});
  ASSERT_EQ(built.exit_status, 0);
  EXPECT_EQ(postmap.Run({"-s", "lmdb:" + ours}).out, postmap.Run({"-s", "lmdb:" + theirs}).out);
  std::string their_warnings = built.err;
  std::string our_warnings;
  for (const auto& line : warnings.lines()) our_warnings += "postmap: warning: " + line + "\n";
  size_t at;
  while ((at = their_warnings.find("theirs")) != std::string::npos) their_warnings.replace(at, 6, "ours");
  EXPECT_EQ(our_warnings, their_warnings);
}

}  // namespace
}  // namespace mctable
