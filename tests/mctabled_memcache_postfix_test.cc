// End to end: a private Postfix whose verify(8) cache goes through
// mctabled's memcache listener to three memcached servers:
//
//   SMTP RCPT TO -> smtpd (reject_unverified_recipient) -> verify(8)
//     -> address_verify_map = memcache:CF, memcache = unix:<front>
//     -> mctabled -> memcache table (3 servers, key_digest, signed values)
//
// Postfix's own memcache client is unchanged.  verify's lookups and its
// update after the probe reach memcached signed, stored under the digest of
// verify's key, on the server ketama names; a second reader (the mctable
// library, with the table's own file) reads back what verify wrote, and a
// second Postfix instance sharing the cache accepts the address without a
// probe of its own.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "memcache/server_list.h"
#include "memcache/server_pool.h"
#include "testutil/memcached_set.h"
#include "testutil/mctabled_process.h"
#include "testutil/openssl_digest.h"
#include "testutil/postfix_instance.h"
#include "testutil/smtp_dialogue.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CommandResult;
using testutil::LineClient;
using testutil::MctabledProcess;
using testutil::MemcachedSet;
using testutil::PostfixInstance;
using testutil::SmtpCommand;
using testutil::SmtpReply;
using testutil::RunCommand;
using testutil::TempDir;

TEST(MctabledMemcacheWithPostfix, VerifyCacheGoesThroughTheFrontToThreeServers) {
  if (std::string why = PostfixInstance::Unavailable(); !why.empty()) GTEST_SKIP() << why;
  if (testutil::OpensslBinary().empty()) GTEST_SKIP() << "the openssl command is not installed";
  MemcachedSet servers;
  if (!servers.Start(3)) GTEST_SKIP() << "cannot run memcached: " << servers.error();
  TempDir dir;
  dir.WriteFile("main.cf", "");
  std::string key_file = dir.WriteFile("sign.key",
                                       "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
                                       0600);
  std::string table_cf = dir.WriteFile("verify.cf", "memcache = " + servers.MemcacheValue() +
                                                        "\nkey_digest = sha256\nvalue_signing_key_file = " +
                                                        key_file + "\ntimeout = 1\n");

  // Searchable by the postfix user; mctabled makes the socket mode 0666.
  TempDir socket_dir;
  ASSERT_EQ(::chmod(socket_dir.path().c_str(), 0755), 0);
  const std::string front = socket_dir.path() + "/front";
  const std::string stats = socket_dir.path() + "/stats";
  MctabledProcess daemon;
  ASSERT_TRUE(daemon.Start({"-m", "verify=memcache:" + table_cf, "-l", "memcache:unix:" + front + "=verify",
                            "-l", "stats:unix:" + stats, "-c", dir.path()},
                           "unix:" + front))
      << daemon.error();

  // Two Postfix instances sharing the cache, as the page's fleet does.
  const std::vector<int> smtp_ports = {testutil::FreeLoopbackPort(), testutil::FreeLoopbackPort()};
  std::vector<std::unique_ptr<PostfixInstance>> instances;
  std::vector<std::string> postfix_cfs;
  for (int smtp_port : smtp_ports) {
    PostfixInstance::Options options;
    options.master_cf = testutil::SmtpReceivingServices(smtp_port);
    options.master_cf.push_back("verify    unix - - n - 1 verify");
    instances.push_back(std::make_unique<PostfixInstance>(options));
    PostfixInstance& postfix = *instances.back();
    // Postfix's side of the cache: its own memcache client, pointed at the
    // front, with the key_format verify(8) caches are given on the page.
    const std::string postfix_cf = postfix.maps_dir() + "/verify-memcache.cf";
    postfix_cfs.push_back(postfix_cf);
    TempDir scratch;
    std::string written = scratch.WriteFile("cf", "memcache = unix:" + front + "\nkey_format = verify:%s\n");
    ASSERT_EQ(RunCommand({"/bin/cp", written, postfix_cf}).exit_status, 0);
    ::chmod(postfix_cf.c_str(), 0644);
    postfix.AddMainCf({
        {"default_transport", "discard:verified-by-mctabled-test"},
        {"mynetworks", "127.0.0.0/8"},
        {"smtpd_relay_restrictions", "permit_mynetworks, reject"},
        {"smtpd_recipient_restrictions", "reject_unverified_recipient"},
        {"address_verify_map", "memcache:" + postfix_cf},
        // memcache has no first/next: no cache cleanup (memcache_table(5)).
        {"address_verify_cache_cleanup_interval", "0"},
    });
    ASSERT_TRUE(postfix.Start()) << postfix.error();
  }
  PostfixInstance& postfix = *instances[0];
  auto rcpt = [&](int smtp_port, const std::string& address) {
    LineClient smtp("inet:" + std::to_string(smtp_port));
    if (SmtpReply(&smtp).substr(0, 3) != "220") return std::string("<no greeting>");
    SmtpCommand(&smtp, "EHLO client.test");
    SmtpCommand(&smtp, "MAIL FROM:<sender@client.test>");
    std::string reply = SmtpCommand(&smtp, "RCPT TO:<" + address + ">");
    SmtpCommand(&smtp, "QUIT");
    return reply;
  };

  const std::string address = "someone@verify.test";
  std::string last;
  bool accepted = false;
  for (int attempt = 0; attempt < 10 && !accepted; ++attempt) {
    last = rcpt(smtp_ports[0], address);
    accepted = last.substr(0, 3) == "250";
    if (!accepted) std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  EXPECT_TRUE(accepted) << last << "\n" << postfix.Log() << daemon.log();
  // The second instance has never probed this address: it finds verify's
  // result in the shared cache at once.
  std::string second_reply = rcpt(smtp_ports[1], address);
  EXPECT_EQ(second_reply.substr(0, 3), "250") << second_reply << instances[1]->Log();
  EXPECT_EQ(instances[1]->Log().find("verify.test"), std::string::npos)
      << "the second instance sent no probe: " << instances[1]->Log();

  // verify's update: in memcached, signed, under the digest of its key,
  // on the server ketama names.
  const std::string wire = testutil::OpensslDigest("sha256", "verify:" + address);
  std::map<std::string, std::vector<size_t>> holders = servers.Holders({wire});
  std::vector<ServerConfig> configs;
  ASSERT_TRUE(ParseServerList(servers.MemcacheValue(), "test", &configs).ok());
  ServerPool pool(configs, PlacementSettings());
  size_t ketama = 0;
  ASSERT_TRUE(pool.ServerFor(wire, &ketama));
  ASSERT_EQ(holders[wire], std::vector<size_t>{ketama}) << postfix.Log();
  bool found = false;
  std::string raw = servers[ketama].Get(wire, &found);
  EXPECT_EQ(raw.substr(0, 5), "MCS2 ") << raw;

  // A second reader with the table's own file reads what verify wrote.
  CommandResult second = RunCommand({testutil::MctableBinary(), "-c", dir.path(), "-f", "-q",
                                     "verify:" + address, "memcache:" + table_cf});
  EXPECT_EQ(second.exit_status, 0) << second.err;
  EXPECT_NE(raw.find(second.out.substr(0, second.out.size() - 1)), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("verified-by-mctabled-test"), std::string::npos) << second.out;

  LineClient stats_client("unix:" + stats);
  std::string text = stats_client.ReadBytes(100000, 2);
  EXPECT_NE(text.find("memcache verify: gets="), std::string::npos) << text;
  EXPECT_EQ(text.find("sets=0"), std::string::npos) << text;
  EXPECT_NE(text.find(" errors=0"), std::string::npos) << text;
  // Postfix's memcache client names its table file in every warning.
  for (size_t i = 0; i < instances.size(); ++i) {
    EXPECT_EQ(instances[i]->Log().find(postfix_cfs[i] + ":"), std::string::npos) << instances[i]->Log();
    EXPECT_TRUE(instances[i]->Stop()) << instances[i]->error();
  }
  EXPECT_EQ(daemon.Stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace mctable
