// The module loader's failure: a module that is not installed is a
// ConfigError naming its file and every place looked in.
#include "common/module_loader.h"

#include <gtest/gtest.h>

namespace mctable {
namespace {

TEST(ModuleLoader, AMissingModuleNamesItsFileAndWhereItWasLookedFor) {
  void* entry = reinterpret_cast<void*>(1);
  Status s = LoadModuleEntry("no-such-type", "entry", &entry);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.IsConfigError()) << s.ToString();
  EXPECT_NE(s.message().find("mctable-no-such-type.so is not installed"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("/modules/mctable-no-such-type.so"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(MCTABLE_MODULE_INSTALL_DIR), std::string::npos) << s.message();
}

TEST(ModuleLoader, FileName) { EXPECT_EQ(ModuleFileName("pgsql"), "mctable-pgsql.so"); }

}  // namespace
}  // namespace mctable
