// Tests for LineReader and LogicalLineReader: line splitting from text and
// from a descriptor, CRLF input, lines longer than the window, and
// Postfix's logical-line rules.
#include "common/line_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "common/logical_line_reader.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

std::string AllLines(LineReader* reader) {
  std::string out;
  std::string line;
  while (reader->Next(&line)) out += "[" + line + "]";
  return out;
}

// The lines of `input` as read from a pipe.
std::string LinesFromPipe(const std::string& input) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  std::thread writer([&] {
    size_t done = 0;
    while (done < input.size()) {
      ssize_t n = ::write(fds[1], input.data() + done, input.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(fds[1]);
  });
  LineReader reader(fds[0]);
  std::string out = AllLines(&reader);
  writer.join();
  ::close(fds[0]);
  EXPECT_EQ(reader.error(), 0);
  return out;
}

TEST(LineReader, SplitsTextAndDescriptorAlike) {
  for (const std::string& input : {std::string("a\nb\n"), std::string("a\nb"), std::string("\n\nx\n")}) {
    LineReader text(input);
    EXPECT_EQ(AllLines(&text), LinesFromPipe(input)) << input;
  }
  LineReader text("a\nb");
  EXPECT_EQ(AllLines(&text), "[a][b]");
  LineReader empty("");
  EXPECT_EQ(AllLines(&empty), "");
}

TEST(LineReader, CrlfReadsAsLf) {
  const std::string input = "alice\r\nbob\r\nin\rside\r\n\r\nlast\r";
  LineReader text(input);
  EXPECT_EQ(AllLines(&text), "[alice][bob][in\rside][][last]");
  EXPECT_EQ(LinesFromPipe(input), "[alice][bob][in\rside][][last]");
}

TEST(LineReader, LinesLongerThanTheWindow) {
  std::string big(200000, 'x');
  std::string input = "short\n" + big + "\r\n" + big + "y";
  EXPECT_EQ(LinesFromPipe(input), "[short][" + big + "][" + big + "y]");
  LineReader text(input);
  EXPECT_EQ(AllLines(&text), "[short][" + big + "][" + big + "y]");
  EXPECT_EQ(text.lines_read(), 3);
}

std::string LogicalLines(const std::string& input) {
  LogicalLineReader reader("F", std::string_view(input));
  std::string out, line;
  int number = 0;
  while (reader.Next(&line, &number)) out += std::to_string(number) + ":[" + line + "]";
  return out;
}

TEST(LogicalLineReader, PostfixRules) {
  testutil::CapturedWarnings warnings;
  EXPECT_EQ(LogicalLines("# c\n\na b\n# inside\n  c\n\t\n d\ne f"), "3:[a b  c d]8:[e f]");
  EXPECT_EQ(LogicalLines("a\r\n  b\r\n"), "1:[a  b]");
  EXPECT_EQ(warnings.joined(), "");
  EXPECT_EQ(LogicalLines("  orphan text that is longer than thirty bytes\n more\nk v\n"), "3:[k v]");
  EXPECT_EQ(warnings.joined(),
            "F: logical line must not start with whitespace: \"  orphan text that is longer t...\"\n");
}

}  // namespace
}  // namespace mctable
