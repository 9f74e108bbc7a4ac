// UTF-8 keys (smtputf8_enable): tables built by Debian's postmap are found
// by mctable and the reverse, for every file type both build, and malformed
// UTF-8 is handled as postmap handles it.  main.cf decides the mode as in
// Postfix: compatibility_level 3.6 (Debian's install) means UTF-8; an empty
// main.cf (level 0) or smtputf8_enable = no means ASCII folding.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::RunCommand;
using testutil::TempDir;

// Keys whose folding differs between ASCII and Unicode, with the value each
// is stored under, and the spellings that must find it.
struct Variant {
  const char* stored;
  const char* value;
  std::vector<const char*> queries;
};

const std::vector<Variant>& Variants() {
  static const std::vector<Variant> variants = {
      {"ÄBC@Example.COM", "v-a", {"äbc@example.com", "ÄBC@EXAMPLE.COM", "Äbc@example.com"}},
      {"ǅ", "v-dz", {"ǅ", "ǆ", "Ǆ"}},
      {"ß", "v-sharp-s", {"ß", "ss", "SS", "ẞ"}},
      {"ΟΔΟΣ", "v-sigma", {"οδος", "οδοσ", "ΟΔΟΣ"}},
      {"İstanbul", "v-dotted-i", {"İSTANBUL", "i\xcc\x87stanbul"}},
      {"Plain@Example.COM", "v-ascii", {"plain@example.com", "PLAIN@EXAMPLE.COM"}},
  };
  return variants;
}

std::string SourceText() {
  std::string text;
  for (const Variant& v : Variants()) text += std::string(v.stored) + " " + v.value + "\n";
  return text;
}

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines = testutil::SplitLines(text);
  std::sort(lines.begin(), lines.end());
  return lines;
}

class Utf8KeysTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    postmap_ = testutil::PostmapBinary();
    if (postmap_.empty()) GTEST_SKIP() << "Debian's postmap is not installed (apt-get install postfix)";
    utf8_dir_.WriteFile("main.cf", "compatibility_level = 3.6\n");
    ascii_dir_.WriteFile("main.cf", "");
  }

  CommandResult Run(const std::string& program, const TempDir& config, std::vector<std::string> args,
                    const std::string& input = "") {
    std::vector<std::string> argv = {program, "-c", config.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, input);
  }
  // Skips the test when the type is not built into mctable or postmap.
  bool Buildable(const std::string& type) {
    if (!testutil::HaveTableType(type)) {
      skip_reason_ = type + " is not built into mctable";
      return false;
    }
    std::string probe = work_.WriteFile("probe", "k v\n");
    CommandResult built = Run(postmap_, utf8_dir_, {type + ":" + probe});
    if (built.exit_status != 0) {
      skip_reason_ = "postmap cannot build " + type + ": " + built.err;
      return false;
    }
    return true;
  }

  std::string postmap_;
  std::string skip_reason_;
  TempDir utf8_dir_, ascii_dir_, work_;
};

// Builds with one program and looks every spelling up with both: the
// answers must be identical, and every spelling must find its value.
TEST_P(Utf8KeysTest, TablesBuiltByEitherProgramAreFoundByTheOther) {
  const std::string type = GetParam();
  if (!Buildable(type)) GTEST_SKIP() << skip_reason_;
  const std::string mctable = testutil::MctableBinary();
  for (const std::string& builder : {postmap_, mctable}) {
    std::string source = work_.WriteFile("aliases", SourceText());
    std::string map = type + ":" + source;
    CommandResult built = Run(builder, utf8_dir_, {map});
    ASSERT_EQ(built.exit_status, 0) << builder << ": " << built.err;
    for (const Variant& v : Variants()) {
      for (const char* query : v.queries) {
        CommandResult theirs = Run(postmap_, utf8_dir_, {"-q", query, map});
        CommandResult ours = Run(mctable, utf8_dir_, {"-q", query, map});
        EXPECT_EQ(theirs.out, std::string(v.value) + "\n")
            << "postmap, table built by " << builder << ", query " << query << "\n" << theirs.err;
        EXPECT_EQ(ours.out, std::string(v.value) + "\n")
            << "mctable, table built by " << builder << ", query " << query << "\n" << ours.err;
        EXPECT_EQ(ours.exit_status, theirs.exit_status) << query;
      }
    }
    // Not a fold of any stored key: both miss.
    CommandResult theirs = Run(postmap_, utf8_dir_, {"-q", "istanbul", map});
    CommandResult ours = Run(mctable, utf8_dir_, {"-q", "istanbul", map});
    EXPECT_EQ(theirs.exit_status, 1);
    EXPECT_EQ(ours.exit_status, 1);
    // The stored (folded) keys are the same, whoever built the table
    // (postmap cannot list a cdb table: docs/postfix-differences.md).
    CommandResult our_dump = Run(mctable, utf8_dir_, {"-s", map});
    if (type != "cdb") {
      CommandResult their_dump = Run(postmap_, utf8_dir_, {"-s", map});
      EXPECT_EQ(SortedLines(our_dump.out), SortedLines(their_dump.out)) << builder;
    }
    EXPECT_NE(our_dump.out.find("ss\tv-sharp-s\n"), std::string::npos) << our_dump.out;
    EXPECT_NE(our_dump.out.find("äbc@example.com\tv-a\n"), std::string::npos) << our_dump.out;
  }
}

// A batch (-q -) folds each key as -q does.
TEST_P(Utf8KeysTest, BatchQueryMatchesPostmap) {
  const std::string type = GetParam();
  if (!Buildable(type)) GTEST_SKIP() << skip_reason_;
  std::string map = type + ":" + work_.WriteFile("aliases", SourceText());
  ASSERT_EQ(Run(postmap_, utf8_dir_, {map}).exit_status, 0);
  std::string input = "ÄBC@EXAMPLE.COM\nnobody\nẞ\nbad\xc3x\nΟΔΟΣ\n";
  CommandResult theirs = Run(postmap_, utf8_dir_, {"-q", "-", map}, input);
  CommandResult ours = Run(testutil::MctableBinary(), utf8_dir_, {"-q", "-", map}, input);
  EXPECT_EQ(ours.out, theirs.out) << theirs.err << "\n" << ours.err;
  EXPECT_EQ(ours.exit_status, theirs.exit_status);
  EXPECT_EQ(ours.out, "ÄBC@EXAMPLE.COM\tv-a\nẞ\tv-sharp-s\nΟΔΟΣ\tv-sigma\n");
  EXPECT_NE(ours.err.find("non-UTF-8 key \"bad\\xc3x\": malformed UTF-8 or invalid codepoint"),
            std::string::npos)
      << ours.err;
}

INSTANTIATE_TEST_SUITE_P(Types, Utf8KeysTest, ::testing::Values("lmdb", "hash", "cdb"),
                         [](const auto& param_info) { return param_info.param; });

class Utf8InputTest : public Utf8KeysTest {};

// Source lines that are not UTF-8 are skipped with postmap's warning, by the
// build and by -i; the tables end up the same.
TEST_F(Utf8InputTest, MalformedSourceLinesAreSkippedAsPostmapSkipsThem) {
  if (!Buildable("lmdb")) GTEST_SKIP() << skip_reason_;
  const std::string text = "good v1\nbad\xc3x v2\nok v\xff\n\xc0\xaf v4\n\xed\xa0\x80 v5\nÄ v6\n";
  std::string theirs_map = "lmdb:" + work_.WriteFile("theirs", text);
  std::string ours_map = "lmdb:" + work_.WriteFile("ours", text);
  CommandResult theirs = Run(postmap_, utf8_dir_, {theirs_map});
  CommandResult ours = Run(testutil::MctableBinary(), utf8_dir_, {ours_map});
  EXPECT_EQ(ours.exit_status, theirs.exit_status) << theirs.err << "\n" << ours.err;
  EXPECT_EQ(Run(testutil::MctableBinary(), utf8_dir_, {"-s", ours_map}).out,
            Run(postmap_, utf8_dir_, {"-s", theirs_map}).out);
  EXPECT_EQ(Run(testutil::MctableBinary(), utf8_dir_, {"-s", ours_map}).out, "good\tv1\nä\tv6\n");
  for (int line : {2, 3, 4, 5}) {
    std::string said = ", line " + std::to_string(line) + ": non-UTF-8 input \"";
    EXPECT_NE(theirs.err.find(said), std::string::npos) << theirs.err;
    EXPECT_NE(ours.err.find(said), std::string::npos) << ours.err;
  }
  EXPECT_NE(ours.err.find("ours, line 2: non-UTF-8 input \"bad\\xc3x v2\" -- ignoring this line"),
            std::string::npos)
      << ours.err;

  // -i reads standard input with the same rule ("stdin, line N").
  const std::string more = "NEW v7\nn2\xff v8\n";
  theirs = Run(postmap_, utf8_dir_, {"-i", theirs_map}, more);
  ours = Run(testutil::MctableBinary(), utf8_dir_, {"-i", ours_map}, more);
  // Both skip the line; mctable's -i then exits 1 with a summary (its one
  // rule for skipped entries, mctable(1)), where postmap exits 0.
  EXPECT_EQ(theirs.exit_status, 0) << theirs.err;
  EXPECT_EQ(ours.exit_status, 1) << ours.err;
  EXPECT_NE(ours.err.find("1 of 2 entries from stdin were not stored"), std::string::npos) << ours.err;
  EXPECT_NE(ours.err.find("stdin, line 2: non-UTF-8 input"), std::string::npos) << ours.err;
  EXPECT_EQ(SortedLines(Run(testutil::MctableBinary(), utf8_dir_, {"-s", ours_map}).out),
            SortedLines(Run(postmap_, utf8_dir_, {"-s", theirs_map}).out));
}

// A stored value that is not UTF-8 (a table built without smtputf8) fails
// the query in both programs.
TEST_F(Utf8InputTest, MalformedStoredValueIsAQueryError) {
  if (!Buildable("lmdb")) GTEST_SKIP() << skip_reason_;
  std::string map = "lmdb:" + work_.WriteFile("latin1", "Xy v\xff\n");
  ASSERT_EQ(Run(postmap_, ascii_dir_, {map}).exit_status, 0);
  CommandResult theirs = Run(postmap_, utf8_dir_, {"-q", "xy", map});
  CommandResult ours = Run(testutil::MctableBinary(), utf8_dir_, {"-q", "xy", map});
  EXPECT_EQ(ours.out, theirs.out);
  EXPECT_EQ(ours.exit_status, theirs.exit_status);
  EXPECT_EQ(ours.exit_status, 1);
  EXPECT_NE(ours.err.find("key \"xy\": non-UTF-8 value \"v\\xff\""), std::string::npos) << ours.err;
  EXPECT_NE(ours.err.find("fatal: table lmdb:"), std::string::npos) << ours.err;
  // In ASCII mode the value is opaque bytes, in both.
  EXPECT_EQ(Run(testutil::MctableBinary(), ascii_dir_, {"-q", "xy", map}).out, "v\xff\n");
}

// Without smtputf8 (compatibility level 0, or said so) keys fold as ASCII
// only, as postmap folds them.
TEST_F(Utf8InputTest, AsciiFoldingWhenSmtputf8IsOff) {
  if (!Buildable("lmdb")) GTEST_SKIP() << skip_reason_;
  TempDir said_no;
  said_no.WriteFile("main.cf", "compatibility_level = 3.6\nsmtputf8_enable = no\n");
  for (const TempDir* dir : {&ascii_dir_, &said_no}) {
    std::string map = "lmdb:" + work_.WriteFile("aliases", "ÄBC v1\nbad\xc3x v2\n");
    ASSERT_EQ(Run(testutil::MctableBinary(), *dir, {map}).exit_status, 0);
    CommandResult theirs = Run(postmap_, *dir, {"-s", map});
    EXPECT_EQ(theirs.out, "bad\xc3x\tv2\nÄbc\tv1\n") << "postmap reads what mctable built";
    for (const char* query : {"Äbc", "äbc", "ÄBC", "BAD\xc3X"}) {
      CommandResult t = Run(postmap_, *dir, {"-q", query, map});
      CommandResult o = Run(testutil::MctableBinary(), *dir, {"-q", query, map});
      EXPECT_EQ(o.out, t.out) << query;
      EXPECT_EQ(o.exit_status, t.exit_status) << query;
    }
  }
}

// Deleting a key that is not UTF-8 deletes nothing.  postmap exits 0 (its
// UTF-8 layer reports the skipped delete as done); mctable exits 1, as for
// any key that was not there (docs/postfix-differences.md).
TEST_F(Utf8InputTest, DeletingAMalformedKeyDeletesNothing) {
  if (!Buildable("lmdb")) GTEST_SKIP() << skip_reason_;
  std::string map = "lmdb:" + work_.WriteFile("aliases", "good v1\n");
  ASSERT_EQ(Run(postmap_, utf8_dir_, {map}).exit_status, 0);
  CommandResult theirs = Run(postmap_, utf8_dir_, {"-d", "x\xff", map});
  CommandResult ours = Run(testutil::MctableBinary(), utf8_dir_, {"-d", "x\xff", map});
  EXPECT_EQ(theirs.exit_status, 0) << "postmap changed: update docs/postfix-differences.md";
  EXPECT_EQ(ours.exit_status, 1);
  EXPECT_NE(ours.err.find("non-UTF-8 key \"x\\xff\""), std::string::npos) << ours.err;
  EXPECT_EQ(Run(testutil::MctableBinary(), utf8_dir_, {"-s", map}).out, "good\tv1\n");
}

// A memcache table folds the key before key_format and the domain list,
// Unicode-wise under smtputf8, as postmap does.
TEST_F(Utf8InputTest, MemcacheKeysAndDomainsFoldLikePostmap) {
  testutil::MemcachedServer server;
  if (!server.Start()) GTEST_SKIP() << "cannot run memcached: " << server.error();
  const std::vector<std::pair<std::string, std::string>> stored = {
      {"p:joe", "A"}, {"p:jöe", "C"}, {"p:JÖE", "D"}, {"äbc@example.com", "E"},
      {"ÄBC@Example.COM", "F"}, {"u@bücher.example", "G"}, {"U@BÜCHER.example", "H"}};
  for (const auto& [k, v] : stored) server.Set(k, v);
  const std::string endpoint = "memcache = " + server.endpoint() + "\n";
  std::string partial = work_.WriteFile("partial.cf", endpoint + "key_format = p:%u\n");
  std::string whole = work_.WriteFile("whole.cf", endpoint);
  std::string domain = work_.WriteFile("domain.cf", endpoint + "domain = bücher.example\n");
  struct Case {
    std::string cf, key;
  };
  const std::vector<Case> cases = {{partial, "JOE@x"},       {partial, "JÖE@x"},
                                   {whole, "ÄBC@Example.COM"}, {domain, "U@BÜCHER.example"},
                                   {domain, "u@other.example"}};
  int found_in_utf8_mode = 0;
  for (const TempDir* dir : {&utf8_dir_, &ascii_dir_}) {
    for (const Case& c : cases) {
      CommandResult theirs = Run(postmap_, *dir, {"-q", c.key, "memcache:" + c.cf});
      CommandResult ours = Run(testutil::MctableBinary(), *dir, {"-q", c.key, "memcache:" + c.cf});
      EXPECT_EQ(ours.out, theirs.out) << c.key << " " << c.cf << "\n" << theirs.err << ours.err;
      EXPECT_EQ(ours.exit_status, theirs.exit_status) << c.key;
      if (dir == &utf8_dir_ && ours.exit_status == 0) ++found_in_utf8_mode;
    }
  }
  EXPECT_EQ(found_in_utf8_mode, 4);  // all but the other domain
}

}  // namespace
}  // namespace mctable
