// Replica placement (ServerPool::CopiesFor, FirstCopyFor): the first copy is exactly
// where twemproxy's placement puts the key, the others are distinct
// servers next along the ketama circle or next in list order (modula), and
// copies do not move when a server is ejected.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "memcache/server_list.h"
#include "memcache/server_pool.h"

namespace mctable {
namespace {

constexpr char kServers[] =
    "inet:10.0.0.1:11211, inet:10.0.0.2:11211, inet:10.0.0.3:11211, inet:10.0.0.4:11211";

ServerPool Pool(Distribution distribution, int replicas) {
  std::vector<ServerConfig> servers;
  EXPECT_TRUE(ParseServerList(kServers, "test", &servers).ok());
  PlacementSettings placement;
  placement.distribution = distribution;
  placement.replicas = replicas;
  placement.auto_eject_hosts = true;
  placement.server_failure_limit = 1;
  return ServerPool(servers, placement);
}

std::string Key(int i) { return "key" + std::to_string(i); }

TEST(ReplicaPlacement, FirstCopyIsTwemproxysServerAndTheOthersAreDistinct) {
  for (Distribution d : {Distribution::kKetama, Distribution::kModula}) {
    ServerPool pool = Pool(d, 3);
    std::vector<size_t> copies;
    for (int i = 0; i < 2000; ++i) {
      size_t first = 99;
      ASSERT_TRUE(pool.ServerFor(Key(i), &first));
      pool.CopiesFor(Key(i), &copies);
      ASSERT_EQ(copies.size(), 3u);
      EXPECT_EQ(copies[0], first) << Key(i);
      EXPECT_EQ(pool.FirstCopyFor(Key(i)), first) << Key(i);
      std::vector<size_t> sorted = copies;
      std::sort(sorted.begin(), sorted.end());
      EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << Key(i);
    }
  }
}

TEST(ReplicaPlacement, ModulaTakesTheNextServersInListOrder) {
  ServerPool pool = Pool(Distribution::kModula, 2);
  std::vector<size_t> copies;
  for (int i = 0; i < 500; ++i) {
    pool.CopiesFor(Key(i), &copies);
    EXPECT_EQ(copies[1], (copies[0] + 1) % 4) << Key(i);
  }
}

TEST(ReplicaPlacement, KetamaSecondCopyIsTheNextDistinctServerOnTheCircle) {
  std::vector<ServerConfig> servers;
  ASSERT_TRUE(ParseServerList(kServers, "test", &servers).ok());
  std::vector<ServerPoint> points;
  for (const ServerConfig& s : servers) points.push_back({s.name, s.weight});
  Continuum continuum;
  continuum.Build(Distribution::kKetama, points, std::vector<bool>(4, true));
  const auto& circle = continuum.points();
  std::vector<size_t> copies;
  // Just below each point: the copies are that point's server and the next
  // different server after it, as a walk along the circle finds them.
  for (size_t p = 1; p < circle.size(); p += 7) {
    if (circle[p].value == circle[p - 1].value) continue;
    continuum.CopiesFor(circle[p].value, 2, 4, &copies);
    size_t q = p;
    while (circle[q % circle.size()].server == circle[p].server) ++q;
    ASSERT_EQ(copies.size(), 2u);
    EXPECT_EQ(copies[0], circle[p].server);
    EXPECT_EQ(copies[1], circle[q % circle.size()].server) << "point " << p;
  }
}

TEST(ReplicaPlacement, CopiesStayPutWhenAServerIsEjected) {
  ServerPool pool = Pool(Distribution::kKetama, 2);
  std::vector<std::vector<size_t>> before(1000);
  for (int i = 0; i < 1000; ++i) pool.CopiesFor(Key(i), &before[i]);
  ASSERT_TRUE(pool.RecordFailure(2, ServerPool::TimePoint()));
  ASSERT_TRUE(pool.ejected(2));
  std::vector<size_t> after;
  for (int i = 0; i < 1000; ++i) {
    pool.CopiesFor(Key(i), &after);
    EXPECT_EQ(after, before[i]) << Key(i);
    EXPECT_EQ(pool.FirstCopyFor(Key(i)), before[i][0]) << Key(i);
  }
}

TEST(ReplicaPlacement, OneCopyPerServerAtMost) {
  ServerPool pool = Pool(Distribution::kKetama, 4);
  std::vector<size_t> copies;
  pool.CopiesFor("k", &copies);
  std::sort(copies.begin(), copies.end());
  EXPECT_EQ(copies, (std::vector<size_t>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace mctable
