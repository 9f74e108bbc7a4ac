// Tests for inline:, static: and fail: (the tables named by their name).
#include <gtest/gtest.h>

#include "testutil/table_util.h"

namespace mctable {
namespace {

using testutil::Dump;
using testutil::LookupOrStatus;
using testutil::OpenOrDie;

TEST(InlineTable, LooksUpPlainAndBracedElements) {
  auto table = OpenOrDie("inline:{k1=v1, {k2 = v 2}, k3=}");
  ASSERT_TRUE(table);
  EXPECT_EQ(LookupOrStatus(table.get(), "k1"), "v1");
  EXPECT_EQ(LookupOrStatus(table.get(), "k2"), "v 2");
  EXPECT_EQ(LookupOrStatus(table.get(), "k3"), "");
  EXPECT_EQ(LookupOrStatus(table.get(), "k4"), "<not found>");
  EXPECT_EQ(Dump(table.get()), "k1\tv1\nk2\tv 2\nk3\t\n");
}

TEST(InlineTable, FoldsKeysUnlessTold) {
  auto folded = OpenOrDie("inline:{Key=v}");
  EXPECT_EQ(LookupOrStatus(folded.get(), "KEY"), "v");
  EXPECT_EQ(Dump(folded.get()), "key\tv\n");
  OpenOptions exact;
  exact.fold_keys = false;
  auto unfolded = OpenOrDie("inline:{Key=v}", exact);
  EXPECT_EQ(LookupOrStatus(unfolded.get(), "key"), "<not found>");
  EXPECT_EQ(LookupOrStatus(unfolded.get(), "Key"), "v");
}

TEST(InlineTable, LaterDuplicateWins) {
  auto table = OpenOrDie("inline:{a=1, A=2}");
  EXPECT_EQ(LookupOrStatus(table.get(), "a"), "2");
}

TEST(InlineTable, SyntaxErrorsUsePostfixWording) {
  std::unique_ptr<Table> table;
  struct Case {
    const char* name;
    const char* message;
  } cases[] = {
      {"inline:{}", "bad syntax: \"inline:{}\"; need \"inline:{name=value...}\""},
      {"inline:{ {a=b}", "bad syntax: \"inline:{ {a=b}\"; need \"inline:{name=value...}\""},
      {"inline:{a=b}x", "bad syntax: \"inline:{a=b}x\"; need \"inline:{name=value...}\""},
      {"inline:{k1 = v1}",
       "missing '=' after attribute name: \"inline:{k1 = v1}\"; need \"inline:{name=value...}\""},
      {"inline:{{a=b}x}",
       "syntax error after '}' in \"{a=b}x\": \"inline:{{a=b}x}\"; need \"inline:{name=value...}\""},
      {"inline:{ }", "empty table: \"inline:{ }\"; need \"inline:{name=value...}\""},
  };
  for (const Case& c : cases) {
    Status status = OpenTable(c.name, {}, &table);
    EXPECT_TRUE(status.IsConfigError()) << c.name;
    EXPECT_EQ(status.message(), c.message);
  }
}

TEST(InlineTable, RefusesWriting) {
  std::unique_ptr<Table> table;
  OpenOptions rw;
  rw.read_write = true;
  Status status = OpenTable("inline:{a=b}", rw, &table);
  EXPECT_TRUE(status.IsRefused());
  EXPECT_EQ(status.message(), "inline:{a=b} map requires O_RDONLY access mode");
  auto ro = OpenOrDie("inline:{a=b}");
  EXPECT_TRUE(ro->Update("a", "c").IsNotSupported());
  EXPECT_TRUE(ro->Delete("a").IsNotSupported());
}

TEST(StaticTable, ReturnsItsNameForEveryKey) {
  auto table = OpenOrDie("static:OK");
  EXPECT_EQ(LookupOrStatus(table.get(), "anything"), "OK");
  EXPECT_EQ(LookupOrStatus(table.get(), ""), "OK");
  auto spaced = OpenOrDie("static:{ with space }");
  EXPECT_EQ(LookupOrStatus(spaced.get(), "x"), "with space");
  std::string key, value;
  Status s = table->Sequence(SequenceOp::kFirst, &key, &value);
  EXPECT_TRUE(s.IsNotSupported());
  EXPECT_EQ(s.message(), "table static:OK: sequence operation is not supported");
  EXPECT_TRUE(table->Update("a", "b").IsNotSupported());
}

TEST(StaticTable, BadBraces) {
  std::unique_ptr<Table> table;
  Status status = OpenTable("static:{abc", {}, &table);
  EXPECT_TRUE(status.IsConfigError());
  EXPECT_EQ(status.message(), "bad static:name syntax: missing '}' in \"{abc\"");
}

TEST(FailTable, EveryOperationIsATemporaryError) {
  OpenOptions rw;
  rw.read_write = true;
  auto table = OpenOrDie("fail:down", rw);
  std::string key, value;
  Status lookup = table->Lookup("a", &value);
  EXPECT_TRUE(lookup.IsTempError());
  EXPECT_NE(lookup.message().find("fail:down"), std::string::npos);
  EXPECT_TRUE(table->Update("a", "b").IsTempError());
  EXPECT_TRUE(table->Delete("a").IsTempError());
  EXPECT_TRUE(table->Sequence(SequenceOp::kFirst, &key, &value).IsTempError());
  std::vector<LookupResult> results;
  std::vector<std::string> keys = {"a", "b"};
  table->LookupMany(keys, &results);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[1].status.IsTempError());
}

}  // namespace
}  // namespace mctable
