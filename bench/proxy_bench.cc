// proxy_bench: lookups through a real Postfix's proxymap, mctable and
// Debian's postmap side by side in one run.
//
//   mctable_proxy_bench [--keys N] [--repeats R] [--latency-runs L]
//
// Starts a private Postfix (tests/testutil/postfix_instance.h) serving an
// lmdb and a btree table of N/2 entries through proxymap, and a memcached;
// then, interleaved and R times each (median reported):
//   -q - proxy:TYPE:PATH        mctable vs postmap, N keys (half present);
//                               both make one round trip per key (proxymap
//                               answers one request at a time)
//   -q - memcache:CF            backup = proxy:lmdb:PATH, key_format b:%s:
//                               cold (memcached flushed: misses go through
//                               proxymap and are written back), mctable vs
//                               postmap; then mctable warm
//   -q KEY proxy:lmdb:PATH      L single-lookup processes of each (latency)
// Every output is checked: mctable's and postmap's must be byte-identical
// and the lookups must return exactly the present keys.
// Exit status: 0 outputs agree, 1 an output disagrees, 2 setup failed.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "testutil/postfix_instance.h"
#include "testutil/proxy_tables.h"
#include "testutil/testutil.h"

namespace {

using mctable::testutil::CommandResult;
using mctable::testutil::MemcachedServer;
using mctable::testutil::PostfixInstance;
using mctable::testutil::RunCommand;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Setup(const std::string& why) {
  std::fprintf(stderr, "proxy_bench: %s\n", why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int keys = 20000, repeats = 5, latency_runs = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--keys")) keys = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--latency-runs")) latency_runs = std::atoi(argv[i + 1]);
    else return Setup(std::string("unknown argument ") + argv[i]);
  }
  if (keys < 2 || repeats < 1 || latency_runs < 1) return Setup("bad arguments");
  if (std::string why = PostfixInstance::Unavailable(); !why.empty()) return Setup(why);
  const std::string postmap = mctable::testutil::PostmapBinary();
  const std::string mctable = mctable::testutil::MctableBinary();
  if (postmap.empty()) return Setup("postmap is not installed");

  PostfixInstance postfix;
  const std::string lmdb = "lmdb:" + postfix.maps_dir() + "/bench";
  const std::string btree = "btree:" + postfix.maps_dir() + "/bench";
  postfix.AddMainCf(mctable::testutil::ProxyMapsParameters({lmdb, btree}, {}));
  if (!postfix.Start()) return Setup("cannot start Postfix: " + postfix.error());
  std::string source, input, expected;
  for (int i = 0; i < keys; ++i) {
    std::string key = "user" + std::to_string(i) + "@example" + std::to_string(i % 97) + ".com";
    input += key + "\n";
    if (i % 2 == 0) {
      source += key + " value-" + std::to_string(i) + "\n";
      expected += key + "\tvalue-" + std::to_string(i) + "\n";
    }
  }
  for (const std::string& table : {lmdb, btree})
    if (std::string error = mctable::testutil::BuildTableForPostfix(postfix, table, source); !error.empty())
      return Setup(error);
  MemcachedServer memcached;
  if (!memcached.Start()) return Setup("cannot run memcached: " + memcached.error());
  mctable::testutil::TempDir dir;
  const std::string cf = "memcache:" + dir.WriteFile("mc.cf", "memcache = " + memcached.endpoint() +
                                                               "\nbackup = proxy:" + lmdb +
                                                               "\nkey_format = b:%s\n");
  auto run = [&](const std::string& program, std::vector<std::string> args, const std::string& in) {
    std::vector<std::string> command = {program, "-c", postfix.config_dir()};
    command.insert(command.end(), args.begin(), args.end());
    return RunCommand(command, in, 600);
  };
  int status = 0;
  auto check = [&](const CommandResult& r, const char* what) {
    if (r.out != expected || r.exit_status != 0) {
      std::fprintf(stderr, "proxy_bench: %s: output differs from the table (exit %d): %s\n", what,
                   r.exit_status, r.err.c_str());
      status = 1;
    }
  };

  std::printf("proxy_bench: %d keys (half present), %d repeats, medians\n", keys, repeats);
  for (const std::string& table : {lmdb, btree}) {
    std::vector<double> ours, theirs;
    for (int r = 0; r < repeats; ++r) {
      CommandResult m = run(mctable, {"-q", "-", "proxy:" + table}, input);
      CommandResult p = run(postmap, {"-q", "-", "proxy:" + table}, input);
      check(m, "mctable -q -");
      check(p, "postmap -q -");
      ours.push_back(keys / m.seconds);
      theirs.push_back(keys / p.seconds);
    }
    std::printf("  -q - proxy:%-5s  mctable %8.0f keys/s   postmap %8.0f keys/s   ratio %.2fx\n",
                table.substr(0, table.find(':')).c_str(), Median(ours), Median(theirs),
                Median(ours) / Median(theirs));
  }
  {
    std::vector<double> cold, theirs, warm;
    for (int r = 0; r < repeats; ++r) {
      memcached.RawCommand("flush_all\r\n", "OK\r\n");
      CommandResult m = run(mctable, {"-q", "-", cf}, input);
      CommandResult w = run(mctable, {"-q", "-", cf}, input);
      memcached.RawCommand("flush_all\r\n", "OK\r\n");
      CommandResult p = run(postmap, {"-q", "-", cf}, input);
      check(m, "mctable -q - memcache (cold)");
      check(w, "mctable -q - memcache (warm)");
      check(p, "postmap -q - memcache (cold)");
      cold.push_back(keys / m.seconds);
      warm.push_back(keys / w.seconds);
      theirs.push_back(keys / p.seconds);
    }
    std::printf("  -q - memcache, backup proxy:lmdb  cold: mctable %8.0f keys/s   postmap %8.0f keys/s"
                "   ratio %.2fx;  warm: mctable %8.0f keys/s\n",
                Median(cold), Median(theirs), Median(cold) / Median(theirs), Median(warm));
  }
  {
    const std::string key = "user0@example0.com";
    double ours = 0, theirs = 0;
    for (int r = 0; r < latency_runs; ++r) {
      CommandResult m = run(mctable, {"-q", key, "proxy:" + lmdb}, "");
      CommandResult p = run(postmap, {"-q", key, "proxy:" + lmdb}, "");
      if (m.out != "value-0\n" || p.out != m.out) status = 1;
      ours += m.seconds;
      theirs += p.seconds;
    }
    std::printf("  -q KEY proxy:lmdb (one process each)  mctable %.2f ms   postmap %.2f ms\n",
                1000 * ours / latency_runs, 1000 * theirs / latency_runs);
  }
  std::printf("outputs %s\n", status == 0 ? "agree" : "DISAGREE");
  return status;
}
