// Tests for DomainList.  Behaviours marked "observed" were checked with
// Debian's postmap 3.7.11 (memcache table with "domain = ..." in front of a
// capturing server: a key is sent when its domain matches).
#include "match/domain_list.h"

#include <gtest/gtest.h>

#include <set>

#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CapturedWarnings;
using testutil::TempDir;

// "dltest:k1;k2" holds the keys k1 and k2, exactly as written (no folding,
// so the test sees what DomainList asks for); "dltest:error" fails every
// lookup; "dltest:missing" cannot be opened.
std::vector<std::string> dltest_lookups;

class DomainListTestTable : public ListedTable {
 public:
  explicit DomainListTestTable(std::string name) : name_(std::move(name)) {
    size_t start = 0;
    while (start <= name_.size()) {
      size_t end = name_.find(';', start);
      if (end == std::string::npos) end = name_.size();
      keys_.insert(name_.substr(start, end - start));
      start = end + 1;
    }
  }
  Status Find(std::string_view key) override {
    dltest_lookups.emplace_back(key);
    if (name_ == "error") return Status::TempError("table dltest:error: lookup failed");
    return keys_.count(std::string(key)) != 0 ? Status::OK() : Status::NotFound();
  }
  std::string full_name() const override { return "dltest:" + name_; }

 private:
  std::string name_;
  std::set<std::string> keys_;
};

Status OpenDomainListTestTable(std::string_view type_and_name, std::unique_ptr<ListedTable>* table) {
  if (type_and_name.substr(0, 7) != "dltest:")
    return Status::ConfigError("unsupported dictionary type: " +
                               std::string(type_and_name.substr(0, type_and_name.find(':'))));
  std::string_view name = type_and_name.substr(7);
  if (name == "missing") return Status::ConfigError("open database missing.db: No such file or directory");
  *table = std::make_unique<DomainListTestTable>(std::string(name));
  return Status::OK();
}

std::unique_ptr<DomainList> CreateOrDie(std::string_view patterns) {
  std::unique_ptr<DomainList> list;
  Status s = DomainList::Create(patterns, "/etc/postfix/mc.cf", OpenDomainListTestTable, &list);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return list;
}

// "yes", "no" or the error.
std::string MatchOf(const DomainList* list, std::string_view domain) {
  if (list == nullptr) return "<no list>";
  bool matched = true;
  Status s = list->Match(domain, &matched);
  if (!s.ok()) return "<" + s.ToString() + ">";
  return matched ? "yes" : "no";
}

TEST(DomainList, ExactCaseInsensitiveNamesOnly) {
  auto list = CreateOrDie("EXAMPLE.com");
  EXPECT_EQ(MatchOf(list.get(), "example.com"), "yes");
  EXPECT_EQ(MatchOf(list.get(), "Example.COM"), "yes");  // observed with postmap -f
  EXPECT_EQ(MatchOf(list.get(), "mail.example.com"), "no");
  EXPECT_EQ(MatchOf(list.get(), "example.com."), "no");
  EXPECT_EQ(MatchOf(list.get(), "com"), "no");
  EXPECT_EQ(MatchOf(list.get(), ""), "no");
  // Neither a leading dot nor a wildcard means "subdomains".
  EXPECT_EQ(MatchOf(CreateOrDie(".example.com").get(), "mail.example.com"), "no");
  EXPECT_EQ(MatchOf(CreateOrDie("*").get(), "a.com"), "no");
  EXPECT_EQ(MatchOf(CreateOrDie("[a.com]").get(), "a.com"), "no");
}

TEST(DomainList, SeparatorsAreCommasAndWhitespace) {
  auto list = CreateOrDie(" a.com,,b.com\tc.com\r\nd.com , ");
  for (const char* domain : {"a.com", "b.com", "c.com", "d.com"}) EXPECT_EQ(MatchOf(list.get(), domain), "yes");
  EXPECT_EQ(MatchOf(list.get(), "e.com"), "no");
  EXPECT_EQ(MatchOf(CreateOrDie(", ,").get(), "a.com"), "no");
}

TEST(DomainList, NegationStopsTheSearch) {
  // Observed: "!example.com, example.com" skips, "example.com, !example.com"
  // sends, "!!example.com" sends, "!other.com" alone skips.
  EXPECT_EQ(MatchOf(CreateOrDie("!example.com, example.com").get(), "example.com"), "no");
  EXPECT_EQ(MatchOf(CreateOrDie("example.com, !example.com").get(), "example.com"), "yes");
  EXPECT_EQ(MatchOf(CreateOrDie("!!example.com").get(), "example.com"), "yes");
  EXPECT_EQ(MatchOf(CreateOrDie("!other.com").get(), "example.com"), "no");
  EXPECT_EQ(MatchOf(CreateOrDie("!other.com example.com").get(), "example.com"), "yes");
  auto list = CreateOrDie("!mail.example.com example.com mail.example.com");
  EXPECT_EQ(MatchOf(list.get(), "mail.example.com"), "no");
  EXPECT_EQ(MatchOf(list.get(), "example.com"), "yes");
}

TEST(DomainList, BareNegationIsAnError) {
  std::unique_ptr<DomainList> list;
  Status s = DomainList::Create("a.com !", "/tmp/cfgexp/dom.cf", {}, &list);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "/tmp/cfgexp/dom.cf: no pattern after '!'");  // observed
  EXPECT_FALSE(list);
}

TEST(DomainList, PatternFiles) {
  TempDir dir;
  std::string file = dir.WriteFile("domains", "a.com b.com\n# comment\nc.com, d.com\n  e.com\n!f.com\nf.com\n");
  auto list = CreateOrDie(file);
  for (const char* domain : {"a.com", "b.com", "c.com", "d.com", "e.com"})
    EXPECT_EQ(MatchOf(list.get(), domain), "yes") << domain;
  EXPECT_EQ(MatchOf(list.get(), "f.com"), "no");
  EXPECT_EQ(MatchOf(list.get(), "comment"), "no");

  // Observed: "!FILE example.com" negates each pattern of the file, so the
  // file's own "!f.com" becomes a positive match.
  auto negated = CreateOrDie("!" + file + " example.com");
  EXPECT_EQ(MatchOf(negated.get(), "a.com"), "no");
  EXPECT_EQ(MatchOf(negated.get(), "example.com"), "yes");
  EXPECT_EQ(MatchOf(negated.get(), "f.com"), "yes");
}

TEST(DomainList, NestedPatternFiles) {
  TempDir dir;
  std::string inner = dir.WriteFile("inner", "inner.com\n");
  std::string outer = dir.WriteFile("outer", "outer.com " + inner + "\n");
  auto list = CreateOrDie(outer);
  EXPECT_EQ(MatchOf(list.get(), "inner.com"), "yes");
  EXPECT_EQ(MatchOf(list.get(), "outer.com"), "yes");

  std::string loop = dir.path() + "/loop";
  dir.WriteFile("loop", loop + "\n");
  std::unique_ptr<DomainList> looping;
  Status s = DomainList::Create(loop, "mc", {}, &looping);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_NE(s.message().find("open file " + loop + ": pattern files nested"), std::string::npos)
      << s.message();
}

TEST(DomainList, MissingFileIsAConfigErrorNamingIt) {
  std::unique_ptr<DomainList> list;
  Status s = DomainList::Create("a.com /tmp/cfgexp-no-such-dir/none.txt", "mc", {}, &list);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "open file /tmp/cfgexp-no-such-dir/none.txt: No such file or directory");
}

TEST(DomainList, DirectoryIsAReadError) {
  // Observed: "fatal: match_list_parse: read file /tmp/cfgexp/dd: Is a directory".
  TempDir dir;
  std::unique_ptr<DomainList> list;
  Status s = DomainList::Create(dir.path(), "mc", {}, &list);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "match_list_parse: read file " + dir.path() + ": Is a directory");
}

TEST(DomainList, PatternFileWithoutFinalNewlineOrWithCrLf) {
  TempDir dir;
  std::string file = dir.WriteFile("domains", "a.com\r\nb.com");
  auto list = CreateOrDie(file);
  EXPECT_EQ(MatchOf(list.get(), "a.com"), "yes");
  EXPECT_EQ(MatchOf(list.get(), "b.com"), "yes");
}

TEST(DomainList, CommentInTheListEndsTheLineWithAWarning) {
  CapturedWarnings warnings;
  auto list = CreateOrDie("a.com #c b.com");
  EXPECT_EQ(MatchOf(list.get(), "a.com"), "yes");
  EXPECT_EQ(MatchOf(list.get(), "b.com"), "no");
  ASSERT_EQ(warnings.lines().size(), 1u);
  EXPECT_EQ(warnings.lines()[0], "/etc/postfix/mc.cf: comment at end of line is not supported: #c b.com");

  TempDir dir;
  std::string file = dir.WriteFile("domains", "c.com, d.com # trailing\ne.com\n");
  CapturedWarnings file_warnings;
  auto from_file = CreateOrDie(file);
  EXPECT_EQ(MatchOf(from_file.get(), "d.com"), "yes");
  EXPECT_EQ(MatchOf(from_file.get(), "trailing"), "no");
  EXPECT_EQ(MatchOf(from_file.get(), "e.com"), "yes");
  ASSERT_EQ(file_warnings.lines().size(), 1u);
  EXPECT_EQ(file_warnings.lines()[0], "/etc/postfix/mc.cf: comment at end of line is not supported: # trailing");
}

TEST(DomainList, TablesAreLookedUpWithTheDomain) {
  dltest_lookups.clear();
  auto list = CreateOrDie("dltest:y.com;z.com b.com");
  EXPECT_EQ(MatchOf(list.get(), "y.com"), "yes");
  EXPECT_EQ(MatchOf(list.get(), "b.com"), "yes");
  EXPECT_EQ(MatchOf(list.get(), "x.com"), "no");
  EXPECT_EQ(dltest_lookups, (std::vector<std::string>{"y.com", "b.com", "x.com"}));
}

TEST(DomainList, NegatedTables) {
  auto list = CreateOrDie("!dltest:a.com a.com b.com");
  EXPECT_EQ(MatchOf(list.get(), "a.com"), "no");
  EXPECT_EQ(MatchOf(list.get(), "b.com"), "yes");
}

TEST(DomainList, TableErrorsFailTheMatch) {
  // Observed: "warning: FILE: fail:x: table lookup problem", then the lookup
  // fails, also when the failing table is negated.
  for (const char* patterns : {"dltest:error a.com", "!dltest:error a.com"}) {
    CapturedWarnings warnings;
    auto list = CreateOrDie(patterns);
    bool matched = true;
    Status s = list->Match("a.com", &matched);
    EXPECT_TRUE(s.IsTempError()) << patterns;
    EXPECT_EQ(s.message(), "table dltest:error: lookup failed");
    EXPECT_FALSE(matched);
    ASSERT_EQ(warnings.lines().size(), 1u);
    EXPECT_EQ(warnings.lines()[0], "/etc/postfix/mc.cf: dltest:error: table lookup problem");
  }
  // A name pattern before the failing table decides first.
  EXPECT_EQ(MatchOf(CreateOrDie("a.com dltest:error").get(), "a.com"), "yes");
}

TEST(DomainList, TableOpenErrorsAreConfigErrors) {
  std::unique_ptr<DomainList> list;
  Status s = DomainList::Create("a.com dltest:missing", "mc", OpenDomainListTestTable, &list);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "open database missing.db: No such file or directory");
  s = DomainList::Create("a.com dltest:x", "mc", ListedTableOpener(), &list);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "mc: table patterns are not available here: dltest:x");
}

TEST(DomainList, BracesKeepSeparatorsInsideOnePattern) {
  // dltest keeps the whole name; a name with ", " inside braces shows that
  // the list did not split it.
  dltest_lookups.clear();
  auto list = CreateOrDie("dltest:{a.com, b.com},c.com");
  EXPECT_EQ(MatchOf(list.get(), "c.com"), "yes");
  EXPECT_EQ(MatchOf(list.get(), "{a.com, b.com}"), "yes");
  // Observed: braces in a name pattern are literal and so never match.
  EXPECT_EQ(MatchOf(CreateOrDie("{a.com} b.com").get(), "a.com"), "no");
  EXPECT_EQ(MatchOf(CreateOrDie("{a.com} b.com").get(), "b.com"), "yes");
  EXPECT_EQ(MatchOf(CreateOrDie("{a.com b.com}").get(), "b.com"), "no");
}

}  // namespace
}  // namespace mctable
