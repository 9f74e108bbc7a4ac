#include "testutil/postmap_compare.h"

#include <gtest/gtest.h>

namespace mctable::testutil {
namespace {

bool StartsWith(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

std::vector<std::string> Messages(const std::string& err) {
  std::vector<std::string> out;
  for (std::string line : SplitLines(err)) {
    for (const std::string program : {"postmap: ", "mctable: "})
      if (StartsWith(line, program)) line.erase(0, program.size());
    if (StartsWith(line, "fatal: ")) {
      out.push_back("fatal");
      continue;
    }
    std::string collapsed;
    bool gap = false;
    for (char c : line) {
      if (c == '?' || c == ' ' || c == '\t') {
        gap = true;
        continue;
      }
      if (gap && !collapsed.empty()) collapsed.push_back(' ');
      gap = false;
      collapsed.push_back(c);
    }
    out.push_back(collapsed);
  }
  return out;
}

std::string JoinedLines(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& line : lines) all += line + "\n";
  return all;
}

void ExpectSameResults(const CommandResult& ours, const CommandResult& theirs, const std::string& what) {
  std::string context = what + "\npostmap stderr:\n" + theirs.err + "mctable stderr:\n" + ours.err;
  EXPECT_EQ(ours.exit_status, theirs.exit_status) << context;
  std::vector<std::string> our_messages = Messages(ours.err), their_messages = Messages(theirs.err);
  if (their_messages.empty() || their_messages.back() != "fatal") {
    EXPECT_EQ(ours.out, theirs.out) << context;
    EXPECT_EQ(JoinedLines(our_messages), JoinedLines(their_messages)) << what;
    return;
  }
  EXPECT_TRUE(StartsWith(ours.out, theirs.out))
      << context << "postmap stdout:\n" << theirs.out << "mctable stdout:\n" << ours.out;
  ASSERT_FALSE(our_messages.empty()) << context;
  EXPECT_EQ(our_messages.back(), "fatal") << context;
  their_messages.pop_back();
  EXPECT_TRUE(StartsWith(JoinedLines(our_messages), JoinedLines(their_messages))) << context;
}

}  // namespace mctable::testutil
