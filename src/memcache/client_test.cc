// The client's dispatch rules through a fake DispatchIo: in-memory servers
// that answer the memcached text commands the batches send, or refuse
// every connection (dead), or accept and never answer (stalled), and a
// clock that moves only when the dispatch waits.  So the timing rules --
// one timeout per try, retry pauses, ejection after server_failure_limit,
// the return after server_retry_timeout -- are checked exactly and at once,
// without sockets or sleeps.  The same properties against real memcached
// processes are in tests/replicas_test.cc and tests/servers_test.cc.
#include "memcache/client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "memcache/server_list.h"

namespace mctable {
namespace {

using TimePoint = std::chrono::steady_clock::time_point;
using std::chrono::seconds;

struct FakeItem {
  std::string value;
  uint32_t flags = 0;
  long long expires = 0;  // fake seconds; 0: never
};

struct FakeServer {
  enum class Mode { kUp, kDead, kStalled } mode = Mode::kUp;
  std::map<std::string, FakeItem> items;
  std::vector<std::string> commands;  // every command line received
  std::vector<std::string> requests;  // every request, byte for byte
  // A value longer than this is refused as memcached refuses one over -I.
  size_t max_value = static_cast<size_t>(-1);
};

class FakeIo;

// Speaks for one FakeServer; answers at once (an up server) or never.
class FakeLink : public ServerLink {
 public:
  FakeLink(FakeIo* io, Endpoint endpoint, FakeServer* server, int fd)
      : io_(io), endpoint_(std::move(endpoint)), server_(server), fd_(fd) {}

  const Endpoint& endpoint() const override { return endpoint_; }
  bool is_set_up() const override { return true; }
  void MarkSetUp() override {}
  int fd() const override { return fd_; }
  short PollEvents() const override { return POLLIN; }
  Step Connect(Status* status, bool* refused) override {
    if (server_->mode == FakeServer::Mode::kDead) {
      *status = Status::TempError("Connection refused");
      *refused = true;
      return Step::kFailed;
    }
    return Step::kDone;
  }
  Step StartExchange(std::string_view request, ReplyConsumer* consumer, Status* status) override;
  Step Continue(short, Status*, bool*) override { return Step::kPending; }
  Status Abandon() override { return Status::TempError("Connection timed out"); }

 private:
  std::string Answer(std::string_view request);

  FakeIo* io_;
  Endpoint endpoint_;
  FakeServer* server_;
  int fd_;
};

class FakeIo : public DispatchIo {
 public:
  explicit FakeIo(size_t servers) : servers_(servers) {}

  TimePoint Now() override { return now_; }
  // Nothing is ever readable: a stalled server stays silent, so the wait
  // runs to its end and the clock moves by exactly that much.
  int Poll(pollfd*, nfds_t, int timeout_ms) override {
    now_ += std::chrono::milliseconds(timeout_ms);
    return 0;
  }
  std::unique_ptr<ServerLink> NewLink(const Endpoint& endpoint, std::shared_ptr<const TlsContext>) override {
    size_t index = std::stoul(endpoint.service) - 1;
    return std::make_unique<FakeLink>(this, endpoint, &servers_[index], static_cast<int>(100 + index));
  }

  FakeServer& server(size_t i) { return servers_[i]; }
  void Advance(seconds by) { now_ += by; }
  long long seconds_now() const {
    return std::chrono::duration_cast<seconds>(now_.time_since_epoch()).count();
  }
  double Elapsed(TimePoint since) const { return std::chrono::duration<double>(now_ - since).count(); }

 private:
  TimePoint now_ = TimePoint() + seconds(1000000);
  std::vector<FakeServer> servers_;
};

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    if (end > pos) words.push_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  return words;
}

std::string FakeLink::Answer(std::string_view request) {
  std::string reply;
  const long long now = io_->seconds_now();
  auto live = [&](std::string_view key) -> FakeItem* {
    auto it = server_->items.find(std::string(key));
    if (it == server_->items.end()) return nullptr;
    if (it->second.expires != 0 && it->second.expires <= now) {
      server_->items.erase(it);
      return nullptr;
    }
    return &it->second;
  };
  server_->requests.emplace_back(request);
  while (!request.empty()) {
    size_t eol = request.find("\r\n");
    std::string_view line = request.substr(0, eol);
    request.remove_prefix(eol + 2);
    server_->commands.emplace_back(line);
    std::vector<std::string_view> w = Words(line);
    if (w[0] == "get") {
      for (size_t k = 1; k < w.size(); ++k)
        if (FakeItem* item = live(w[k]))
          reply += "VALUE " + std::string(w[k]) + " " + std::to_string(item->flags) + " " +
                   std::to_string(item->value.size()) + "\r\n" + item->value + "\r\n";
      reply += "END\r\n";
    } else if (w[0] == "mg") {
      if (FakeItem* item = live(w[1])) {
        long long ttl = item->expires == 0 ? -1 : item->expires - now;
        reply += "VA " + std::to_string(item->value.size()) + " s" + std::to_string(item->value.size()) +
                 " t" + std::to_string(ttl) + " f" + std::to_string(item->flags) + "\r\n" + item->value +
                 "\r\n";
      } else {
        reply += "EN\r\n";
      }
    } else if (w[0] == "set" || w[0] == "add") {
      size_t length = std::stoul(std::string(w[4]));
      FakeItem item{std::string(request.substr(0, length)), static_cast<uint32_t>(std::stoul(std::string(w[2]))),
                    0};
      long long ttl = std::stoll(std::string(w[3]));
      item.expires = ttl == 0 ? 0 : ttl > 60 * 60 * 24 * 30 ? ttl : now + ttl;
      request.remove_prefix(length + 2);
      if (w[0] == "add" && live(w[1])) {
        reply += "NOT_STORED\r\n";
      } else {
        server_->items[std::string(w[1])] = item;
        reply += "STORED\r\n";
      }
    } else if (w[0] == "ms") {  // "ms KEY LEN T<ttl> F<flags> q", as the client sends it
      size_t length = std::stoul(std::string(w[2]));
      long long ttl = std::stoll(std::string(w[3].substr(1)));
      FakeItem item{std::string(request.substr(0, length)),
                    static_cast<uint32_t>(std::stoul(std::string(w[4].substr(1)))),
                    ttl == 0 ? 0 : ttl > 60 * 60 * 24 * 30 ? ttl : now + ttl};
      request.remove_prefix(length + 2);
      if (length > server_->max_value) {
        reply += "SERVER_ERROR object too large for cache\r\n";  // no key, no opaque
      } else {
        server_->items[std::string(w[1])] = item;  // "HD" is quiet
      }
    } else if (w[0] == "md") {  // "md KEY q O<opaque>"
      if (!(live(w[1]) && server_->items.erase(std::string(w[1])))) reply += "NF " + std::string(w[3]) + "\r\n";
    } else if (w[0] == "mn") {
      reply += "MN\r\n";
    } else if (w[0] == "delete") {
      reply += live(w[1]) && server_->items.erase(std::string(w[1])) ? "DELETED\r\n" : "NOT_FOUND\r\n";
    } else {
      reply += "ERROR\r\n";
    }
  }
  return reply;
}

ServerLink::Step FakeLink::StartExchange(std::string_view request, ReplyConsumer* consumer, Status* status) {
  if (server_->mode == FakeServer::Mode::kStalled) return Step::kPending;
  std::string reply = Answer(request);
  size_t consumed = 0;
  if (consumer->Consume(reply, &consumed) != ReplyConsumer::Progress::kDone) {
    *status = Status::TempError(consumer->error());
    return Step::kFailed;
  }
  return Step::kDone;
}

class ClientTest : public ::testing::Test {
 protected:
  ClientTest() : io_(3) {}

  // Servers "inet:127.0.0.1:1" .. ":3": the port is the fake server's index + 1.
  MemcacheSettings Settings(int replicas) {
    MemcacheSettings settings;
    EXPECT_TRUE(ParseServerList("inet:127.0.0.1:1, inet:127.0.0.1:2, inet:127.0.0.1:3", "t",
                                &settings.servers)
                    .ok());
    settings.placement.replicas = replicas;
    settings.timeout_seconds = 2;
    settings.max_try = 1;
    settings.retry_pause_seconds = 1;
    settings.table_name = "memcache:t.cf";
    settings.origin = "t.cf";
    return settings;
  }
  std::vector<std::string> Keys(int n) {
    std::vector<std::string> keys;
    for (int i = 0; i < n; ++i) keys.push_back("key" + std::to_string(i));
    return keys;
  }
  std::vector<std::string_view> Views(const std::vector<std::string>& keys) {
    return {keys.begin(), keys.end()};
  }
  void Store(MemcacheClient* client, const std::vector<std::string>& keys, long ttl = 0) {
    std::vector<SetRequest> items;
    for (const std::string& k : keys) items.push_back({k, "v-" + k});
    // Values are views: keep them alive for the call.
    std::vector<std::string> values;
    for (const std::string& k : keys) values.push_back("v-" + k);
    for (size_t i = 0; i < keys.size(); ++i) items[i].data = values[i];
    std::vector<Status> results;
    client->Set(items, 0, ttl, &results);
    for (size_t i = 0; i < keys.size(); ++i) ASSERT_TRUE(results[i].ok()) << keys[i] << results[i].ToString();
  }
  std::vector<std::vector<size_t>> Copies(const MemcacheClient& client, const std::vector<std::string>& keys) {
    std::vector<std::vector<size_t>> copies(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) client.pool().CopiesFor(keys[i], &copies[i]);
    return copies;
  }

  FakeIo io_;
};

TEST_F(ClientTest, StalledServerCostsOneTimeoutThenIsEjectedAndComesBackAfterTheRetryTimeout) {
  MemcacheSettings settings = Settings(2);
  settings.placement.auto_eject_hosts = true;
  settings.placement.server_failure_limit = 1;
  settings.placement.server_retry_timeout_seconds = 30;
  MemcacheClient client(settings, &io_);
  std::vector<std::string> keys = Keys(3000);
  Store(&client, keys);
  io_.server(1).mode = FakeServer::Mode::kStalled;
  std::vector<LookupResult> found;
  TimePoint start = io_.Now();
  client.Get(Views(keys), &found);
  EXPECT_EQ(io_.Elapsed(start), 2.0) << "one timeout, not one per key or per chunk";
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(found[i].value, "v-" + keys[i]) << keys[i];
  EXPECT_TRUE(client.pool().ejected(1));
  const uint64_t failovers = client.replica_counters().failovers;
  EXPECT_GT(failovers, 500u);

  start = io_.Now();
  size_t asked = io_.server(1).commands.size();
  client.Get(Views(keys), &found);
  EXPECT_EQ(io_.Elapsed(start), 0.0);
  EXPECT_EQ(io_.server(1).commands.size(), asked) << "an ejected server is not asked";
  EXPECT_EQ(client.replica_counters().failovers, failovers);

  io_.server(1).mode = FakeServer::Mode::kUp;
  io_.Advance(seconds(29));
  client.Get(Views(keys), &found);
  EXPECT_EQ(io_.server(1).commands.size(), asked) << "back before server_retry_timeout";
  io_.Advance(seconds(1));
  client.Get(Views(keys), &found);
  EXPECT_GT(io_.server(1).commands.size(), asked);
  EXPECT_FALSE(client.pool().ejected(1));
}

TEST_F(ClientTest, WithoutReplicasTriesRetriesAndEjectionTakeTheirConfiguredTimes) {
  MemcacheSettings settings = Settings(1);
  settings.max_try = 2;
  settings.placement.auto_eject_hosts = true;
  settings.placement.server_failure_limit = 2;
  MemcacheClient client(settings, &io_);
  std::vector<std::string> keys = Keys(600);
  Store(&client, keys);
  io_.server(2).mode = FakeServer::Mode::kStalled;
  std::vector<LookupResult> found;
  TimePoint start = io_.Now();
  client.Get(Views(keys), &found);
  // timeout x max_try + retry_pause x (max_try - 1): 2 + 1 + 2.
  EXPECT_EQ(io_.Elapsed(start), 5.0);
  EXPECT_TRUE(client.pool().ejected(2));
  size_t moved = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_FALSE(found[i].status.IsError()) << keys[i] << ": " << found[i].status.ToString();
    moved += found[i].status.IsNotFound();  // asked of the server the rebuilt continuum names
  }
  EXPECT_GT(moved, 100u);
}

TEST_F(ClientTest, DeadServerCostsNoTimeAndEveryKeyIsFoundOnItsOtherCopy) {
  MemcacheClient client(Settings(2), &io_);
  std::vector<std::string> keys = Keys(2000);
  Store(&client, keys);
  io_.server(0).mode = FakeServer::Mode::kDead;
  std::vector<LookupResult> found;
  TimePoint start = io_.Now();
  client.Get(Views(keys), &found);
  EXPECT_EQ(io_.Elapsed(start), 0.0);
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(found[i].value, "v-" + keys[i]) << keys[i];
}

TEST_F(ClientTest, ReadRepairWritesBackWithTheRemainingTtlAndNeverOverANewerValue) {
  MemcacheClient client(Settings(2), &io_);
  std::vector<std::string> keys = Keys(200);
  Store(&client, keys, 100);
  std::vector<std::vector<size_t>> copies = Copies(client, keys);
  io_.server(0).items.clear();  // restarted empty
  io_.Advance(seconds(40));
  std::vector<LookupResult> found;
  client.Get(Views(keys), &found);
  uint64_t expected = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(found[i].value, "v-" + keys[i]);
    if (copies[i][0] != 0) continue;
    ++expected;
    const FakeItem& item = io_.server(0).items.at(keys[i]);
    EXPECT_EQ(item.value, "v-" + keys[i]);
    EXPECT_EQ(item.expires, io_.seconds_now() + 60) << "the 60 s left, not a new ttl";
  }
  EXPECT_GT(expected, 20u);
  EXPECT_EQ(client.replica_counters().read_repairs, expected);
  EXPECT_EQ(client.replica_counters().failovers, 0u);
  const std::string& repair = io_.server(0).commands.back();
  EXPECT_TRUE(repair.starts_with("add ")) << repair;
}

// The read path places only first copies while every server is live; the
// other copies are placed, and asked, only for the keys that need them.
TEST_F(ClientTest, WhileEveryServerIsUpAKeyIsAskedOfItsFirstCopyOnlyUnlessItMisses) {
  MemcacheClient client(Settings(2), &io_);
  std::vector<std::string> keys = Keys(400);
  std::vector<std::vector<size_t>> copies = Copies(client, keys);
  Store(&client, keys);
  std::vector<std::string> absent = {"absent-a", "absent-b", "absent-c"};
  std::vector<std::string> all = keys;
  all.insert(all.end(), absent.begin(), absent.end());
  std::vector<std::vector<size_t>> all_copies = Copies(client, all);
  for (size_t s = 0; s < 3; ++s) io_.server(s).commands.clear();
  std::vector<LookupResult> found;
  std::vector<uint32_t> flags;
  client.Get(Views(all), &found, &flags);
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(found[i].value, "v-" + keys[i]) << keys[i];
  for (size_t i = keys.size(); i < all.size(); ++i) EXPECT_TRUE(found[i].status.IsNotFound()) << all[i];
  // Each server got plain gets for exactly the keys whose first copy it
  // holds, then one meta get per absent key whose second copy it holds.
  for (size_t s = 0; s < 3; ++s) {
    std::vector<std::string> got, meta, expected_got, expected_meta;
    for (const std::string& line : io_.server(s).commands) {
      std::vector<std::string_view> w = Words(line);
      if (w[0] == "get") {
        got.insert(got.end(), w.begin() + 1, w.end());
      } else if (w[0] == "mg") {
        meta.emplace_back(w[1]);
      } else {
        ADD_FAILURE() << "server " << s << " got " << line;
      }
    }
    for (size_t i = 0; i < all.size(); ++i) {
      if (all_copies[i][0] == s) expected_got.push_back(all[i]);
      if (i >= keys.size() && all_copies[i][1] == s) expected_meta.push_back(all[i]);
    }
    EXPECT_EQ(got, expected_got) << "server " << s;
    EXPECT_EQ(meta, expected_meta) << "server " << s;
  }
  EXPECT_EQ(client.replica_counters().failovers, 0u);
  EXPECT_EQ(client.replica_counters().read_repairs, 0u);
}

// With a server ejected, round 0 asks each key's first live copy, and a key
// that misses there still goes on to its later copies.
TEST_F(ClientTest, WithAServerEjectedKeysStartAtTheirFirstLiveCopyAndMissesGoOn) {
  MemcacheSettings settings = Settings(3);
  settings.placement.auto_eject_hosts = true;
  settings.placement.server_failure_limit = 1;
  MemcacheClient client(settings, &io_);
  std::vector<std::string> keys = Keys(300);
  std::vector<std::vector<size_t>> copies = Copies(client, keys);
  Store(&client, keys);
  io_.server(0).mode = FakeServer::Mode::kDead;
  std::vector<LookupResult> found;
  client.Get(Views(keys), &found);  // ejects server 0
  ASSERT_TRUE(client.pool().ejected(0));
  io_.server(0).mode = FakeServer::Mode::kUp;
  // Keys whose second copy lost its value: found on their third copy, and
  // the second copy is refilled.
  size_t expected_repairs = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (copies[i][0] != 0 || copies[i][1] != 1) continue;
    io_.server(1).items.erase(keys[i]);
    ++expected_repairs;
  }
  ASSERT_GT(expected_repairs, 10u);
  for (size_t s = 0; s < 3; ++s) io_.server(s).commands.clear();
  client.Get(Views(keys), &found);
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(found[i].value, "v-" + keys[i]) << keys[i];
  EXPECT_TRUE(io_.server(0).commands.empty()) << "an ejected server is not asked";
  EXPECT_EQ(client.replica_counters().read_repairs, expected_repairs);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (copies[i][0] != 0 || copies[i][1] != 1) continue;
    EXPECT_EQ(io_.server(1).items.count(keys[i]), 1u) << keys[i];
  }
}

TEST_F(ClientTest, WritesGoToEveryCopyAndOneThatMissesACopyIsAnErrorNamingTheKey) {
  MemcacheClient client(Settings(2), &io_);
  std::vector<std::string> keys = Keys(300);
  std::vector<std::vector<size_t>> copies = Copies(client, keys);
  Store(&client, keys);
  for (size_t i = 0; i < keys.size(); ++i)
    for (size_t s : copies[i]) EXPECT_EQ(io_.server(s).items.count(keys[i]), 1u) << keys[i];
  io_.server(1).mode = FakeServer::Mode::kDead;
  io_.server(2).mode = FakeServer::Mode::kDead;
  std::vector<Status> deleted;
  client.Delete(Views(keys), &deleted);
  for (size_t i = 0; i < keys.size(); ++i) {
    const bool on_live = copies[i][0] == 0 || copies[i][1] == 0;
    const std::string prefix = "memcache:t.cf: delete of key \"" + keys[i] + "\" reached ";
    ASSERT_TRUE(deleted[i].IsTempError());
    if (on_live) {
      EXPECT_TRUE(deleted[i].message().starts_with(prefix + "1 of 2 copies (127.0.0.1:")) << deleted[i].message();
    } else {
      EXPECT_EQ(deleted[i].message(),
                prefix + "no copy: 127.0.0.1:" + std::to_string(copies[i][0] + 1) + ": Connection refused");
    }
  }
  EXPECT_GT(client.replica_counters().writes_missed_copy, 0u);
}

// Replicated writes are quiet meta commands, each server's chunk ended by
// "mn"; without replicas the bytes are the plain set and delete of before.
TEST_F(ClientTest, ReplicatedWritesAreQuietMetaCommandsEndedByANoopAndSingleCopiesStayPlain) {
  std::vector<std::string> keys = Keys(20);
  for (int replicas : {1, 2}) {
    FakeIo io(3);
    MemcacheClient client(Settings(replicas), &io);
    std::vector<std::vector<size_t>> copies = Copies(client, keys);
    std::vector<std::string> values;
    std::vector<SetRequest> items;
    for (const std::string& k : keys) values.push_back("v-" + k);
    for (size_t i = 0; i < keys.size(); ++i) items.push_back({keys[i], values[i]});
    std::vector<Status> stored;
    client.Set(items, 7, 300, &stored);
    for (const Status& s : stored) EXPECT_TRUE(s.ok()) << s.ToString();
    std::vector<std::string_view> doomed = {keys[0], keys[1], "absent"};
    std::vector<std::vector<size_t>> doomed_copies = Copies(client, {keys[0], keys[1], "absent"});
    std::vector<Status> deleted;
    client.Delete(doomed, &deleted);
    EXPECT_TRUE(deleted[0].ok()) << deleted[0].ToString();
    EXPECT_TRUE(deleted[1].ok()) << deleted[1].ToString();
    EXPECT_TRUE(deleted[2].IsNotFound()) << deleted[2].ToString();
    for (size_t s = 0; s < 3; ++s) {
      std::string sets, deletes;
      size_t position = 0;
      for (size_t i = 0; i < keys.size(); ++i) {
        if (std::find(copies[i].begin(), copies[i].end(), s) == copies[i].end()) continue;
        sets += replicas == 1 ? "set " + keys[i] + " 7 300 " + std::to_string(values[i].size()) + "\r\n"
                              : "ms " + keys[i] + " " + std::to_string(values[i].size()) + " T300 F7 q\r\n";
        sets += values[i] + "\r\n";
      }
      for (size_t i = 0; i < doomed.size(); ++i) {
        if (std::find(doomed_copies[i].begin(), doomed_copies[i].end(), s) == doomed_copies[i].end()) continue;
        deletes += replicas == 1 ? "delete " + std::string(doomed[i]) + "\r\n"
                                 : "md " + std::string(doomed[i]) + " q O" + std::to_string(position++) + "\r\n";
      }
      if (replicas == 2) {
        if (!sets.empty()) sets += "mn\r\n";
        if (!deletes.empty()) deletes += "mn\r\n";
      }
      std::vector<std::string> expected;
      if (!sets.empty()) expected.push_back(sets);
      if (!deletes.empty()) expected.push_back(deletes);
      EXPECT_EQ(io.server(s).requests, expected) << "replicas " << replicas << ", server " << s;
    }
  }
}

// memcached's error lines in a quiet chunk name no key: the whole chunk
// fails on that server (never reported stored), only there, and is not
// sent again although max_try would allow it.
TEST_F(ClientTest, AnErrorLineInAQuietChunkFailsThatChunkOnThatServerOnlyAndIsNotResent) {
  MemcacheSettings settings = Settings(2);
  settings.max_try = 3;
  MemcacheClient client(settings, &io_);
  std::vector<std::string> keys = Keys(40);
  std::vector<std::vector<size_t>> copies = Copies(client, keys);
  std::vector<std::string> values;
  for (const std::string& k : keys) values.push_back("v-" + k);
  // One value too large for server 0, whose other copy takes it.
  size_t big = 0;
  while (copies[big][0] != 0 && copies[big][1] != 0) ++big;
  values[big].assign(100, 'x');
  io_.server(0).max_value = 50;
  std::vector<SetRequest> items;
  for (size_t i = 0; i < keys.size(); ++i) items.push_back({keys[i], values[i]});
  std::vector<Status> stored;
  client.Set(items, 0, 0, &stored);
  size_t failed = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    const bool on_0 = copies[i][0] == 0 || copies[i][1] == 0;
    const size_t other = copies[i][0] == 0 ? copies[i][1] : copies[i][0];
    if (!on_0) {
      EXPECT_TRUE(stored[i].ok()) << keys[i] << ": " << stored[i].ToString();
      continue;
    }
    ++failed;
    ASSERT_TRUE(stored[i].IsTempError()) << keys[i];
    EXPECT_TRUE(stored[i].message().starts_with("memcache:t.cf: update of key \"" + keys[i] +
                                                "\" reached 1 of 2 copies (127.0.0.1:1: update failed: "
                                                "SERVER_ERROR object too large for cache (in a chunk of "))
        << stored[i].message();
    EXPECT_NE(stored[i].message().find("none of them counts as done"), std::string::npos);
    EXPECT_EQ(io_.server(other).items.at(keys[i]).value, values[i]) << "the other copy took it";
  }
  EXPECT_GT(failed, 5u);
  EXPECT_EQ(client.replica_counters().writes_missed_copy, failed);
  EXPECT_EQ(io_.server(0).requests.size(), 1u) << "the chunk is not sent again";
}

}  // namespace
}  // namespace mctable
