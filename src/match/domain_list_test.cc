// Tests for DomainList.  Behaviours marked "observed" were checked with
// Debian's postmap 3.7.11 (memcache table with "domain = ..." in front of a
// capturing server: a key is sent when its domain matches).
#include "match/domain_list.h"

#include <gtest/gtest.h>

#include <set>

#include "mctable/table_registry.h"
#include "table/table_test_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CapturedWarnings;
using testutil::TempDir;

// "dltest:k1;k2" holds the keys k1 and k2 (exactly as written: the table
// does not fold, so the test sees what DomainList asks for);
// "dltest:error" fails every lookup.  The options of the last open are kept.
OpenOptions last_dltest_options;
std::vector<std::string> dltest_lookups;

class DomainListTestTable : public Table {
 public:
  DomainListTestTable(std::string name, bool fold) : Table("dltest", name), fold_(fold) {
    size_t start = 0;
    while (start <= name.size()) {
      size_t end = name.find(';', start);
      if (end == std::string::npos) end = name.size();
      keys_.insert(name.substr(start, end - start));
      start = end + 1;
    }
  }
  Status Lookup(std::string_view key, std::string* value) override {
    std::string k(key);
    if (fold_)
      for (char& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    dltest_lookups.push_back(k);
    if (name() == "error") return Status::TempError("table dltest:error: lookup failed");
    if (keys_.count(k) == 0) return Status::NotFound();
    *value = "OK";
    return Status::OK();
  }

 private:
  bool fold_;
  std::set<std::string> keys_;
};

Status OpenDomainListTestTable(std::string_view name, const OpenOptions& options,
                               std::unique_ptr<Table>* table) {
  last_dltest_options = options;
  if (name == "missing") return Status::ConfigError("open database missing.db: No such file or directory");
  *table = std::make_unique<DomainListTestTable>(std::string(name), options.fold_keys);
  return Status::OK();
}

MCTABLE_REGISTER_TABLE_TYPE("dltest", OpenDomainListTestTable);

std::unique_ptr<DomainList> CreateOrDie(std::string_view patterns, const OpenOptions& options = {}) {
  std::unique_ptr<DomainList> list;
  Status s = DomainList::Create(patterns, "/etc/postfix/mc.cf", options, &list);
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

TEST(DomainList, TablesAreOpenedReadOnlyAndFoldingEvenUnderNoFold) {
  // Observed: with "postmap -f", lmdb entry y.com still matched u@Y.com.
  OpenOptions options;
  options.fold_keys = false;
  options.read_write = true;
  options.create = true;
  options.truncate = true;
  options.nul_mode = NulMode::kInclude;
  options.config_dir = "/some/dir";
  auto list = CreateOrDie("dltest:y.com", options);
  EXPECT_TRUE(last_dltest_options.fold_keys);
  EXPECT_FALSE(last_dltest_options.read_write);
  EXPECT_FALSE(last_dltest_options.create);
  EXPECT_FALSE(last_dltest_options.truncate);
  EXPECT_EQ(last_dltest_options.nul_mode, NulMode::kTypeDefault);
  EXPECT_EQ(last_dltest_options.config_dir, "/some/dir");
  EXPECT_EQ(MatchOf(list.get(), "Y.com"), "yes");
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
  Status s = DomainList::Create("a.com dltest:missing", "mc", {}, &list);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "open database missing.db: No such file or directory");
  s = DomainList::Create("nosuchtype:/x", "mc", {}, &list);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "unsupported dictionary type: nosuchtype");  // observed
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

TEST(DomainList, InlineTables) {
  if (RegisteredTableTypes().empty()) GTEST_FAIL() << "no table types registered";
  bool have_inline = false;
  for (const std::string& type : RegisteredTableTypes()) have_inline |= type == "inline";
  ASSERT_TRUE(have_inline) << "the inline table type is part of the library";
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
  Status s = DomainList::Create("inline:{a.com, b.com}", "mc", {}, &bad);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(),
            "missing '=' after attribute name: \"inline:{a.com, b.com}\"; need \"inline:{name=value...}\"");
}

}  // namespace
}  // namespace mctable
