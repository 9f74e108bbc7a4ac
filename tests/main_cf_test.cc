// What the command takes from main.cf and the -c option, against Debian's
// postmap: default_database_type decides the type of a bare table name, a
// bad -c directory is fatal with postmap's message, and output that cannot
// be written is an error (postmap ignores it: docs/postfix-differences.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::RunCommand;
using testutil::TempDir;

std::string Without(std::string text, const std::string& program) {
  // "postmap: fatal: ..." and "mctable: fatal: ..." compare equal.
  if (text.starts_with(program + ":")) text.erase(0, program.size());
  return text;
}

class MainCfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    postmap_ = testutil::PostmapBinary();
    if (postmap_.empty()) GTEST_SKIP() << "Debian's postmap is not installed (apt-get install postfix)";
  }
  CommandResult Run(const std::string& program, std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), program);
    return RunCommand(args, input);
  }
  std::string postmap_;
  std::string mctable_ = testutil::MctableBinary();
};

TEST_F(MainCfTest, DefaultDatabaseTypeDecidesBareNames) {
  if (!testutil::HaveTableType("lmdb")) GTEST_SKIP() << "lmdb is not built in";
  TempDir config, work;
  config.WriteFile("main.cf", "default_database_type = lmdb\n");
  for (const std::string& builder : {postmap_, mctable_}) {
    std::string source = work.WriteFile("aliases", "alice v1\nBob v2\n");
    ::unlink((source + ".lmdb").c_str());
    ::unlink((source + ".db").c_str());
    CommandResult built = Run(builder, {"-c", config.path(), source});
    ASSERT_EQ(built.exit_status, 0) << builder << ": " << built.err;
    EXPECT_EQ(::access((source + ".lmdb").c_str(), F_OK), 0) << builder << " built no .lmdb";
    EXPECT_NE(::access((source + ".db").c_str(), F_OK), 0) << builder << " built a .db";
    for (const std::string& reader : {postmap_, mctable_}) {
      CommandResult got = Run(reader, {"-c", config.path(), "-q", "bob", source});
      EXPECT_EQ(got.out, "v2\n") << reader << " reading what " << builder << " built: " << got.err;
      got = Run(reader, {"-c", config.path(), "-q", "-", source}, "alice\nnobody\n");
      EXPECT_EQ(got.out, "alice\tv1\n") << reader;
      got = Run(reader, {"-c", config.path(), "-s", source});
      EXPECT_EQ(got.out, "alice\tv1\nbob\tv2\n") << reader;
    }
  }
  // texthash reads the source itself; an unknown type is fatal, as in postmap.
  std::string source = work.WriteFile("plain", "k text-v\n");
  config.WriteFile("main.cf", "t = texthash\ndefault_database_type = $t\n");
  EXPECT_EQ(Run(mctable_, {"-c", config.path(), "-q", "k", source}).out, "text-v\n");
  EXPECT_EQ(Run(postmap_, {"-c", config.path(), "-q", "k", source}).out, "text-v\n");
  config.WriteFile("main.cf", "default_database_type = nosuch\n");
  CommandResult theirs = Run(postmap_, {"-c", config.path(), "-q", "k", source});
  CommandResult ours = Run(mctable_, {"-c", config.path(), "-q", "k", source});
  EXPECT_EQ(ours.exit_status, theirs.exit_status);
  EXPECT_EQ(ours.err, "mctable: fatal: unsupported dictionary type: nosuch\n");
  EXPECT_EQ(Without(ours.err, "mctable"), Without(theirs.err, "postmap"));
}

TEST_F(MainCfTest, BadConfigDirectoryIsFatalAsInPostmap) {
  TempDir work;
  std::string source = work.WriteFile("aliases", "k v\n");
  std::string plain_file = work.WriteFile("not-a-dir", "");
  for (const std::string& dir : {work.path() + "/nonexistent", work.path(), plain_file}) {
    for (std::vector<std::string> mode : {std::vector<std::string>{"-q", "k", "inline:{k=v}"},
                                          std::vector<std::string>{"-s", "inline:{k=v}"},
                                          std::vector<std::string>{"lmdb:" + source}}) {
      mode.insert(mode.begin(), {"-c", dir});
      CommandResult theirs = Run(postmap_, mode);
      CommandResult ours = Run(mctable_, mode);
      EXPECT_EQ(ours.exit_status, 1) << dir;
      EXPECT_EQ(ours.exit_status, theirs.exit_status) << dir;
      EXPECT_EQ(ours.out, "");
      EXPECT_EQ(Without(ours.err, "mctable"), Without(theirs.err, "postmap")) << dir;
      EXPECT_NE(ours.err.find("mctable: fatal: open " + dir + "/main.cf: "), std::string::npos) << ours.err;
    }
  }
}

// Runs `argv` with standard output on /dev/full.
CommandResult RunToFullDevice(const std::vector<std::string>& argv, const std::string& input) {
  std::string command = "exec";
  for (const std::string& a : argv) command += " '" + a + "'";
  command += " > /dev/full";
  return RunCommand({"/bin/sh", "-c", command}, input);
}

TEST_F(MainCfTest, OutputThatCannotBeWrittenIsAnError) {
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "this machine has no /dev/full";
  TempDir config;
  config.WriteFile("main.cf", "");
  const std::string table = "inline:{k=v, k2=v2}";
  struct Case {
    std::vector<std::string> args;
    std::string input;
  };
  for (const Case& c : {Case{{"-s", table}, ""}, Case{{"-q", "k", table}, ""},
                        Case{{"-q", "-", table}, "k\nk2\n"}}) {
    std::vector<std::string> argv = {mctable_, "-c", config.path()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    CommandResult ours = RunToFullDevice(argv, c.input);
    EXPECT_EQ(ours.exit_status, 1) << c.args[0];
    EXPECT_EQ(ours.err, "mctable: fatal: write standard output: No space left on device\n") << c.args[0];
    argv[0] = postmap_;
    EXPECT_EQ(RunToFullDevice(argv, c.input).exit_status, 0)
        << "postmap now reports the error: update docs/postfix-differences.md";
  }
}

}  // namespace
}  // namespace mctable
