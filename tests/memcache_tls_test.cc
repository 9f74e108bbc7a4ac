// tls = yes against real memcached started with -Z and certificates from a
// CA made in the test (TestPki): lookups, updates, deletes and batches over
// TLS give the answers a plain server gives, through the library and the
// mctable command, with one server and with two; and every way the
// server can fail to be the one configured -- another CA, another name, an
// expired certificate, a plain server, a TLS server spoken to in plain
// text, a version under tls_min_version, a missing client certificate --
// is a clear error within the table's time bound, never a hang.
#include <gtest/gtest.h>

#include <algorithm>
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

using testutil::CommandResult;
using testutil::MemcachedServer;
using testutil::RunCommand;
using testutil::SecondsSince;
using testutil::TempDir;
using testutil::TestPki;

// timeout = 2, max_try = 2, retry_pause = 1 (the tables below): at most
// 2 x 2 + 1 = 5 s, plus slack for a loaded machine.
constexpr double kBoundSeconds = 5 + 2;

class MemcacheTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!pki_.ok()) GTEST_SKIP() << "cannot make test certificates: " << pki_.error();
    if (!pki_.Issue("server", {}, &server_cert_)) GTEST_SKIP() << pki_.error();
    tls_server_ = TlsServer(server_cert_);
    if (!tls_server_->running())
      GTEST_SKIP() << "cannot run memcached -Z: " << tls_server_->error();
  }

  // A memcached -Z with `cert`, started (running() false if it could not be).
  static std::unique_ptr<MemcachedServer> TlsServer(const TestPki::Issued& cert,
                                                    const std::string& client_ca = "",
                                                    std::vector<std::string> environment = {}) {
    MemcachedServer::Options options;
    options.extra_args = testutil::MemcachedTlsArgs(cert, client_ca);
    options.environment = std::move(environment);
    auto server = std::make_unique<MemcachedServer>(options);
    server->Start();
    return server;
  }

  // A table file for `memcache` (one endpoint or a list) with `extra` lines.
  std::string TableFile(const std::string& memcache, const std::string& extra) {
    return "memcache:" + dir_.WriteFile("mc" + std::to_string(++files_) + ".cf",
                                        "memcache = " + memcache +
                                            "\nkey_format = tls:%s\ntimeout = 2\n"
                                            "max_try = 2\nretry_pause = 1\n" + extra);
  }
  std::string TlsLines(const std::string& ca_file = "") {
    return "tls = yes\ntls_ca_file = " + (ca_file.empty() ? pki_.ca_file() : ca_file) + "\n";
  }

  static std::unique_ptr<Table> OpenReadWrite(const std::string& name) {
    OpenOptions options;
    options.read_write = true;
    return testutil::OpenOrDie(name, options);
  }

  // The lookup of one key through a new table `name`: its failure, within the bound.
  static Status FailedLookup(const std::string& name) {
    auto table = testutil::OpenOrDie(name);
    if (!table) return Status::ConfigError("cannot open " + name);
    auto start = std::chrono::steady_clock::now();
    std::string value;
    Status s = table->Lookup("k", &value);
    EXPECT_LT(SecondsSince(start), kBoundSeconds) << s.ToString();
    EXPECT_TRUE(s.IsError()) << s.ToString();
    return s;
  }

  CommandResult Mctable(std::vector<std::string> args, const std::string& input = "") {
    if (config_dir_.path().empty()) return {};
    config_dir_.WriteFile("main.cf", "");
    std::vector<std::string> argv = {testutil::MctableBinary(), "-c", config_dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, input, 60);
  }

  static std::vector<std::string> Keys(int n) {
    std::vector<std::string> keys;
    for (int i = 0; i < n; ++i) keys.push_back("key" + std::to_string(i));
    return keys;
  }

  TestPki pki_;
  TestPki::Issued server_cert_;
  std::unique_ptr<MemcachedServer> tls_server_;
  TempDir dir_, config_dir_;
  int files_ = 0;
};

TEST_F(MemcacheTlsTest, UpdatesLookupsAndDeletesOverTlsEqualPlain) {
  MemcachedServer plain;
  if (!plain.Start()) GTEST_SKIP() << plain.error();
  auto tls = OpenReadWrite(TableFile(tls_server_->endpoint(), TlsLines()));
  auto clear = OpenReadWrite(TableFile(plain.endpoint(), ""));
  ASSERT_TRUE(tls && clear);
  // Values large enough that a batch's reply spans many TLS records.
  std::vector<KeyValue> entries;
  std::vector<std::string> keys = Keys(3000);
  for (size_t i = 0; i < keys.size(); i += 2)
    entries.push_back({keys[i], std::string(100 + i % 900, static_cast<char>('a' + i % 26))});
  std::vector<Status> stored_tls, stored_plain;
  tls->UpdateMany(entries, &stored_tls);
  clear->UpdateMany(entries, &stored_plain);
  for (size_t i = 0; i < entries.size(); ++i) {
    ASSERT_TRUE(stored_tls[i].ok()) << stored_tls[i].ToString();
    ASSERT_TRUE(stored_plain[i].ok()) << stored_plain[i].ToString();
  }
  std::vector<LookupResult> got_tls, got_plain;
  tls->LookupMany(keys, &got_tls);
  clear->LookupMany(keys, &got_plain);
  ASSERT_EQ(got_tls.size(), keys.size());
  size_t found = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(got_tls[i].status.ToString(), got_plain[i].status.ToString()) << keys[i];
    EXPECT_EQ(got_tls[i].value, got_plain[i].value) << keys[i];
    found += got_tls[i].status.ok();
  }
  EXPECT_EQ(found, entries.size());
  EXPECT_TRUE(tls->Delete("key0").ok());
  EXPECT_EQ(testutil::LookupOrStatus(tls.get(), "key0"), "<" + Status::NotFound().ToString() + ">");
  EXPECT_EQ(testutil::LookupOrStatus(tls.get(), "key2"), got_plain[2].value);
  // Nothing plain reaches the TLS server's data: the entries are its own.
  EXPECT_TRUE(clear->Delete("key2").ok());
  EXPECT_EQ(testutil::LookupOrStatus(tls.get(), "key2"), got_plain[2].value);
}

// A long pipelined load over TLS, each chunk in one try (max_try = 1): a
// chunk that memcached 1.6 cannot read whole would stall until the timeout.
TEST_F(MemcacheTlsTest, LongBulkLoadNeedsNoRetry) {
  auto table = OpenReadWrite(TableFile(tls_server_->endpoint(), TlsLines() + "max_try = 1\n"));
  ASSERT_TRUE(table);
  std::vector<KeyValue> entries;
  for (int i = 0; i < 30000; ++i)
    entries.push_back({"user" + std::to_string(i) + "@example.com",
                       "dest" + std::to_string(i) + "@mail.example.net"});
  std::vector<Status> stored;
  auto start = std::chrono::steady_clock::now();
  table->UpdateMany(entries, &stored);
  EXPECT_LT(SecondsSince(start), 20);
  size_t failed = 0;
  for (const Status& s : stored) failed += !s.ok();
  EXPECT_EQ(failed, 0u) << stored[0].ToString();
  std::vector<std::string> keys;
  for (const KeyValue& e : entries) keys.push_back(e.key);
  std::vector<LookupResult> got;
  table->LookupMany(keys, &got);
  for (size_t i = 0; i < keys.size(); i += 997) EXPECT_EQ(got[i].value, entries[i].value) << keys[i];
}

TEST_F(MemcacheTlsTest, CommandBatchOverTlsEqualsPlain) {
  MemcachedServer plain;
  if (!plain.Start()) GTEST_SKIP() << plain.error();
  std::string tls = TableFile(tls_server_->endpoint(), TlsLines());
  std::string clear = TableFile(plain.endpoint(), "");
  std::string entries, queries;
  for (int i = 0; i < 2000; ++i) {
    if (i % 3 != 0) entries += "user" + std::to_string(i) + "@example.com v" + std::to_string(i) + "\n";
    queries += "user" + std::to_string(i) + "@example.com\n";
  }
  for (const std::string& table : {tls, clear}) {
    CommandResult r = Mctable({"-i", table}, entries);
    ASSERT_EQ(r.exit_status, 0) << r.err;
  }
  CommandResult over_tls = Mctable({"-q", "-", tls}, queries);
  CommandResult over_plain = Mctable({"-q", "-", clear}, queries);
  EXPECT_EQ(over_tls.exit_status, 0) << over_tls.err;
  EXPECT_EQ(over_tls.err, "");
  EXPECT_EQ(over_tls.out, over_plain.out);
  EXPECT_EQ(std::count(over_tls.out.begin(), over_tls.out.end(), '\n'), 1333);
  CommandResult one = Mctable({"-q", "user1@example.com", tls});
  EXPECT_EQ(one.exit_status, 0) << one.err;
  EXPECT_EQ(one.out, "v1\n");
  CommandResult deleted = Mctable({"-d", "user1@example.com", tls});
  EXPECT_EQ(deleted.exit_status, 0) << deleted.err;
  EXPECT_EQ(Mctable({"-q", "user1@example.com", tls}).exit_status, 1);
}

TEST_F(MemcacheTlsTest, TwoTlsServersShareTheKeys) {
  auto second = TlsServer(server_cert_);
  if (!second->running()) GTEST_SKIP() << second->error();
  const std::string list = tls_server_->endpoint() + ", " + second->endpoint();
  auto both = OpenReadWrite(TableFile(list, TlsLines()));
  ASSERT_TRUE(both);
  std::vector<std::string> keys = Keys(400);
  std::vector<KeyValue> entries;
  for (const std::string& key : keys) entries.push_back({key, "v-" + key});
  std::vector<Status> stored;
  both->UpdateMany(entries, &stored);
  for (const Status& s : stored) ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<LookupResult> got;
  both->LookupMany(keys, &got);
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(got[i].status.ok()) << keys[i] << ": " << got[i].status.ToString();
    EXPECT_EQ(got[i].value, "v-" + keys[i]);
  }
  // Each server, read alone over TLS, holds a real share of the keys.
  for (const MemcachedServer* server : {tls_server_.get(), second.get()}) {
    auto alone = testutil::OpenOrDie(TableFile(server->endpoint(), TlsLines()));
    ASSERT_TRUE(alone);
    std::vector<LookupResult> share;
    alone->LookupMany(keys, &share);
    size_t here = 0;
    for (const LookupResult& r : share) here += r.status.ok();
    EXPECT_GT(here, keys.size() / 5) << server->endpoint();
    EXPECT_LT(here, keys.size() * 4 / 5) << server->endpoint();
  }
}

TEST_F(MemcacheTlsTest, UnixSocketStaysPlain) {
  MemcachedServer::Options options;
  options.unix_socket = true;
  MemcachedServer local(options);
  if (!local.Start()) GTEST_SKIP() << local.error();
  auto table = OpenReadWrite(TableFile(local.endpoint(), TlsLines()));
  ASSERT_TRUE(table);
  ASSERT_TRUE(table->Update("k", "v").ok());
  bool found = false;
  EXPECT_EQ(local.Get("tls:k", &found), "v");  // stored in plain text
  EXPECT_TRUE(found);
}

TEST_F(MemcacheTlsTest, WrongCaIsAClearError) {
  TestPki other("another CA");
  if (!other.ok()) GTEST_SKIP() << other.error();
  Status s = FailedLookup(TableFile(tls_server_->endpoint(), TlsLines(other.ca_file())));
  EXPECT_NE(s.message().find("TLS handshake failed: certificate verify failed: unable to get "
                             "local issuer certificate"),
            std::string::npos)
      << s.ToString();
}

TEST_F(MemcacheTlsTest, WrongNameIsAClearError) {
  Status s = FailedLookup(
      TableFile(tls_server_->endpoint(), TlsLines() + "tls_server_name = mc.example.org\n"));
  EXPECT_NE(s.message().find("certificate verify failed: hostname mismatch"), std::string::npos)
      << s.ToString();
  // The endpoint's own address must be in the certificate when no name is given.
  TestPki::Issued named_only;
  ASSERT_TRUE(pki_.Issue("named", {.alt_names = {"DNS:mc.example.org"}}, &named_only))
      << pki_.error();
  auto server = TlsServer(named_only);
  if (!server->running()) GTEST_SKIP() << server->error();
  s = FailedLookup(TableFile(server->endpoint(), TlsLines()));
  EXPECT_NE(s.message().find("certificate verify failed: IP address mismatch"), std::string::npos)
      << s.ToString();
  // ... and the configured name is what is checked (and sent as SNI).
  auto table = testutil::OpenOrDie(
      TableFile(server->endpoint(), TlsLines() + "tls_server_name = mc.example.org\n"));
  ASSERT_TRUE(table);
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "absent"),
            "<" + Status::NotFound().ToString() + ">");
}

TEST_F(MemcacheTlsTest, ExpiredServerCertificateIsAClearError) {
  TestPki::Issued expired;
  ASSERT_TRUE(pki_.Issue("expired", {.expired = true}, &expired)) << pki_.error();
  auto server = TlsServer(expired);
  if (!server->running()) GTEST_SKIP() << server->error();
  Status s = FailedLookup(TableFile(server->endpoint(), TlsLines()));
  EXPECT_NE(s.message().find("certificate verify failed: certificate has expired"),
            std::string::npos)
      << s.ToString();
}

TEST_F(MemcacheTlsTest, TlsClientToPlainServerIsAClearError) {
  MemcachedServer plain;
  if (!plain.Start()) GTEST_SKIP() << plain.error();
  Status s = FailedLookup(TableFile(plain.endpoint(), TlsLines()));
  EXPECT_NE(s.message().find("TLS handshake failed"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("(is the server using TLS?)"), std::string::npos) << s.ToString();
}

TEST_F(MemcacheTlsTest, PlainClientToTlsServerIsAClearError) {
  Status s = FailedLookup(TableFile(tls_server_->endpoint(), ""));
  EXPECT_NE(s.message().find("is it a TLS server? see tls = yes"), std::string::npos) << s.ToString();
  CommandResult r = Mctable({"-q", "k", TableFile(tls_server_->endpoint(), "")});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NE(r.err.find("is it a TLS server? see tls = yes"), std::string::npos) << r.err;
  EXPECT_LT(r.seconds, kBoundSeconds);
}

TEST_F(MemcacheTlsTest, MinimumVersionIsEnforced) {
  // A server that stops at TLS 1.2 (OpenSSL's configuration, memcached's
  // environment only), and the default server, which speaks 1.3.
  std::string conf = dir_.WriteFile("tls12.cnf",
                                    "openssl_conf = conf\n[conf]\nssl_conf = ssl\n"
                                    "[ssl]\nsystem_default = limits\n"
                                    "[limits]\nMaxProtocol = TLSv1.2\n");
  auto tls12 = TlsServer(server_cert_, "", {"OPENSSL_CONF=" + conf});
  if (!tls12->running()) GTEST_SKIP() << tls12->error();
  auto at12 = testutil::OpenOrDie(
      TableFile(tls12->endpoint(), TlsLines() + "tls_min_version = TLSv1.2\n"));
  ASSERT_TRUE(at12);
  EXPECT_EQ(testutil::LookupOrStatus(at12.get(), "k"), "<" + Status::NotFound().ToString() + ">");
  Status s = FailedLookup(TableFile(tls12->endpoint(), TlsLines() + "tls_min_version = TLSv1.3\n"));
  EXPECT_NE(s.message().find("TLS handshake failed: tlsv1 alert protocol version"),
            std::string::npos)
      << s.ToString();
  auto at13 = testutil::OpenOrDie(
      TableFile(tls_server_->endpoint(), TlsLines() + "tls_min_version = TLSv1.3\n"));
  ASSERT_TRUE(at13);
  EXPECT_EQ(testutil::LookupOrStatus(at13.get(), "k"), "<" + Status::NotFound().ToString() + ">");
}

TEST_F(MemcacheTlsTest, ClientCertificateWhenTheServerDemandsOne) {
  TestPki::Issued client;
  ASSERT_TRUE(pki_.Issue("client", {.common_name = "mctable", .alt_names = {}, .client = true},
                         &client))
      << pki_.error();
  auto strict = TlsServer(server_cert_, pki_.ca_file());
  if (!strict->running()) GTEST_SKIP() << strict->error();
  Status s = FailedLookup(TableFile(strict->endpoint(), TlsLines()));
  EXPECT_NE(s.message().find("does the server demand a client certificate? see tls_cert_file"),
            std::string::npos)
      << s.ToString();
  auto table = OpenReadWrite(TableFile(
      strict->endpoint(),
      TlsLines() + "tls_cert_file = " + client.cert + "\ntls_key_file = " + client.key + "\n"));
  ASSERT_TRUE(table);
  ASSERT_TRUE(table->Update("k", "v").ok());
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "k"), "v");
}

}  // namespace
}  // namespace mctable
