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

std::string CacheWireKey(const std::string& key) {
  if (key.empty()) return "";
  std::string wire = "k:";
  for (char c : key) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return "";
    wire.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return wire;
}

void ExpectSameBackupRuns(const MemcachedServer& memcached, const Postmap& postmap, const ProgramRun& mctable,
                          const std::string& mc, const std::string& backup, const std::vector<std::string>& keys,
                          const std::string& what) {
  std::string input;
  for (const std::string& key : keys) input += key + "\n";
  // What memcached holds for the keys up to index `upto`.
  auto snapshot = [&](size_t upto) {
    std::string all;
    for (size_t i = 0; i < keys.size() && i <= upto; ++i) {
      std::string wire = CacheWireKey(keys[i]);
      if (wire.empty()) continue;
      bool found = false;
      unsigned flags = 0;
      std::string value = memcached.Get(wire, &found, &flags);
      if (found) all += wire + " flags=" + std::to_string(flags) + " => " + value + "\n";
    }
    return all;
  };
  auto flush = [&] { memcached.RawCommand("flush_all\r\n", "OK\r\n"); };

  flush();
  CommandResult theirs = postmap.Run({"-q", "-", mc}, input);
  // After a fatal error postmap has looked up nothing more: compare the
  // entries up to the first key that reaches the backup and fails there.
  size_t upto = keys.size();
  if (theirs.err.find("fatal:") != std::string::npos) {
    std::vector<CommandSpec> probes;  // at once: each fatal one sleeps a second
    for (const std::string& key : keys) probes.push_back({postmap.Argv({"-q", key, backup}), ""});
    std::vector<CommandResult> probed = RunCommands(probes);
    upto = 0;
    while (upto < keys.size() &&
           (CacheWireKey(keys[upto]).empty() || probed[upto].err.find("fatal:") == std::string::npos))
      ++upto;
  }
  std::string their_entries = snapshot(upto);
  flush();
  CommandResult ours = mctable({"-q", "-", mc}, input);
  std::string our_entries = snapshot(upto);
  ExpectSameResults(ours, theirs, what + ": memcache cold");
  EXPECT_EQ(our_entries, their_entries) << what << ": cache fills differ";

  // Warm: the second run answers from memcached (what each program cached).
  CommandResult ours_warm = mctable({"-q", "-", mc}, input);
  flush();
  postmap.Run({"-q", "-", mc}, input);
  CommandResult theirs_warm = postmap.Run({"-q", "-", mc}, input);
  ExpectSameResults(ours_warm, theirs_warm, what + ": memcache warm");
}

}  // namespace mctable::testutil
