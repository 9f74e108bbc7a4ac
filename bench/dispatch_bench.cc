// dispatch_bench: how much the concurrent dispatch of a batch to several
// servers gains over asking the servers one after the other, for
// bench/run_servers_bench.sh.
//
//   dispatch_bench --servers "inet:127.0.0.1:P1, inet:127.0.0.1:P2, ..."
//                  [--keys 200000] [--batch 4096] [--repeats 5] [--hash md5]
//
// Both modes use the mctable library's own client and the same placement:
//   concurrent  one MemcacheClient over all the servers: each batch is
//               split by server and every share is in flight at once;
//   sequential  one single-server MemcacheClient per server: each batch
//               is split the same way, then the shares are asked in turn
//               (a per-server loop, each share waiting for the previous).
// It stores --keys keys (through the concurrent client), then times
// --repeats passes of each mode over all keys in batches of --batch
// (interleaved; medians), checking every answer.  Run it against servers
// behind bench/delay_proxy to see the effect of network latency.
// Prints "concurrent KEYS/S", "sequential KEYS/S" and their ratio; exit 1
// if an answer is wrong, 2 on bad arguments.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "memcache/client.h"
#include "memcache/key_hash.h"
#include "memcache/server_list.h"
#include "memcache/server_pool.h"

namespace {

using mctable::LookupResult;
using mctable::MemcacheClient;
using mctable::MemcacheSettings;

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr, "dispatch_bench: %s\n", why.c_str());
  std::exit(2);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string servers_value, hash = "md5";
  size_t keys_n = 200000, batch = 4096;
  int repeats = 5;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) Usage("missing value after " + a);
    if (a == "--servers") servers_value = argv[++i];
    else if (a == "--keys") keys_n = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--batch") batch = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--repeats") repeats = std::atoi(argv[++i]);
    else if (a == "--hash") hash = argv[++i];
    else Usage("unknown argument " + a);
  }
  MemcacheSettings settings;
  settings.table_name = "memcache:dispatch_bench";
  settings.origin = "dispatch_bench";
  settings.timeout_seconds = 10;
  mctable::Status s = mctable::ParseServerList(servers_value, "--servers", &settings.servers);
  if (!s.ok()) Usage(s.message());
  if (!mctable::KeyHashFromName(hash, &settings.placement.hash)) Usage("unknown hash " + hash);
  if (keys_n == 0 || batch == 0 || repeats < 1) Usage("--keys, --batch and --repeats must be positive");

  std::vector<std::string> keys, values;
  for (size_t i = 0; i < keys_n; ++i) {
    keys.push_back("bench:user" + std::to_string(i) + "@example" + std::to_string(i % 97) + ".com");
    values.push_back("dest" + std::to_string(i) + "@mail.example.net");
  }

  MemcacheClient concurrent(settings);
  std::vector<std::unique_ptr<MemcacheClient>> single;
  for (const mctable::ServerConfig& server : settings.servers) {
    MemcacheSettings one = settings;
    one.servers = {server};
    single.push_back(std::make_unique<MemcacheClient>(one));
  }
  mctable::ServerPool pool(settings.servers, settings.placement);

  // Store every key (through the concurrent client).
  for (size_t begin = 0; begin < keys_n; begin += batch) {
    std::vector<mctable::SetRequest> items;
    for (size_t i = begin; i < std::min(keys_n, begin + batch); ++i) items.push_back({keys[i], values[i]});
    std::vector<mctable::Status> stored;
    concurrent.Set(items, 0, 0, &stored);
    for (const mctable::Status& st : stored)
      if (!st.ok()) {
        std::fprintf(stderr, "dispatch_bench: store failed: %s\n", st.ToString().c_str());
        return 1;
      }
  }

  int wrong = 0;
  auto check = [&](size_t index, const LookupResult& r) {
    if (!r.status.ok() || r.value != values[index]) ++wrong;
  };
  std::vector<std::string_view> views;
  std::vector<LookupResult> results;
  auto run_concurrent = [&] {
    for (size_t begin = 0; begin < keys_n; begin += batch) {
      size_t end = std::min(keys_n, begin + batch);
      views.assign(keys.begin() + static_cast<long>(begin), keys.begin() + static_cast<long>(end));
      concurrent.Get(views, &results);
      for (size_t k = 0; k < results.size(); ++k) check(begin + k, results[k]);
    }
  };
  std::vector<std::vector<std::string_view>> share(single.size());
  std::vector<std::vector<size_t>> index(single.size());
  auto run_sequential = [&] {
    for (size_t begin = 0; begin < keys_n; begin += batch) {
      for (size_t s2 = 0; s2 < single.size(); ++s2) {
        share[s2].clear();
        index[s2].clear();
      }
      for (size_t i = begin; i < std::min(keys_n, begin + batch); ++i) {
        size_t server = 0;
        pool.ServerFor(keys[i], &server);
        share[server].push_back(keys[i]);
        index[server].push_back(i);
      }
      for (size_t s2 = 0; s2 < single.size(); ++s2) {
        if (share[s2].empty()) continue;
        single[s2]->Get(share[s2], &results);
        for (size_t k = 0; k < results.size(); ++k) check(index[s2][k], results[k]);
      }
    }
  };
  std::vector<double> t_concurrent, t_sequential;
  for (int r = 0; r < repeats; ++r) {
    for (int mode = 0; mode < 2; ++mode) {
      bool concurrent_first = r % 2 == 0;
      bool is_concurrent = (mode == 0) == concurrent_first;
      auto start = std::chrono::steady_clock::now();
      if (is_concurrent) run_concurrent(); else run_sequential();
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      (is_concurrent ? t_concurrent : t_sequential).push_back(seconds);
    }
  }
  double c = static_cast<double>(keys_n) / Median(t_concurrent);
  double q = static_cast<double>(keys_n) / Median(t_sequential);
  std::printf("servers %zu keys %zu batch %zu\n", settings.servers.size(), keys_n, batch);
  std::printf("concurrent %.0f\nsequential %.0f\nratio %.2f\n", c, q, c / q);
  if (wrong > 0) {
    std::fprintf(stderr, "dispatch_bench: %d wrong answers\n", wrong);
    return 1;
  }
  return 0;
}
