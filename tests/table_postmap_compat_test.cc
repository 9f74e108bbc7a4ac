// Tables of each type against Debian's postmap 3.7: a table built by one
// program reads identically in the other, lookups agree, and the two can
// share a file.  (Integration: runs postmap; tests/backup_compat_test.cc
// covers the same for large tables behind a memcache table.)
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "mctable/table.h"
#include "table/build_table.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::BuildOptions;
using testutil::CapturedWarnings;
using testutil::Dump;
using testutil::LookupOrStatus;
using testutil::OpenOrDie;

TEST(LmdbTable, PostmapBuiltTableReadsIdentically) {
  testutil::Postmap postmap;
  if (!postmap.available()) GTEST_SKIP() << "Debian postmap not installed (/usr/sbin/postmap)";
  testutil::TempDir dir;
  std::string src = dir.WriteFile("src", "User@Example.COM u1\nE\xe9 v\xe9\nk v1\n  v2\nz 9\n");
  auto built = postmap.Run({"lmdb:" + src});
  ASSERT_EQ(built.exit_status, 0) << built.err;
  auto table = OpenOrDie("lmdb:" + src);
  auto dump = postmap.Run({"-s", "lmdb:" + src});
  EXPECT_EQ(Dump(table.get()), dump.out);
  for (std::string key : {"user@example.com", "USER@example.com", "E\xe9", "k", "nope"}) {
    auto result = postmap.Run({"-q", key, "lmdb:" + src});
    std::string ours = LookupOrStatus(table.get(), key);
    if (result.exit_status == 0)
      EXPECT_EQ(result.out, ours + "\n") << key;
    else
      EXPECT_EQ(ours, "<not found>") << key;
  }
}

TEST(LmdbTable, OurTableReadsIdenticallyInPostmap) {
  testutil::Postmap postmap;
  if (!postmap.available()) GTEST_SKIP() << "Debian postmap not installed (/usr/sbin/postmap)";
  testutil::TempDir dir;
  for (NulMode mode : {NulMode::kTypeDefault, NulMode::kOmit}) {
    std::string name = "lmdb:" + dir.path() + (mode == NulMode::kOmit ? "/omit" : "/default");
    OpenOptions options = BuildOptions();
    options.nul_mode = mode;
    auto table = OpenOrDie(name, options);
    EXPECT_OK(table->Update("User@Example.COM", "u1"));
    EXPECT_OK(table->Update("E\xe9", "v\xe9 \xff"));
    EXPECT_OK(table->Update("empty", ""));
    ASSERT_TRUE(table->Close().ok());
    auto dump = postmap.Run({"-s", name});
    EXPECT_EQ(dump.out, "empty\t\ne\xe9\tv\xe9 \xff\nuser@example.com\tu1\n");  // bytewise order
    auto q = postmap.Run({"-q", "USER@EXAMPLE.COM", name});
    EXPECT_EQ(q.out, "u1\n");
    // postmap -d on our file, then we see the deletion.
    auto del = postmap.Run({"-d", "e\xe9", name});
    EXPECT_EQ(del.exit_status, 0) << del.err;
    EXPECT_EQ(LookupOrStatus(OpenOrDie(name).get(), "e\xe9"), "<not found>");
  }
}

TEST(LmdbTable, SharesTheFileWithPostmapIncrementalUpdates) {
  testutil::Postmap postmap;
  if (!postmap.available()) GTEST_SKIP() << "Debian postmap not installed (/usr/sbin/postmap)";
  testutil::TempDir dir;
  std::string name = "lmdb:" + dir.path() + "/map";
  auto table = OpenOrDie(name, BuildOptions());
  EXPECT_OK(table->Update("a", "1"));
  ASSERT_TRUE(table->Close().ok());
  auto reader = OpenOrDie(name);
  EXPECT_EQ(LookupOrStatus(reader.get(), "b"), "<not found>");
  auto added = postmap.Run({"-i", name}, "b 2\n");
  ASSERT_EQ(added.exit_status, 0) << added.err;
  EXPECT_EQ(LookupOrStatus(reader.get(), "b"), "2");  // same open table sees the update
}

TEST(TexthashTable, AgreesWithPostmap) {
  testutil::Postmap postmap;
  if (!postmap.available()) GTEST_SKIP() << "Debian postmap not installed (/usr/sbin/postmap)";
  testutil::TempDir dir;
  std::string path =
      dir.WriteFile("src", "User@Example.COM u1\n\"a b\"@x q\nE\xe9 v\xe9\nk v1\n  v2\nk2: z\n");
  CapturedWarnings warnings;
  auto table = OpenOrDie("texthash:" + path);
  for (std::string key : {"user@example.com", "USER@EXAMPLE.COM", "\"a b\"@x", "e\xe9", "k", "k2:", "nope"}) {
    auto result = postmap.Run({"-q", key, "texthash:" + path});
    std::string ours = LookupOrStatus(table.get(), key);
    if (result.exit_status == 0)
      EXPECT_EQ(result.out, ours + "\n") << key;
    else
      EXPECT_EQ(ours, "<not found>") << key << " " << result.err;
  }
}

TEST(InlineTable, AgreesWithPostmap) {
  testutil::Postmap postmap;
  if (!postmap.available()) GTEST_SKIP() << "Debian postmap not installed (/usr/sbin/postmap)";
  const std::string name = "inline:{K1=v1, {k2 = v 2}}";
  auto table = OpenOrDie(name);
  for (std::string key : {"k1", "K2", "k3"}) {
    auto result = postmap.Run({"-q", key, name});
    std::string ours = LookupOrStatus(table.get(), key);
    if (result.exit_status == 0)
      EXPECT_EQ(result.out, ours + "\n") << key;
    else
      EXPECT_EQ(ours, "<not found>") << key;
  }
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

#ifdef MCTABLE_HAVE_CDB
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

#endif  // MCTABLE_HAVE_CDB

#ifdef MCTABLE_HAVE_BDB
// cdb resolves duplicates after the records are written (cdb_table.cc),
// hash and btree write their records sorted (sorted_spool.h): the tables
// must still hold what postmap's hold (cdb: the same file byte for byte),
// with postmap's warnings in postmap's order, in each duplicate mode, for
// keys that share a hash without being equal, for more repeated keys than
// cdb keeps a set of, and for more records than one sorted run holds.
struct BuildDuplicateCase {
  const char* type;
  const char* postmap_flag;
  DuplicateMode mode;
};

// Without it GoogleTest prints the struct's bytes, padding included, which
// valgrind rightly reports as uninitialised.
void PrintTo(const BuildDuplicateCase& c, std::ostream* os) { *os << c.type << " " << c.postmap_flag; }

class BuildDuplicatesTest : public ::testing::TestWithParam<BuildDuplicateCase> {
 protected:
  void ExpectSameAsPostmap(const std::string& text) {
    testutil::Postmap postmap;
    if (!postmap.available()) GTEST_SKIP() << "Debian postmap not installed (/usr/sbin/postmap)";
    const std::string type = GetParam().type;
    testutil::TempDir dir;
    std::string ours = dir.WriteFile("ours", text);
    std::string theirs = dir.WriteFile("theirs", text);
    OpenOptions options;
    options.duplicates = GetParam().mode;
    CapturedWarnings warnings;
    ASSERT_TRUE(BuildTableFromSource(type + ":" + ours, options, false).ok());
    std::vector<std::string> args;
    if (*GetParam().postmap_flag != '\0') args.push_back(GetParam().postmap_flag);
    args.push_back(type + ":" + theirs);
    auto built = postmap.Run(args);
    ASSERT_EQ(built.exit_status, 0) << built.err;
    if (type == "cdb") {
      EXPECT_TRUE(testutil::ReadFileOrDie(ours + ".cdb") == testutil::ReadFileOrDie(theirs + ".cdb"))
          << "the cdb files differ";
    } else {
      // hash walks in page order, which need not be postmap's: compare sorted.
      auto sorted_dump = [&](const std::string& source) {
        std::string out = postmap.Run({"-s", type + ":" + source}).out;
        std::vector<std::string> lines;
        for (size_t at = 0, nl; at < out.size(); at = nl + 1) {
          nl = out.find('\n', at);
          if (nl == std::string::npos) nl = out.size();
          lines.push_back(out.substr(at, nl - at));
        }
        std::sort(lines.begin(), lines.end());
        return lines;
      };
      std::vector<std::string> our_lines = sorted_dump(ours), their_lines = sorted_dump(theirs);
      EXPECT_GT(our_lines.size(), 100u);
      EXPECT_TRUE(our_lines == their_lines) << "the tables differ";
    }
    std::string their_warnings = built.err;
    std::string our_warnings;
    for (const auto& line : warnings.lines()) our_warnings += "postmap: warning: " + line + "\n";
    size_t at;
    while ((at = their_warnings.find("theirs")) != std::string::npos) their_warnings.replace(at, 6, "ours");
    EXPECT_TRUE(our_warnings == their_warnings) << our_warnings.substr(0, 500) << "---\n"
                                                << their_warnings.substr(0, 500);
  }
};

TEST_P(BuildDuplicatesTest, RepeatedAndCollidingKeysAsPostmap) {
  // "$<", "&~" and "'_" have the same cdb hash, so these keys share one.
  const char* const colliding[] = {"$<", "&~", "'_"};
  std::string text;
  for (int i = 0; i < 6000; ++i) {
    const int k = (i * 7919) % 4000;  // 2000 of the 4000 keys come twice
    text += "user" + std::to_string(k) + "@example.com v" + std::to_string(i) + "\n";
    if (i % 500 == 0) text += "USER" + std::to_string(k) + "@Example.COM upper" + std::to_string(i) + "\n";
    if (i % 100 == 0) text += std::string("c") + colliding[i / 100 % 3] + std::to_string(i / 300) + " h" +
                              std::to_string(i) + "\n";
  }
  ExpectSameAsPostmap(text);
}

TEST_P(BuildDuplicatesTest, ManyRepeatedKeysAsPostmap) {
  std::string text;
  for (int round = 0; round < 2; ++round)
    for (int k = 0; k < 1500; ++k) text += "k" + std::to_string(k) + " r" + std::to_string(round) + "\n";
  ExpectSameAsPostmap(text);
}

TEST_P(BuildDuplicatesTest, MoreRecordsThanOneSortedRunAsPostmap) {
  // About 11 MB of records, more than one 8 MB run, so a hash or btree
  // build merges runs from its spool file; every 1600th line repeats an
  // earlier key (often one in an earlier run).
  std::string text;
  for (int i = 0; i < 160000; ++i) {
    const int k = i % 1600 == 0 && i > 0 ? (i * 7919) % i : i;
    text += "user" + std::to_string(k) + "@a-rather-long-domain-name.example.com value-" + std::to_string(i) +
            "@mail.example.net\n";
  }
  ExpectSameAsPostmap(text);
}

std::string CaseName(const ::testing::TestParamInfo<BuildDuplicateCase>& test) {
  return std::string(test.param.type) + "_" +
         (test.param.mode == DuplicateMode::kWarn      ? "warn"
          : test.param.mode == DuplicateMode::kReplace ? "replace"
                                                       : "ignore");
}

INSTANTIATE_TEST_SUITE_P(
    Modes, BuildDuplicatesTest,
    ::testing::Values(
#ifdef MCTABLE_HAVE_CDB
        BuildDuplicateCase{"cdb", "", DuplicateMode::kWarn}, BuildDuplicateCase{"cdb", "-r", DuplicateMode::kReplace},
        BuildDuplicateCase{"cdb", "-w", DuplicateMode::kIgnore},
#endif
        BuildDuplicateCase{"hash", "", DuplicateMode::kWarn}, BuildDuplicateCase{"hash", "-r", DuplicateMode::kReplace},
        BuildDuplicateCase{"hash", "-w", DuplicateMode::kIgnore}, BuildDuplicateCase{"btree", "", DuplicateMode::kWarn},
        BuildDuplicateCase{"btree", "-r", DuplicateMode::kReplace},
        BuildDuplicateCase{"btree", "-w", DuplicateMode::kIgnore}),
    CaseName);

#endif  // MCTABLE_HAVE_BDB

#ifdef MCTABLE_HAVE_BDB
class BerkeleyDbTableTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string type() const { return GetParam(); }
  std::string Name(const std::string& base) const { return type() + ":" + dir_.path() + "/" + base; }
  static OpenOptions ReadWrite() {
    OpenOptions options;
    options.read_write = true;
    return options;
  }
  testutil::TempDir dir_;
};

TEST_P(BerkeleyDbTableTest, PostmapReadsOurTableAndWeReadPostmaps) {
  testutil::Postmap postmap;
  if (!postmap.available()) GTEST_SKIP() << "Debian postmap not installed (/usr/sbin/postmap)";
  std::string source = dir_.WriteFile("src", "Foo bar\n\"quoted key\" v\nx\xe9 8bit\xff\n");
  auto built = postmap.Run({type() + ":" + source});
  ASSERT_EQ(built.exit_status, 0) << built.err;
  auto table = OpenOrDie(type() + ":" + source);
  EXPECT_EQ(LookupOrStatus(table.get(), "FOO"), "bar");
  EXPECT_EQ(LookupOrStatus(table.get(), "\"quoted key\""), "v");
  EXPECT_EQ(LookupOrStatus(table.get(), "X\xe9"), "8bit\xff");
  table.reset();

  std::string name = Name("ours");
  {
    auto ours = OpenOrDie(name, BuildOptions());
    EXPECT_OK(ours->Update("Key", "value"));
    EXPECT_OK(ours->Update("e", ""));
    ASSERT_TRUE(ours->Close().ok());
  }
  auto q = postmap.Run({"-q", "KEY", name});
  EXPECT_EQ(q.exit_status, 0) << q.err;
  EXPECT_EQ(q.out, "value\n");
  auto d = postmap.Run({"-d", "key", name});
  EXPECT_EQ(d.exit_status, 0) << d.err;
  auto rw = OpenOrDie(name, ReadWrite());
  EXPECT_EQ(LookupOrStatus(rw.get(), "key"), "<not found>");
  ASSERT_TRUE(rw->Update("added", "1").ok());
  ASSERT_TRUE(rw->Close().ok());
  auto s = postmap.Run({"-s", name});
  EXPECT_EQ(s.exit_status, 0) << s.err;
  std::vector<std::string> lines;
  for (size_t p = 0, n; (n = s.out.find('\n', p)) != std::string::npos; p = n + 1) lines.push_back(s.out.substr(p, n - p));
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"added\t1", "e\t"}));
}

INSTANTIATE_TEST_SUITE_P(Types, BerkeleyDbTableTest, ::testing::Values("hash", "btree"),
                         [](const auto& param_info) { return param_info.param; });
#endif  // MCTABLE_HAVE_BDB

}  // namespace
}  // namespace mctable
