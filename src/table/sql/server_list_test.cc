// Tests for ServerList: Postfix's order of choice, random choice among
// equals, retry after retry_interval, and closing idle connections.
#include "table/sql/server_list.h"

#include <gtest/gtest.h>

#include <set>

namespace mctable {
namespace {

ServerAddress Server(std::string text, ServerAddress::Kind kind) {
  ServerAddress address;
  address.text = std::move(text);
  address.kind = kind;
  return address;
}

constexpr auto kInet = ServerAddress::Kind::kInet;
constexpr auto kUnix = ServerAddress::Kind::kUnix;
constexpr auto kUri = ServerAddress::Kind::kUri;

TEST(SplitHostList, CommasAndWhitespaceAndDefault) {
  EXPECT_EQ(SplitHostList("a, b\tc,,d\n e"), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(SplitHostList(""), (std::vector<std::string>{"localhost"}));
  EXPECT_EQ(SplitHostList(" , "), (std::vector<std::string>{"localhost"}));
}

TEST(ServerList, UnixBeforeInetBeforeUri) {
  ServerList list({Server("uri", kUri), Server("inet", kInet), Server("unix", kUnix)}, 60, 60);
  EXPECT_EQ(list.PickToConnect(1000), 2u);
  list.Failed(2, 1000);
  EXPECT_EQ(list.PickToConnect(1000), 1u);
  list.Failed(1, 1000);
  EXPECT_EQ(list.PickToConnect(1000), 0u);
  list.Failed(0, 1000);
  EXPECT_EQ(list.PickToConnect(1000), ServerList::kNone);
}

TEST(ServerList, ConnectedServersComeFirst) {
  ServerList list({Server("unix", kUnix), Server("inet", kInet)}, 60, 60);
  std::vector<size_t> to_close;
  EXPECT_EQ(list.PickConnected(1000, &to_close), ServerList::kNone);
  list.Connected(1, 1000);
  // The connected TCP server wins over the untried UNIX one.
  EXPECT_EQ(list.PickConnected(1001, &to_close), 1u);
  EXPECT_TRUE(to_close.empty());
}

TEST(ServerList, RandomAmongEquals) {
  std::set<size_t> chosen;
  for (int i = 0; i < 200 && chosen.size() < 3; ++i) {
    ServerList list({Server("a", kInet), Server("b", kInet), Server("c", kInet)}, 60, 60);
    chosen.insert(list.PickToConnect(1000));
  }
  EXPECT_EQ(chosen.size(), 3u) << "each server must be chosen first sometimes";
}

TEST(ServerList, FailedServerIsRetriedAfterTheInterval) {
  ServerList list({Server("a", kInet)}, 60, 60);
  list.Failed(0, 1000);
  EXPECT_EQ(list.PickToConnect(1000), ServerList::kNone);
  EXPECT_EQ(list.PickToConnect(1059), ServerList::kNone);
  EXPECT_EQ(list.SecondsUntilRetry(1030), 30);
  EXPECT_EQ(list.PickToConnect(1060), 0u);
  EXPECT_EQ(list.SecondsUntilRetry(1060), 0);
}

TEST(ServerList, IdleConnectionsAreClosedBeforeUse) {
  ServerList list({Server("a", kInet)}, 60, 10);
  list.Connected(0, 1000);
  std::vector<size_t> to_close;
  EXPECT_EQ(list.PickConnected(1009, &to_close), 0u);
  list.Used(0, 1009);
  EXPECT_EQ(list.PickConnected(1019, &to_close), ServerList::kNone);
  EXPECT_EQ(to_close, std::vector<size_t>{0});
  // Closed for idleness, not failed: it may be connected to again at once.
  EXPECT_EQ(list.PickToConnect(1019), 0u);
}

}  // namespace
}  // namespace mctable
