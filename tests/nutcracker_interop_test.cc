// One table spread over three real memcached servers, reached two ways:
// directly by mctable (memcache = the three servers) and through a real
// nutcracker (twemproxy) in front of them, as Postfix reaches them.  Both
// must agree on where every key lives: keys stored through nutcracker are
// all found by mctable directly, and keys stored by mctable directly are
// all found by Debian's postmap through nutcracker.  Cases: ketama with
// md5 and with fnv1a_64, ketama with weights and names, modula.
#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <memory>
#include <string>
#include <vector>

#include "mctable/log.h"
#include "mctable/table.h"
#include "testutil/memcached_set.h"
#include "testutil/nutcracker_server.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::MemcachedSet;
using testutil::NutcrackerServer;
using testutil::TempDir;

constexpr int kKeys = 3000;

struct InteropCase {
  const char* label;
  const char* distribution;
  const char* hash;
  std::vector<int> weights;
  std::vector<std::string> names;
};

void PrintTo(const InteropCase& c, std::ostream* os) { *os << c.label; }

std::string Key(int i) { return "user" + std::to_string(i) + "@example" + std::to_string(i % 13) + ".com"; }
std::string Value(int i) { return "dest" + std::to_string(i) + "@mail.example.net"; }

class NutcrackerInteropTest : public ::testing::TestWithParam<InteropCase> {
 protected:
  void SetUp() override {
    if (NutcrackerServer::Binary().empty())
      GTEST_SKIP() << "nutcracker is not installed (apt-get install nutcracker)";
    if (!servers_.Start(3)) GTEST_SKIP() << "cannot run memcached: " << servers_.error();
    const InteropCase& c = GetParam();
    NutcrackerServer::Options options;
    options.distribution = c.distribution;
    options.hash = c.hash;
    options.servers = servers_.NutcrackerLines(c.weights, c.names);
    ASSERT_TRUE(nutcracker_.Start(options)) << nutcracker_.error();
    std::string common = "key_format = interop:%s\ndistribution = " + std::string(c.distribution) +
                         "\nhash = " + c.hash + "\n";
    direct_cf_ = dir_.WriteFile("direct.cf", "memcache = " + servers_.MemcacheValue(c.weights, c.names) +
                                                 "\n" + common);
    proxy_cf_ = dir_.WriteFile("proxy.cf", "memcache = " + nutcracker_.endpoint() + "\n" + common);
    dir_.WriteFile("main.cf", "");
    for (int i = 0; i < kKeys; ++i) {
      keys_.push_back(Key(i));
      wire_keys_.push_back("interop:" + Key(i));
    }
  }

  std::unique_ptr<Table> Open(const std::string& cf) {
    OpenOptions options;
    options.read_write = true;
    return testutil::OpenOrDie("memcache:" + cf, options);
  }

  // Every key on exactly one server, and every server holding some.
  void ExpectSpreadOnce() {
    std::map<std::string, std::vector<size_t>> holders = servers_.Holders(wire_keys_);
    std::vector<int> per_server(servers_.size());
    for (const auto& [key, where] : holders) {
      ASSERT_EQ(where.size(), 1u) << key << " is held by " << where.size() << " servers";
      ++per_server[where[0]];
    }
    for (size_t s = 0; s < per_server.size(); ++s)
      EXPECT_GT(per_server[s], kKeys / 20) << "server " << s << " holds almost nothing";
  }

  TempDir dir_;
  MemcachedSet servers_;
  NutcrackerServer nutcracker_;
  std::string direct_cf_, proxy_cf_;
  std::vector<std::string> keys_, wire_keys_;
};

TEST_P(NutcrackerInteropTest, StoredThroughNutcrackerFoundDirectly) {
  auto proxy = Open(proxy_cf_);
  std::vector<KeyValue> entries;
  for (int i = 0; i < kKeys; ++i) entries.push_back({Key(i), Value(i)});
  std::vector<Status> stored;
  proxy->UpdateMany(entries, &stored);
  for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(stored[i].ok()) << Key(i) << ": " << stored[i].ToString();
  ExpectSpreadOnce();

  auto direct = Open(direct_cf_);
  std::vector<LookupResult> found;
  direct->LookupMany(keys_, &found);
  int missing = 0;
  for (int i = 0; i < kKeys; ++i) {
    if (!found[i].status.ok()) {
      if (++missing <= 3) ADD_FAILURE() << Key(i) << ": " << found[i].status.ToString();
      continue;
    }
    EXPECT_EQ(found[i].value, Value(i));
  }
  EXPECT_EQ(missing, 0) << "keys stored through nutcracker that mctable looks for elsewhere";
}

TEST_P(NutcrackerInteropTest, StoredDirectlyFoundByPostmapThroughNutcracker) {
  testutil::Postmap postmap;
  if (!postmap.available()) GTEST_SKIP() << "Debian's postmap is not installed";
  std::string entries, input, expected;
  for (int i = 0; i < kKeys; ++i) {
    entries += Key(i) + " " + Value(i) + "\n";
    input += Key(i) + "\n";
    expected += Key(i) + "\t" + Value(i) + "\n";
  }
  testutil::CommandResult load = testutil::RunCommand(
      {testutil::MctableBinary(), "-c", dir_.path(), "-i", "memcache:" + direct_cf_}, entries);
  ASSERT_EQ(load.exit_status, 0) << load.err;
  ExpectSpreadOnce();

  testutil::CommandResult r = postmap.Run({"-q", "-", "memcache:" + proxy_cf_}, input);
  EXPECT_EQ(r.exit_status, 0) << r.err;
  std::vector<std::string> got = testutil::SplitLines(r.out), want = testutil::SplitLines(expected);
  EXPECT_EQ(got.size(), want.size()) << "postmap found " << got.size() << " of " << kKeys << " keys";
  EXPECT_TRUE(r.out == expected) << "postmap's answers through nutcracker differ; stderr: " << r.err;
  r = postmap.Run({"-q", Key(42), "memcache:" + proxy_cf_});
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.out, Value(42) + "\n");
}

INSTANTIATE_TEST_SUITE_P(
    Placements, NutcrackerInteropTest,
    ::testing::Values(InteropCase{"ketama_md5", "ketama", "md5", {}, {}},
                      InteropCase{"ketama_fnv1a_64", "ketama", "fnv1a_64", {}, {}},
                      InteropCase{"ketama_weights_names", "ketama", "fnv1a_64", {1, 2, 3},
                                  {"mc-c", "mc-a", "mc-b"}},
                      InteropCase{"modula_murmur_weights", "modula", "murmur", {2, 1, 1}, {}}),
    [](const ::testing::TestParamInfo<InteropCase>& param_info) { return std::string(param_info.param.label); });

// Postfix's own client takes one server and says so: a list is refused at
// the first lookup (so Postfix reaches several servers through nutcracker).
TEST(PostfixServerListTest, PostmapRefusesAListExplicitly) {
  testutil::Postmap postmap;
  if (!postmap.available()) GTEST_SKIP() << "Debian's postmap is not installed";
  TempDir dir;
  std::string cf = dir.WriteFile("list.cf", "memcache = inet:127.0.0.1:1, inet:127.0.0.1:2\n");
  testutil::CommandResult r = postmap.Run({"-q", "key", "memcache:" + cf});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("valid hostname or network address required"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mctable
