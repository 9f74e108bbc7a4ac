// Tests for the table layer's opener of domain-list tables.
#include "table/listed_table.h"

#include <gtest/gtest.h>

#include "testutil/testutil.h"

namespace mctable {
namespace {

std::unique_ptr<DomainList> CreateOrDie(std::string_view patterns) {
  std::unique_ptr<DomainList> list;
  Status s = DomainList::Create(patterns, "/etc/postfix/mc.cf", ListedTableOpenerFor({}), &list);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return list;
}

std::string MatchOf(const DomainList* list, std::string_view domain) {
  if (list == nullptr) return "<no list>";
  bool matched = true;
  Status s = list->Match(domain, &matched);
  if (!s.ok()) return "<" + s.ToString() + ">";
  return matched ? "yes" : "no";
}

TEST(ListedTable, OpenedReadOnlyAndFoldingEvenUnderNoFold) {
  // Observed: with "postmap -f", lmdb entry y.com still matched u@Y.com.
  OpenOptions parent;
  parent.fold_keys = false;
  parent.read_write = true;
  parent.create = true;
  parent.truncate = true;
  parent.nul_mode = NulMode::kInclude;
  parent.config_dir = "/some/dir";
  OpenOptions options = ListedTableOptions(parent);
  EXPECT_TRUE(options.fold_keys);
  EXPECT_FALSE(options.read_write);
  EXPECT_FALSE(options.create);
  EXPECT_FALSE(options.truncate);
  EXPECT_EQ(options.nul_mode, NulMode::kTypeDefault);
  EXPECT_EQ(options.config_dir, "/some/dir");
  OpenOptions no_fold;
  no_fold.fold_keys = false;
  std::unique_ptr<DomainList> list;
  ASSERT_TRUE(DomainList::Create("inline:{y.com=1}", "mc", ListedTableOpenerFor(no_fold), &list).ok());
  EXPECT_EQ(MatchOf(list.get(), "Y.com"), "yes");
}

TEST(ListedTable, UnknownTypeIsAConfigError) {
  std::unique_ptr<DomainList> list;
  Status s = DomainList::Create("nosuchtype:/x", "mc", ListedTableOpenerFor({}), &list);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "unsupported dictionary type: nosuchtype");  // observed
}

TEST(ListedTable, InlineTablesInADomainList) {
  ASSERT_TRUE(testutil::HaveTableType("inline")) << "the inline table type is part of the library";
  // Observed: "inline:{a.com=1, b.com=1} example.com" sends u@b.com and
  // u@example.com; "!inline:{a.com=1} a.com" skips u@a.com.
  auto list = CreateOrDie("inline:{a.com=1, b.com=1} example.com");
  EXPECT_EQ(MatchOf(list.get(), "b.com"), "yes");
  EXPECT_EQ(MatchOf(list.get(), "example.com"), "yes");
  EXPECT_EQ(MatchOf(list.get(), "c.com"), "no");
  EXPECT_EQ(MatchOf(CreateOrDie("!inline:{a.com=1} a.com").get(), "a.com"), "no");
  EXPECT_EQ(MatchOf(CreateOrDie("!inline:{a.com=1} b.com").get(), "b.com"), "yes");
  EXPECT_EQ(MatchOf(CreateOrDie("inline:{ a.com=1 , { b.com = x y } }").get(), "b.com"), "yes");
  EXPECT_EQ(MatchOf(CreateOrDie("inline:{a.com=1},example.com").get(), "example.com"), "yes");
  // Postfix's inline needs name=value: "inline:{a.com, b.com}" is refused.
  std::unique_ptr<DomainList> bad;
  Status s = DomainList::Create("inline:{a.com, b.com}", "mc", ListedTableOpenerFor({}), &bad);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(),
            "missing '=' after attribute name: \"inline:{a.com, b.com}\"; need \"inline:{name=value...}\"");
}

}  // namespace
}  // namespace mctable
