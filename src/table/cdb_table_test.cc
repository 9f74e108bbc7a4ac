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

}  // namespace
}  // namespace mctable
#endif
