// Bad memcache table configurations: clear errors naming the file.
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mctable/table.h"
#include "mctable/table_registry.h"
#include "testutil/fault_fixture.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::RunCommand;
using testutil::TempDir;

// ---------------------------------------------------------------------------
// Bad configuration: clear errors naming the file.

class FaultConfigTest : public ::testing::Test {
 protected:
  Status OpenWith(const std::string& body, std::string* cf_out = nullptr) {
    std::string cf = dir_.WriteFile("bad" + std::to_string(++n_) + ".cf", body);
    if (cf_out) *cf_out = cf;
    std::unique_ptr<Table> table;
    return OpenTable("memcache:" + cf, OpenOptions(), &table);
  }
  TempDir dir_;
  int n_ = 0;
};

TEST_F(FaultConfigTest, MalformedNumbers) {
  for (std::string name : {"flags", "ttl", "data_size_limit", "line_size_limit", "max_try",
                           "retry_pause", "timeout"}) {
    for (std::string bad : {"5x", "x", "1.5", "0x10", "99999999999", "--1", "1 2"}) {
      SCOPED_TRACE(name + " = " + bad);
      std::string cf;
      Status s = OpenWith(name + " = " + bad + "\n", &cf);
      EXPECT_TRUE(s.IsConfigError()) << s.ToString();
      EXPECT_EQ(s.message(), cf + ": bad numerical configuration: " + name + " = " + bad);
    }
  }
}

TEST_F(FaultConfigTest, OutOfRange) {
  struct Case {
    std::string line, message;
  };
  for (const Case& c : std::vector<Case>{
           {"max_try = 0", "invalid max_try parameter value 0 < 1"},
           {"max_try = -3", "invalid max_try parameter value -3 < 1"},
           {"retry_pause = 0", "invalid retry_pause parameter value 0 < 1"},
           {"line_size_limit = 0", "invalid line_size_limit parameter value 0 < 1"},
           {"data_size_limit = -1", "invalid data_size_limit parameter value -1 < 1"},
           {"timeout = 0", "invalid timeout parameter value 0 < 1"},
           {"flags = -1", "invalid flags parameter value -1 < 0"},
       }) {
    SCOPED_TRACE(c.line);
    std::string cf;
    Status s = OpenWith(c.line + "\n", &cf);
    EXPECT_TRUE(s.IsConfigError()) << s.ToString();
    EXPECT_EQ(s.message(), cf + ": " + c.message);
  }
  // Accepted as Postfix does: a negative ttl, large values.
  EXPECT_TRUE(OpenWith("ttl = -1\n").ok());
  EXPECT_TRUE(OpenWith("max_try = 2147483647\ntimeout = 2147483647\n").ok());
}

TEST_F(FaultConfigTest, MalformedMemcacheAndKeyFormat) {
  for (std::string bad : {"bogus", "inet:", "inet:127.0.0.1", "inet::11211", "inet:[::1", "unix:",
                          "inet:a:b:11211", "tcp:127.0.0.1:11211"}) {
    SCOPED_TRACE(bad);
    std::string cf;
    Status s = OpenWith("memcache = " + bad + "\n", &cf);
    EXPECT_TRUE(s.IsConfigError()) << s.ToString();
    EXPECT_EQ(s.message().rfind(cf + ": invalid memcache parameter value \"" + bad + "\": ", 0), 0u)
        << s.message();
  }
  for (std::string bad : {"%x", "abc%", "%0", "%s%q"}) {
    SCOPED_TRACE(bad);
    std::string cf;
    Status s = OpenWith("key_format = " + bad + "\n", &cf);
    EXPECT_TRUE(s.IsConfigError()) << s.ToString();
    EXPECT_NE(s.message().find(cf), std::string::npos) << s.message();
  }
}

TEST_F(FaultConfigTest, MissingAndUnreadableFile) {
  std::string missing = dir_.path() + "/missing.cf";
  std::unique_ptr<Table> table;
  Status s = OpenTable("memcache:" + missing, OpenOptions(), &table);
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_EQ(s.message(), "open " + missing + ": No such file or directory");

  auto r = RunCommand({testutil::MctableBinary(), "-q", "k", "memcache:" + missing});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.err, "mctable: fatal: open " + missing + ": No such file or directory\n");

  // A directory where the file should be.
  s = OpenTable("memcache:" + dir_.path(), OpenOptions(), &table);
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_NE(s.message().find(dir_.path()), std::string::npos) << s.message();

  if (::geteuid() == 0) GTEST_SKIP() << "running as root: mode 000 does not stop reading";
  std::string cf = dir_.WriteFile("unreadable.cf", "ttl = 5\n");
  ::chmod(cf.c_str(), 0);
  s = OpenTable("memcache:" + cf, OpenOptions(), &table);
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_EQ(s.message(), "open " + cf + ": Permission denied");
}

TEST_F(FaultConfigTest, MissingBackupAndDomainTables) {
  std::string missing = dir_.path() + "/nothere";
  Status s = OpenWith("backup = lmdb:" + missing + "\n");
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_NE(s.message().find(missing), std::string::npos) << s.message();

  s = OpenWith("backup = nosuchtype:" + missing + "\n");
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_NE(s.message().find("nosuchtype"), std::string::npos) << s.message();

  s = OpenWith("domain = example.com, lmdb:" + missing + "\n");
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_NE(s.message().find(missing), std::string::npos) << s.message();

  s = OpenWith("domain = example.com " + missing + "-list\n");
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_NE(s.message().find(missing + "-list"), std::string::npos) << s.message();

  std::string cf = dir_.WriteFile("cli.cf", "domain = lmdb:" + missing + "\n");
  auto r = RunCommand({testutil::MctableBinary(), "-q", "u@example.com", "memcache:" + cf});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.err.rfind("mctable: fatal: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
}

TEST_F(FaultConfigTest, CommandReportsBadNumber) {
  std::string cf = dir_.WriteFile("ttl.cf", "ttl = 5x\n");
  auto r = RunCommand({testutil::MctableBinary(), "-q", "k", "memcache:" + cf});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "mctable: fatal: " + cf + ": bad numerical configuration: ttl = 5x\n");
  cf = dir_.WriteFile("try.cf", "max_try = 0\n");
  r = RunCommand({testutil::MctableBinary(), "-q", "k", "memcache:" + cf});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.err, "mctable: fatal: " + cf + ": invalid max_try parameter value 0 < 1\n");
}

}  // namespace
}  // namespace mctable
