// The pgsql and mysql drivers are modules loaded when a table of their type
// is opened (src/common/module_loader.h): the programs do not link the
// database client libraries, so a table build or a memcache lookup never
// maps them (libpq and what it pulls in cost every process about 5 MB of
// resident memory, the difference between mctable's and postmap's peak in
// bench/build_bench.sh), and a pgsql: or mysql: table still works.
#include <gtest/gtest.h>

#include <string>

#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::RunCommand;
using testutil::TempDir;

std::string Needed(const std::string& program) {
  testutil::CommandResult r = RunCommand({"/usr/bin/ldd", program});
  EXPECT_EQ(r.exit_status, 0) << r.err;
  return r.out;
}

TEST(TableModules, ProgramsDoNotLinkTheDatabaseClients) {
  for (const std::string& program : {testutil::MctableBinary(), std::string(MCTABLED_BINARY)}) {
    std::string needed = Needed(program);
    ASSERT_NE(needed.find("libc.so"), std::string::npos) << needed;
    EXPECT_EQ(needed.find("libpq"), std::string::npos) << program << " links libpq:\n" << needed;
    EXPECT_EQ(needed.find("libmariadb"), std::string::npos) << program << " links libmariadb:\n" << needed;
    EXPECT_EQ(needed.find("libssl"), std::string::npos) << program << " links libssl:\n" << needed;
    EXPECT_EQ(needed.find("libcrypto"), std::string::npos) << program << " links libcrypto:\n" << needed;
  }
}

TEST(TableModules, TheCommandLoadsTheDriverOfAnOpenedTable) {
  // No server listens on the socket: the answer comes from the driver,
  // which proves the module was found and loaded.
#ifndef MCTABLE_HAVE_PGSQL
  GTEST_SKIP() << "built without libpq: no pgsql module";
#endif
  TempDir dir;
  std::string cf = dir.WriteFile("pg.cf", "hosts = unix:" + dir.path() + "/no-server\ndbname = x\n"
                                      "query = SELECT v FROM t WHERE k='%s'\n");
  dir.WriteFile("main.cf", "");
  testutil::CommandResult r =
      RunCommand({testutil::MctableBinary(), "-c", dir.path(), "-q", "key", "pgsql:" + cf});
  EXPECT_NE(r.exit_status, 0);
  EXPECT_EQ(r.err.find("cannot load"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("connect to pgsql server"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mctable
