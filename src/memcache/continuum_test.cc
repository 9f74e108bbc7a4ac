// Placement against Debian's nutcracker 0.5.0.  placement_vectors.inc was
// recorded by tests/tools/record_twemproxy_placement.py: for each case it
// ran real memcached servers behind a real nutcracker, stored every key of
// VectorKeys() through nutcracker and asked each memcached which keys it
// held.  Here the same server lines, written as an mctable memcache
// parameter, go through the whole configuration path (ParseServerList,
// the default point names, ServerPool, Continuum, the key hash) and every
// key must land on the server nutcracker chose.  The cases cover all
// twelve hashes under ketama and modula, weights, explicit names, the
// port-11211 naming rule, unix sockets, hash_tag and ejected servers.
#include "memcache/continuum.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "memcache/server_list.h"
#include "memcache/server_pool.h"

namespace mctable {
namespace {

struct RecordedCase {
  const char* name;
  const char* distribution;
  const char* hash;
  const char* hash_tag;
  std::vector<std::string> servers;  // nutcracker "host:port:weight [name]" lines
  std::vector<int> dead;             // servers nutcracker had ejected
  std::string holders;               // per key, the index of the server that held it
};

const std::vector<RecordedCase>& Recorded() {
  static const std::vector<RecordedCase> cases = {
#include "memcache/placement_vectors.inc"
  };
  return cases;
}

// The keys of tests/tools/record_twemproxy_placement.py, in its order.
std::vector<std::string> VectorKeys() {
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("k" + std::to_string(i));
  for (int i = 0; i < 60; ++i)
    keys.push_back("user" + std::to_string(i) + "@example" + std::to_string(i % 7) + ".com");
  for (int n = 1; n < 26; ++n) keys.push_back(std::string(n, 'x'));
  for (int i = 0; i < 20; ++i) keys.push_back("\xc3\xa9t\xc3\xa9-" + std::to_string(i));
  for (int i = 0; i < 20; ++i) {
    std::string key;
    for (int r = 0; r < 1 + i % 5; ++r) key += "\xff\x80\x7e";
    keys.push_back(key + std::to_string(i));
  }
  for (int i = 0; i < 30; ++i)
    keys.push_back("{tag" + std::to_string(i % 3) + "}rest" + std::to_string(i));
  keys.push_back(std::string(250, 'L'));
  return keys;
}

// "127.0.0.1:4000:2 alpha" -> "{ inet:127.0.0.1:4000 weight=2 name=alpha }";
// "/path/s.sock:1" -> "{ unix:/path/s.sock weight=1 }".
std::string AsMctableServer(const std::string& line) {
  std::string address = line, name;
  size_t space = line.find(' ');
  if (space != std::string::npos) {
    address = line.substr(0, space);
    name = line.substr(space + 1);
  }
  size_t colon = address.rfind(':');
  std::string weight = address.substr(colon + 1);
  address = address.substr(0, colon);
  std::string out = "{ " + std::string(address[0] == '/' ? "unix:" : "inet:") + address +
                    " weight=" + weight;
  if (!name.empty()) out += " name=" + name;
  return out + " }";
}

TEST(ContinuumTest, PlacementMatchesNutcracker) {
  const std::vector<std::string> keys = VectorKeys();
  ASSERT_GE(Recorded().size(), 30u);
  for (const RecordedCase& c : Recorded()) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(c.holders.size(), keys.size()) << "vectors and VectorKeys() are out of step";
    std::string value;
    for (const std::string& line : c.servers) value += AsMctableServer(line) + ", ";
    std::vector<ServerConfig> servers;
    Status s = ParseServerList(value, "vectors.cf", &servers);
    ASSERT_TRUE(s.ok()) << s.ToString();
    PlacementSettings placement;
    placement.distribution = std::string(c.distribution) == "modula" ? Distribution::kModula
                                                                      : Distribution::kKetama;
    ASSERT_TRUE(KeyHashFromName(c.hash, &placement.hash));
    placement.hash_tag = c.hash_tag;
    placement.auto_eject_hosts = true;
    placement.server_failure_limit = 1;
    ServerPool pool(servers, placement);
    for (int dead : c.dead) ASSERT_TRUE(pool.RecordFailure(dead, ServerPool::TimePoint()));
    int wrong = 0;
    for (size_t k = 0; k < keys.size(); ++k) {
      size_t server = 99;
      ASSERT_TRUE(pool.ServerFor(keys[k], &server));
      if (server != static_cast<size_t>(c.holders[k] - '0')) {
        if (++wrong <= 3)
          ADD_FAILURE() << "key #" << k << " \"" << keys[k] << "\": mctable server " << server
                        << ", nutcracker server " << c.holders[k];
      }
    }
    EXPECT_EQ(wrong, 0);
  }
}

TEST(ContinuumTest, VectorsCoverTheNamingRules) {
  bool port_11211 = false, unix_socket = false, named = false, weighted = false;
  for (const RecordedCase& c : Recorded()) {
    for (const std::string& line : c.servers) {
      port_11211 |= line.find(":11211:") != std::string::npos;
      unix_socket |= line[0] == '/';
      named |= line.find(' ') != std::string::npos;
      std::string address = line.substr(0, line.find(' '));
      weighted |= address.substr(address.rfind(':') + 1) != "1";
    }
  }
  EXPECT_TRUE(port_11211) << "record the vectors where 127.0.0.2:11211 can be bound";
  EXPECT_TRUE(unix_socket);
  EXPECT_TRUE(named);
  EXPECT_TRUE(weighted);
}

TEST(ContinuumTest, TwemproxyPointNames) {
  Endpoint e;
  e.host = "10.0.0.1";
  e.service = "11211";
  EXPECT_EQ(TwemproxyPointName(e), "10.0.0.1");
  e.service = "011211";
  EXPECT_EQ(TwemproxyPointName(e), "10.0.0.1");
  e.service = "11212";
  EXPECT_EQ(TwemproxyPointName(e), "10.0.0.1:11212");
  e.service = "memcache";  // a service name is kept as written
  EXPECT_EQ(TwemproxyPointName(e), "10.0.0.1:memcache");
  e.host = "::1";
  e.service = "11212";
  EXPECT_EQ(TwemproxyPointName(e), "::1:11212");
  e.kind = Endpoint::Kind::kUnix;
  e.path = "/run/mc.sock";
  EXPECT_EQ(TwemproxyPointName(e), "/run/mc.sock:");
}

TEST(ContinuumTest, KetamaPointsFollowWeights) {
  Continuum c;
  std::vector<ServerPoint> servers = {{"a", 1}, {"b", 2}, {"c", 5}};
  c.Build(Distribution::kKetama, servers, {true, true, true});
  std::vector<int> count(3);
  for (const Continuum::Point& p : c.points()) ++count[p.server];
  // floor(w / 8 * 40 * 3) * 4 points each.
  EXPECT_EQ(count, (std::vector<int>{60, 120, 300}));
  for (size_t i = 1; i < c.points().size(); ++i)
    EXPECT_LE(c.points()[i - 1].value, c.points()[i].value);
  // Equal weights: 160 points each, whatever the number of servers.
  c.Build(Distribution::kKetama, {{"a", 3}, {"b", 3}, {"c", 3}}, {true, true, true});
  EXPECT_EQ(c.points().size(), 480u);
  c.Build(Distribution::kKetama, servers, {false, false, false});
  EXPECT_FALSE(c.has_live_servers());
}

TEST(ContinuumTest, KetamaWrapsAroundTheCircle) {
  Continuum c;
  c.Build(Distribution::kKetama, {{"a", 1}, {"b", 1}}, {true, true});
  const auto& points = c.points();
  ASSERT_EQ(points.size(), 320u);
  // Past the last point: the first one.
  if (points.back().value < UINT32_MAX) {
    EXPECT_EQ(c.ServerFor(points.back().value + 1), points.front().server);
  }
  EXPECT_EQ(c.ServerFor(0), points.front().server);
  // A hash belongs to the first point at or after it.
  for (size_t i = 1; i < points.size(); ++i) {
    EXPECT_EQ(c.ServerFor(points[i].value), points[i].server);
    if (points[i - 1].value + 1 < points[i].value) {
      EXPECT_EQ(c.ServerFor(points[i].value - 1), points[i].server);
    }
  }
}

// A pool over `list` that ejects after `limit` failures for 30 s.
ServerPool EjectingPool(const char* list, int limit) {
  std::vector<ServerConfig> servers;
  EXPECT_TRUE(ParseServerList(list, "t.cf", &servers).ok());
  PlacementSettings placement;
  placement.auto_eject_hosts = true;
  placement.server_failure_limit = limit;
  placement.server_retry_timeout_seconds = 30;
  return ServerPool(servers, placement);
}

TEST(ContinuumTest, EjectionMovesOnlyTheEjectedServersKeys) {
  ServerPool pool = EjectingPool("inet:h1:1, inet:h2:2, inet:h3:3, inet:h4:4", 2);
  const std::vector<std::string> keys = VectorKeys();
  std::vector<size_t> before(keys.size());
  for (size_t k = 0; k < keys.size(); ++k) ASSERT_TRUE(pool.ServerFor(keys[k], &before[k]));
  ServerPool::TimePoint t0;
  EXPECT_FALSE(pool.RecordFailure(1, t0));
  pool.RecordSuccess(1);  // a success resets the count
  EXPECT_FALSE(pool.RecordFailure(1, t0));
  EXPECT_TRUE(pool.RecordFailure(1, t0));
  EXPECT_TRUE(pool.ejected(1));
  int moved = 0;
  for (size_t k = 0; k < keys.size(); ++k) {
    size_t now = 0;
    ASSERT_TRUE(pool.ServerFor(keys[k], &now));
    EXPECT_NE(now, 1u);
    if (before[k] != 1) {
      EXPECT_EQ(now, before[k]) << keys[k] << " moved though its server is live";
    }
    moved += before[k] == 1;
  }
  EXPECT_GT(moved, 50);
  pool.Refresh(t0 + std::chrono::seconds(29));
  EXPECT_TRUE(pool.ejected(1));
  pool.Refresh(t0 + std::chrono::seconds(30));
  EXPECT_FALSE(pool.ejected(1));
  for (size_t k = 0; k < keys.size(); ++k) {
    size_t now = 0;
    ASSERT_TRUE(pool.ServerFor(keys[k], &now));
    EXPECT_EQ(now, before[k]);
  }
}

TEST(ContinuumTest, NoEjectionWithoutAutoEject) {
  std::vector<ServerConfig> servers;
  ASSERT_TRUE(ParseServerList("inet:h1:1 inet:h2:2", "t.cf", &servers).ok());
  ServerPool pool(servers, PlacementSettings());
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(pool.RecordFailure(0, ServerPool::TimePoint()));
  EXPECT_FALSE(pool.ejected(0));
}

TEST(ContinuumTest, OneServerTakesEveryKeyUntilEjected) {
  ServerPool pool = EjectingPool("unix:/run/mc.sock", 1);
  size_t server = 7;
  ASSERT_TRUE(pool.ServerFor("anything", &server));
  EXPECT_EQ(server, 0u);
  EXPECT_TRUE(pool.RecordFailure(0, ServerPool::TimePoint()));
  EXPECT_FALSE(pool.ServerFor("anything", &server));
  EXPECT_EQ(pool.live_servers(), 0u);
}

}  // namespace
}  // namespace mctable
