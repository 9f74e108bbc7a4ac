// Tests for SourceReader: postmap 3.7's source format and its warnings.
#include "table/source_reader.h"

#include <gtest/gtest.h>

#include "testutil/table_util.h"

namespace mctable {
namespace {

std::string ReadAll(const std::string& text, bool texthash = false) {
  SourceReader::Options options;
  options.format_warning_says_ignoring = texthash;
  SourceReader reader("F", text, options);
  std::string out;
  SourceRecord record;
  while (reader.Next(&record))
    out += std::to_string(record.line_number) + ":[" + record.key + "]=[" + record.value + "]\n";
  return out;
}

TEST(SourceReader, KeyWhitespaceValue) {
  testutil::CapturedWarnings warnings;
  EXPECT_EQ(ReadAll("a b\nkey   value with  spaces  \n\tc\n"),
            "1:[a]=[b]\n2:[key]=[value with  spaces  \tc]\n");
  EXPECT_EQ(warnings.joined(), "");
}

TEST(SourceReader, CommentsBlankLinesAndContinuations) {
  testutil::CapturedWarnings warnings;
  EXPECT_EQ(ReadAll("# comment\n\n   \nk v1\n# inside\n  v2\n   # indented comment\n v3\nlast x"),
            "4:[k]=[v1  v2 v3]\n9:[last]=[x]\n");
  EXPECT_EQ(warnings.joined(), "");
}

TEST(SourceReader, LeadingWhitespaceWithoutLine) {
  testutil::CapturedWarnings warnings;
  EXPECT_EQ(ReadAll("  orphan text\n more\nk v\n"), "3:[k]=[v]\n");
  EXPECT_EQ(warnings.joined(), "F: logical line must not start with whitespace: \"  orphan text more\"\n");
}

TEST(SourceReader, FormatWarnings) {
  testutil::CapturedWarnings warnings;
  EXPECT_EQ(ReadAll("x\nk: v\nk2 \n"), "2:[k:]=[v]\n");
  EXPECT_EQ(warnings.joined(),
            "F, line 1: expected format: key whitespace value\n"
            "F, line 2: record is in \"key: value\" format; is this an alias file?\n"
            "F, line 3: expected format: key whitespace value\n");
}

TEST(SourceReader, TexthashSaysIgnoring) {
  testutil::CapturedWarnings warnings;
  EXPECT_EQ(ReadAll("x\n", true), "");
  EXPECT_EQ(warnings.joined(), "F, line 1: expected format: key whitespace value -- ignoring this line\n");
}

TEST(SourceReader, QuotedKeysKeepTheirQuotes) {
  testutil::CapturedWarnings warnings;
  EXPECT_EQ(ReadAll("\"a b\"@x 1\nback\\\"sl x 3\n\"un bal 2\n"),
            "1:[\"a b\"@x]=[1]\n2:[back\\\"sl]=[x 3]\n");
  EXPECT_EQ(warnings.joined(), "F, line 3: unbalanced '\"' in '\"un bal 2' -- ignoring this line\n");
}

TEST(SourceReader, MissingFile) {
  std::unique_ptr<SourceReader> reader;
  Status status = SourceReader::OpenFile("/nonexistent/file", {}, &reader);
  EXPECT_TRUE(status.IsConfigError());
  EXPECT_EQ(status.message(), "open /nonexistent/file: No such file or directory");
}

}  // namespace
}  // namespace mctable
