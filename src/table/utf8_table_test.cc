// Tests for the UTF-8 layer (utf8_table.h) and UTF-8 key folding through
// OpenTable with OpenOptions::utf8, on lmdb and inline tables.
#include "table/utf8_table.h"

#include <gtest/gtest.h>

#include <memory>

#include "mctable/table_registry.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CapturedWarnings;
using testutil::LookupOrStatus;
using testutil::TempDir;

OpenOptions Utf8(OpenOptions options) {
  options.utf8 = true;
  return options;
}

TEST(Utf8Table, KeysFoldWithUnicodeRules) {
  TempDir dir;
  std::string name = "lmdb:" + dir.path() + "/t";
  auto table = testutil::OpenOrDie(name, Utf8(testutil::BuildOptions()));
  EXPECT_OK(table->Update("ÄBC@Example.COM", "v1"));
  EXPECT_OK(table->Update("ẞ", "v2"));
  EXPECT_EQ(LookupOrStatus(table.get(), "äbc@example.com"), "v1");
  EXPECT_EQ(LookupOrStatus(table.get(), "SS"), "v2");
  EXPECT_EQ(testutil::Dump(table.get()), "ss\tv2\näbc@example.com\tv1\n");
  EXPECT_OK(table->Delete("Äbc@EXAMPLE.com"));
  EXPECT_EQ(LookupOrStatus(table.get(), "äbc@example.com"), "<not found>");
}

// A table that has done work behind its lookups (as a memcache table with
// a backup does), to see that the layer in front reports it.
class BusyTable : public Table {
 public:
  BusyTable() : Table("busy", "t") {}
  Status Lookup(std::string_view, std::string*) override { return Status::NotFound(); }
  TableCounters counters() const override { return {7, 5}; }
};

TEST(Utf8Table, CountersAreTheInnerTables) {
  auto table = WithUtf8Checks(std::make_unique<BusyTable>());
  EXPECT_EQ(table->full_name(), "busy:t");
  EXPECT_EQ(table->counters().backup_lookups, 7u);
  EXPECT_EQ(table->counters().cache_fills, 5u) << "smtputf8_enable = yes hid backup_fills";
}

TEST(Utf8Table, WithoutUtf8OnlyAsciiFolds) {
  TempDir dir;
  auto table = testutil::OpenOrDie("lmdb:" + dir.path() + "/t", testutil::BuildOptions());
  EXPECT_OK(table->Update("ÄBC", "v1"));
  EXPECT_EQ(testutil::Dump(table.get()), "\xc3\x84" "bc\tv1\n");
  EXPECT_EQ(LookupOrStatus(table.get(), "äbc"), "<not found>");
}

TEST(Utf8Table, MalformedKeysAreSkippedWithPostfixWarning) {
  TempDir dir;
  auto table = testutil::OpenOrDie("lmdb:" + dir.path() + "/t", Utf8(testutil::BuildOptions()));
  CapturedWarnings warnings;
  std::string value;
  Status s = table->Update("bad\xc3x", "v");
  EXPECT_TRUE(s.IsRefused()) << s.ToString();
  EXPECT_TRUE(table->Lookup("bad\xc3x", &value).IsNotFound());
  EXPECT_TRUE(table->Delete("bad\xc3x").IsNotFound());
  s = table->Update("good", "v\xff");
  EXPECT_TRUE(s.IsRefused()) << s.ToString();
  EXPECT_EQ(testutil::Dump(table.get()), "");
  ASSERT_EQ(warnings.lines().size(), 4u) << warnings.joined();
  EXPECT_EQ(warnings.lines()[0],
            "lmdb:" + dir.path() + "/t: non-UTF-8 key \"bad\\xc3x\": malformed UTF-8 or invalid codepoint");
  EXPECT_EQ(warnings.lines()[3], "lmdb:" + dir.path() +
                                     "/t: key \"good\": non-UTF-8 value \"v\\xff\": malformed UTF-8 "
                                     "or invalid codepoint");
}

TEST(Utf8Table, MalformedStoredValueIsAConfigError) {
  TempDir dir;
  std::string name = "lmdb:" + dir.path() + "/t";
  {
    auto writer = testutil::OpenOrDie(name, testutil::BuildOptions());
    EXPECT_OK(writer->Update("k", "v\xff"));
    EXPECT_OK(writer->Update("ok", "fine"));
    EXPECT_OK(writer->Close());
  }
  auto table = testutil::OpenOrDie(name, Utf8(OpenOptions()));
  CapturedWarnings warnings;
  std::string value;
  EXPECT_TRUE(table->Lookup("k", &value).IsConfigError());
  std::vector<std::string> keys = {"k", "ok", "x\xff", "none"};
  std::vector<LookupResult> results;
  table->LookupMany(keys, &results);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results[0].status.IsConfigError());
  EXPECT_TRUE(results[1].status.ok());
  EXPECT_EQ(results[1].value, "fine");
  EXPECT_TRUE(results[2].status.IsNotFound());
  EXPECT_TRUE(results[3].status.IsNotFound());
  EXPECT_EQ(warnings.lines().size(), 3u) << warnings.joined();
}

TEST(Utf8Table, BatchUpdateStoresTheValidEntries) {
  TempDir dir;
  auto table = testutil::OpenOrDie("lmdb:" + dir.path() + "/t", Utf8(testutil::BuildOptions()));
  CapturedWarnings warnings;
  std::vector<KeyValue> entries = {{"A", "1"}, {"b\xff", "2"}, {"Ä", "3"}, {"c", "\xfe"}};
  std::vector<Status> results;
  table->UpdateMany(entries, &results);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(results[1].IsRefused());
  EXPECT_TRUE(results[2].ok());
  EXPECT_TRUE(results[3].IsRefused());
  EXPECT_EQ(testutil::Dump(table.get()), "a\t1\nä\t3\n");
  std::vector<std::string> doomed = {"a", "\xff", "ä"};
  table->DeleteMany(doomed, &results);
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(results[1].IsNotFound());
  EXPECT_TRUE(results[2].ok());
}

TEST(Utf8Table, InlineAndTexthashFoldAtLoad) {
  TempDir dir;
  auto inline_table = testutil::OpenOrDie("inline:{ÄBC=v1, ẞ=v2}", Utf8(OpenOptions()));
  EXPECT_EQ(LookupOrStatus(inline_table.get(), "äbc"), "v1");
  EXPECT_EQ(LookupOrStatus(inline_table.get(), "ss"), "v2");
  std::string source = dir.WriteFile("th", "ΟΔΟΣ v3\nbad\xc3x v4\n");
  CapturedWarnings warnings;
  auto texthash = testutil::OpenOrDie("texthash:" + source, Utf8(OpenOptions()));
  EXPECT_EQ(LookupOrStatus(texthash.get(), "οδος"), "v3");
  EXPECT_EQ(warnings.joined(),
            source + ", line 2: non-UTF-8 input \"bad\\xc3x v4\" -- ignoring this line\n");
}

}  // namespace
}  // namespace mctable
