// Tests for ReadSecretFile's permission rule: what the usual Postfix layouts
// need is accepted, anything looser refused with the file named.
#include "common/secret_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::TempDir;

TEST(SecretFile, OwnerOnlyAndGroupReadableAreAccepted) {
  TempDir dir;
  for (mode_t mode : {0400, 0600, 0640, 0440}) {
    std::string path = dir.WriteFile("key", "the secret\n", mode);
    std::string contents;
    Status s = ReadSecretFile(path, "value_signing_key_file", &contents);
    EXPECT_TRUE(s.ok()) << std::oct << mode << ": " << s.ToString();
    EXPECT_EQ(contents, "the secret\n");
  }
}

TEST(SecretFile, OthersOrGroupWriteAreRefusedWithoutShowingTheSecret) {
  TempDir dir;
  for (mode_t mode : {0644, 0604, 0602, 0601, 0660, 0620, 0666}) {
    std::string path = dir.WriteFile("key", "the secret\n", mode);
    std::string contents = "stale";
    Status s = ReadSecretFile(path, "value_signing_key_file", &contents);
    EXPECT_TRUE(s.IsConfigError()) << std::oct << mode;
    EXPECT_EQ(s.message().rfind("value_signing_key_file " + path + ": refused: mode 0", 0), 0u)
        << s.message();
    EXPECT_EQ(s.message().find("secret\n"), std::string::npos);
    EXPECT_TRUE(contents.empty());
  }
}

TEST(SecretFile, MissingFileAndDirectoryAreNamed) {
  TempDir dir;
  std::string contents;
  Status s = ReadSecretFile(dir.path() + "/nope", "auth_password_file", &contents);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(),
            "open auth_password_file " + dir.path() + "/nope: No such file or directory");
  ::chmod(dir.path().c_str(), 0700);
  s = ReadSecretFile(dir.path(), "auth_password_file", &contents);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "auth_password_file " + dir.path() + ": not a regular file");
}

TEST(SecretFile, AnotherUsersFileIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file to another user";
  TempDir dir;
  std::string path = dir.WriteFile("key", "x", 0600);
  ASSERT_EQ(::chown(path.c_str(), 4321, 4321), 0);
  std::string contents;
  Status s = ReadSecretFile(path, "value_signing_key_file", &contents);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_NE(s.message().find("owned by uid 4321"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace mctable
