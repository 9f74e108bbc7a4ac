// Both programs name the project version (CMake's project(VERSION)), list
// --version in --help, and the man pages as built for installation carry
// the same version in their footers.
#include <dirent.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::RunCommand;

struct Program {
  std::string name;
  std::string path;
};

std::vector<Program> Programs() {
  return {{"mctable", testutil::MctableBinary()}, {"mctabled", MCTABLED_BINARY}};
}

TEST(ProgramVersion, VersionPrintsTheProjectVersion) {
  for (const Program& program : Programs()) {
    testutil::CommandResult r = RunCommand({program.path, "--version"});
    EXPECT_EQ(r.exit_status, 0) << program.name << ": " << r.err;
    EXPECT_EQ(r.out, program.name + " " MCTABLE_PROJECT_VERSION "\n");
    EXPECT_EQ(r.err, "");
  }
}

TEST(ProgramVersion, HelpListsVersion) {
  for (const Program& program : Programs()) {
    testutil::CommandResult r = RunCommand({program.path, "--help"});
    EXPECT_EQ(r.exit_status, 0) << program.name << ": " << r.err;
    EXPECT_NE(r.out.find("--version"), std::string::npos) << program.name << ":\n" << r.out;
  }
}

TEST(ProgramVersion, InstalledManPagesCarryTheProjectVersion) {
  DIR* dir = ::opendir(MCTABLE_MAN_BUILD_DIR);
  ASSERT_NE(dir, nullptr) << MCTABLE_MAN_BUILD_DIR;
  int pages = 0;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name.empty() || name[0] == '.') continue;
    std::string text = testutil::ReadFileOrDie(std::string(MCTABLE_MAN_BUILD_DIR) + "/" + name);
    std::string first_line = text.substr(0, text.find('\n'));
    EXPECT_NE(first_line.find("\"mctable " MCTABLE_PROJECT_VERSION "\""), std::string::npos)
        << name << ": " << first_line;
    if (name == "mctable.1" || name == "mctabled.8") {
      EXPECT_NE(text.find("\\-\\-version"), std::string::npos) << name;
    }
    ++pages;
  }
  ::closedir(dir);
  EXPECT_GE(pages, 7);
}

}  // namespace
}  // namespace mctable
