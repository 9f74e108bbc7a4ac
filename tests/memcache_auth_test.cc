// auth_user / auth_password_file against real memcached started with -Y (its
// ASCII authentication, "user:password" lines): the right credentials
// work on every new connection of every server, alone and under TLS; a
// wrong password is one clear error naming the server and the user, at
// once (no retry loop) and without the password in any message; a table
// without credentials gets memcached's refusal as an error.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "mctable/table.h"
#include "testutil/table_util.h"
#include "testutil/test_pki.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CapturedWarnings;
using testutil::CommandResult;
using testutil::MemcachedServer;
using testutil::RunCommand;
using testutil::SecondsSince;
using testutil::TempDir;

const char kPassword[] = "s3cret-Pass";

class MemcacheAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auth_file_ = dir_.WriteFile("memcached.auth",
                                std::string("alice:") + kPassword + "\nbob:other\n", 0600);
    server_ = AuthServer();
    if (!server_->running()) GTEST_SKIP() << "cannot run memcached -Y: " << server_->error();
  }

  // A memcached -Y with the test's users, started (running() false if it could not be).
  std::unique_ptr<MemcachedServer> AuthServer(std::vector<std::string> more = {}) {
    MemcachedServer::Options options;
    options.extra_args = {"-Y", auth_file_};
    options.extra_args.insert(options.extra_args.end(), more.begin(), more.end());
    auto server = std::make_unique<MemcachedServer>(options);
    server->Start();
    return server;
  }

  // A table file; max_try = 3 and retry_pause = 2 make any retry visible.
  std::string TableFile(const std::string& memcache, const std::string& password,
                        const std::string& extra = "") {
    std::string file = "memcache = " + memcache +
                       "\nkey_format = auth:%s\ntimeout = 2\nmax_try = 3\nretry_pause = 2\n" + extra;
    if (!password.empty()) {
      std::string password_file =
          dir_.WriteFile("password" + std::to_string(++files_), password + "\n", 0600);
      file += "auth_user = alice\nauth_password_file = " + password_file + "\n";
    }
    return "memcache:" + dir_.WriteFile("mc" + std::to_string(++files_) + ".cf", file);
  }

  static std::unique_ptr<Table> OpenReadWrite(const std::string& name) {
    OpenOptions options;
    options.read_write = true;
    return testutil::OpenOrDie(name, options);
  }

  CommandResult Mctable(std::vector<std::string> args, const std::string& input = "") {
    config_dir_.WriteFile("main.cf", "");
    std::vector<std::string> argv = {testutil::MctableBinary(), "-c", config_dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, input, 60);
  }

  TempDir dir_, config_dir_;
  std::string auth_file_;
  std::unique_ptr<MemcachedServer> server_;
  int files_ = 0;
};

TEST_F(MemcacheAuthTest, RightCredentialsWork) {
  auto table = OpenReadWrite(TableFile(server_->endpoint(), kPassword));
  ASSERT_TRUE(table);
  ASSERT_TRUE(table->Update("k", "v").ok());
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "k"), "v");
  std::vector<std::string> keys = {"k", "absent", "k"};
  std::vector<LookupResult> got;
  table->LookupMany(keys, &got);
  EXPECT_TRUE(got[0].status.ok());
  EXPECT_TRUE(got[1].status.IsNotFound()) << got[1].status.ToString();
  EXPECT_EQ(got[2].value, "v");
  // A new connection (the server restarted: the old one is gone)
  // authenticates again.
  ASSERT_TRUE(server_->Restart());
  ASSERT_TRUE(table->Update("k2", "v2").ok() || table->Update("k2", "v2").ok());
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "k2"), "v2");
  EXPECT_TRUE(table->Delete("k2").ok());
}

TEST_F(MemcacheAuthTest, WrongPasswordIsOneClearErrorWithoutRetry) {
  auto table = testutil::OpenOrDie(TableFile(server_->endpoint(), "wrong-password"));
  ASSERT_TRUE(table);
  CapturedWarnings warnings;
  auto start = std::chrono::steady_clock::now();
  std::string value;
  Status s = table->Lookup("k", &value);
  // max_try = 3 with retry_pause = 2 would take 4 s if it were retried.
  EXPECT_LT(SecondsSince(start), 1.5);
  EXPECT_TRUE(s.IsError()) << s.ToString();
  const std::string expected = "authentication failed for memcache server 127.0.0.1:" +
                               std::to_string(server_->port()) + " as alice";
  EXPECT_NE(s.message().find(expected), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("CLIENT_ERROR authentication failure"), std::string::npos);
  EXPECT_EQ(warnings.lines().size(), 1u) << warnings.joined();
  EXPECT_EQ(warnings.joined().find("wrong-password"), std::string::npos);
  // A batch: every key fails with it, still at once.
  std::vector<std::string> keys(50, "k");
  std::vector<LookupResult> got;
  start = std::chrono::steady_clock::now();
  table->LookupMany(keys, &got);
  EXPECT_LT(SecondsSince(start), 1.5);
  for (const LookupResult& r : got) EXPECT_NE(r.status.message().find(expected), std::string::npos);
}

TEST_F(MemcacheAuthTest, NoCredentialsGetMemcachedsRefusal) {
  auto table = testutil::OpenOrDie(TableFile(server_->endpoint(), "", "max_try = 1\n"));
  ASSERT_TRUE(table);
  std::string value;
  Status s = table->Lookup("k", &value);
  EXPECT_TRUE(s.IsError());
  EXPECT_NE(s.message().find("CLIENT_ERROR unauthenticated"), std::string::npos) << s.ToString();
}

TEST_F(MemcacheAuthTest, EveryServerOfAListAuthenticates) {
  auto second = AuthServer();
  if (!second->running()) GTEST_SKIP() << second->error();
  auto table =
      OpenReadWrite(TableFile(server_->endpoint() + ", " + second->endpoint(), kPassword));
  ASSERT_TRUE(table);
  std::vector<KeyValue> entries;
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) {
    keys.push_back("key" + std::to_string(i));
    entries.push_back({keys.back(), "v" + std::to_string(i)});
  }
  std::vector<Status> stored;
  table->UpdateMany(entries, &stored);
  for (const Status& s : stored) ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<LookupResult> got;
  table->LookupMany(keys, &got);
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(got[i].value, entries[i].value) << keys[i];
  // With the wrong password, each server's keys fail naming that server.
  auto wrong = testutil::OpenOrDie(
      TableFile(server_->endpoint() + ", " + second->endpoint(), "wrong-password"));
  ASSERT_TRUE(wrong);
  auto start = std::chrono::steady_clock::now();
  wrong->LookupMany(keys, &got);
  EXPECT_LT(SecondsSince(start), 1.5);
  size_t first = 0, other = 0;
  for (const LookupResult& r : got) {
    first += r.status.message().find(":" + std::to_string(server_->port()) + " as alice") !=
             std::string::npos;
    other += r.status.message().find(":" + std::to_string(second->port()) + " as alice") !=
             std::string::npos;
  }
  EXPECT_GT(first, 0u);
  EXPECT_GT(other, 0u);
  EXPECT_EQ(first + other, keys.size());
}

TEST_F(MemcacheAuthTest, AuthenticationOverTls) {
  testutil::TestPki pki;
  testutil::TestPki::Issued cert;
  if (!pki.ok() || !pki.Issue("server", {}, &cert)) GTEST_SKIP() << pki.error();
  auto server = AuthServer(testutil::MemcachedTlsArgs(cert));
  if (!server->running()) GTEST_SKIP() << server->error();
  const std::string tls = "tls = yes\ntls_ca_file = " + pki.ca_file() + "\n";
  auto table = OpenReadWrite(TableFile(server->endpoint(), kPassword, tls));
  ASSERT_TRUE(table);
  ASSERT_TRUE(table->Update("k", "v").ok());
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "k"), "v");
  auto wrong = testutil::OpenOrDie(TableFile(server->endpoint(), "wrong-password", tls));
  ASSERT_TRUE(wrong);
  std::string value;
  Status s = wrong->Lookup("k", &value);
  EXPECT_NE(s.message().find("authentication failed for memcache server"), std::string::npos)
      << s.ToString();
}

TEST_F(MemcacheAuthTest, CommandLine) {
  std::string right = TableFile(server_->endpoint(), kPassword);
  CommandResult r = Mctable({"-i", right}, "a@example.com A\nb@example.com B\n");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  r = Mctable({"-v", "-q", "-", right}, "a@example.com\nc@example.com\nb@example.com\n");
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, "a@example.com\tA\nb@example.com\tB\n");
  EXPECT_NE(r.err.find("authenticating to 127.0.0.1:" + std::to_string(server_->port()) +
                       " as alice"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find(kPassword), std::string::npos) << "the password was logged";

  std::string wrong = TableFile(server_->endpoint(), "wrong-password");
  r = Mctable({"-v", "-q", "a@example.com", wrong});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("authentication failed for memcache server 127.0.0.1:" +
                       std::to_string(server_->port()) + " as alice"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("wrong-password"), std::string::npos) << r.err;
  EXPECT_LT(r.seconds, 2);
}

TEST_F(MemcacheAuthTest, WarnsWhenThePasswordWouldCrossANetworkInClear) {
  // Opening connects to nothing: the addresses are only configured.
  CapturedWarnings warnings;
  auto remote = testutil::OpenOrDie(TableFile("inet:192.0.2.1:11211", kPassword));
  EXPECT_NE(warnings.joined().find(
                "auth_user without tls = yes: the password is sent in clear to 192.0.2.1:11211"),
            std::string::npos)
      << warnings.joined();
  CapturedWarnings quiet;
  auto local = testutil::OpenOrDie(TableFile(server_->endpoint(), kPassword));
  auto with_tls = testutil::OpenOrDie(
      TableFile("inet:192.0.2.1:11211", kPassword, "tls = yes\ntls_verify = no\n"));
  EXPECT_EQ(quiet.joined(), "");
}

}  // namespace
}  // namespace mctable
