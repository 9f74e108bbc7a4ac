// Tests for cdb: (tinycdb files as Debian's postmap makes them).
#include <gtest/gtest.h>

#include "table/build_table.h"
#include "testutil/table_util.h"

#ifdef MCTABLE_HAVE_CDB
namespace mctable {
namespace {

using testutil::CapturedWarnings;
using testutil::Dump;
using testutil::LookupOrStatus;
using testutil::OpenOrDie;

TEST(CdbTable, BuildLookupSequenceAndErrors) {
  testutil::TempDir dir;
  std::string src = dir.WriteFile("map", "B 2\na 1\nb 3\n");
  CapturedWarnings warnings;
  ASSERT_TRUE(BuildTableFromSource("cdb:" + src, {}, false).ok());
  EXPECT_EQ(warnings.joined(), src + ": duplicate entry: \"b\"\n");
  auto table = OpenOrDie("cdb:" + src);
  EXPECT_EQ(LookupOrStatus(table.get(), "A"), "1");
  EXPECT_EQ(Dump(table.get()), "b\t2\na\t1\n");
  EXPECT_TRUE(table->Update("x", "y").IsRefused());
  std::unique_ptr<Table> missing;
  Status status = OpenTable("cdb:" + dir.path() + "/none", {}, &missing);
  EXPECT_EQ(status.message(), "open database " + dir.path() + "/none.cdb: No such file or directory");
}

TEST(CdbTable, AgreesWithPostmapBothWays) {
  testutil::Postmap postmap;
  if (!postmap.available()) GTEST_SKIP() << "Debian postmap not installed (/usr/sbin/postmap)";
  testutil::TempDir dir;
  const std::string text = "User@Example.COM u1\nE\xe9 v\xe9\nk v1\n  v2\nfoo 1\nFOO 2\n";
  std::string ours = dir.WriteFile("ours", text);
  std::string theirs = dir.WriteFile("theirs", text);
  CapturedWarnings warnings;
  ASSERT_TRUE(BuildTableFromSource("cdb:" + ours, {}, false).ok());
  ASSERT_EQ(postmap.Run({"cdb:" + theirs}).exit_status, 0);
  EXPECT_EQ(testutil::ReadFileOrDie(ours + ".cdb"), testutil::ReadFileOrDie(theirs + ".cdb"));
  // Debian's postmap -s prints nothing for cdb; we walk the records in file order.
  EXPECT_EQ(Dump(OpenOrDie("cdb:" + theirs).get()), "user@example.com\tu1\ne\xe9\tv\xe9\nk\tv1  v2\nfoo\t1\n");
  EXPECT_EQ(postmap.Run({"-q", "USER@example.com", "cdb:" + ours}).out, "u1\n");
}

}  // namespace
}  // namespace mctable
#endif
