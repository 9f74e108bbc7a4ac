// End to end: a real Postfix, started by the test with its own
// configuration and queue directory (testutil/postfix_instance.h), resolves
// virtual aliases through mctabled while it receives and delivers mail:
//
//   SMTP client -> smtpd (checks the recipient) -> cleanup (rewrites it)
//     -> qmgr -> discard, with virtual_alias_maps = socketmap:unix:...:aliases
//
// mctabled serves a memcache table with a texthash backup: one alias comes
// from memcached, one from the backup (and is written back to memcached),
// and an address in neither is refused at RCPT TO.  The delivery log must
// show each message delivered to the alias's target with the original
// recipient as orig_to.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <string>
#include <thread>

#include "testutil/mctabled_process.h"
#include "testutil/postfix_instance.h"
#include "testutil/smtp_dialogue.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::LineClient;
using testutil::MctabledProcess;
using testutil::MemcachedServer;
using testutil::PostfixInstance;
using testutil::SmtpCommand;
using testutil::SmtpReply;
using testutil::TempDir;

TEST(MctabledWithPostfix, VirtualAliasResolvedThroughMctabledWhileDeliveringMail) {
  if (std::string why = PostfixInstance::Unavailable(); !why.empty()) GTEST_SKIP() << why;
  MemcachedServer memcached;
  if (!memcached.Start()) GTEST_SKIP() << "cannot run memcached: " << memcached.error();
  TempDir dir;
  dir.WriteFile("main.cf", "");  // the tables' main.cf under -c
  std::string backup = dir.WriteFile("aliases", "alice@example.com alice-target@sink.test\n");
  std::string table_cf = dir.WriteFile("mc.cf", "memcache = " + memcached.endpoint() +
                                                    "\nkey_format = va:%s\nbackup = texthash:" +
                                                    backup + "\n");
  memcached.Set("va:bob@example.com", "bob-target@sink.test");

  // The socket's directory must be searchable by the postfix user (a test
  // directory is mode 0700); mctabled makes the socket itself mode 0666.
  TempDir socket_dir;
  ASSERT_EQ(::chmod(socket_dir.path().c_str(), 0755), 0);
  const std::string socket_path = socket_dir.path() + "/mctabled.sock";
  MctabledProcess daemon;
  ASSERT_TRUE(daemon.Start({"-m", "aliases=memcache:" + table_cf, "-l",
                            "socketmap:unix:" + socket_path, "-l",
                            "stats:unix:" + socket_dir.path() + "/stats", "-c", dir.path()},
                           "unix:" + socket_path))
      << daemon.error();

  const int smtp_port = testutil::FreeLoopbackPort();
  PostfixInstance::Options options;
  options.main_cf = {
      {"virtual_alias_domains", "example.com"},
      {"virtual_alias_maps", "socketmap:unix:" + socket_path + ":aliases"},
      {"default_transport", "discard:delivered-by-mctabled-test"},
      {"mynetworks", "127.0.0.0/8"},
      {"smtpd_relay_restrictions", "permit_mynetworks, reject"},
  };
  options.master_cf = testutil::SmtpReceivingServices(smtp_port);
  PostfixInstance postfix(options);
  ASSERT_TRUE(postfix.Start()) << postfix.error();

  LineClient smtp("inet:" + std::to_string(smtp_port));
  ASSERT_TRUE(smtp.connected());
  ASSERT_EQ(SmtpReply(&smtp).substr(0, 3), "220") << postfix.Log();
  ASSERT_EQ(SmtpCommand(&smtp, "EHLO client.test").substr(0, 3), "250");
  ASSERT_EQ(SmtpCommand(&smtp, "MAIL FROM:<sender@client.test>").substr(0, 3), "250");
  // smtpd asks the virtual alias map at RCPT TO: unknown users are refused.
  EXPECT_EQ(SmtpCommand(&smtp, "RCPT TO:<alice@example.com>").substr(0, 3), "250") << postfix.Log();
  EXPECT_EQ(SmtpCommand(&smtp, "RCPT TO:<Bob@Example.com>").substr(0, 3), "250");
  std::string unknown = SmtpCommand(&smtp, "RCPT TO:<nobody@example.com>");
  EXPECT_EQ(unknown.substr(0, 3), "550") << unknown;
  EXPECT_NE(unknown.find("virtual alias table"), std::string::npos) << unknown;
  ASSERT_EQ(SmtpCommand(&smtp, "DATA").substr(0, 3), "354");
  std::string queued = SmtpCommand(&smtp, "Subject: mctabled end-to-end\r\n\r\nhello\r\n.");
  ASSERT_EQ(queued.substr(0, 3), "250") << queued;
  SmtpCommand(&smtp, "QUIT");

  // cleanup rewrote both recipients through mctabled; discard "delivered".
  const std::string alice = "to=<alice-target@sink.test>, orig_to=<alice@example.com>";
  const std::string bob = "to=<bob-target@sink.test>, orig_to=<Bob@Example.com>";
  std::string log;
  for (int i = 0; i < 300; ++i) {
    log = postfix.Log();
    if (log.find(alice) != std::string::npos && log.find(bob) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(log.find(alice), std::string::npos) << log;
  EXPECT_NE(log.find(bob), std::string::npos) << log;
  EXPECT_NE(log.find("status=sent (delivered-by-mctabled-test)"), std::string::npos) << log;
  EXPECT_EQ(log.find("socketmap server"), std::string::npos) << "no lookup errors: " << log;

  // The backup's answer went back into memcached, and mctabled counted it.
  bool found = false;
  EXPECT_EQ(memcached.Get("va:alice@example.com", &found), "alice-target@sink.test");
  EXPECT_TRUE(found);
  LineClient stats("unix:" + socket_dir.path() + "/stats");
  std::string text = stats.ReadBytes(100000, 2);
  EXPECT_NE(text.find("backup_fills=1"), std::string::npos) << text;
  EXPECT_EQ(text.find("errors=0"), text.find("errors=")) << text;
  EXPECT_TRUE(postfix.Stop()) << postfix.error();
  EXPECT_EQ(daemon.Stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace mctable
