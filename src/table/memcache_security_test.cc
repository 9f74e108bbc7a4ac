// Tests for the memcache table's trust parameters: what is accepted, and
// that every refusal names the file and parameter (and never a secret).
#include "table/memcache_security.h"

#include <gtest/gtest.h>
#include <openssl/tls1.h>

#include "mctable/table.h"
#include "mctable/table_registry.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::TempDir;

const std::string kTable = "memcache:/etc/postfix/mc.cf";

Status ParseText(const std::string& text, MemcacheSecurity* out) {
  Config config;
  Status s = Config::Parse(text, "/etc/postfix/mc.cf", &config);
  if (!s.ok()) return s;
  return ParseMemcacheSecurity(config, kTable, out);
}

std::string ErrorOf(const std::string& text) {
  MemcacheSecurity security;
  Status s = ParseText(text, &security);
  EXPECT_TRUE(s.IsConfigError()) << text << ": " << s.ToString();
  return s.message();
}

TEST(MemcacheSecurity, NothingSetMeansNothingOn) {
  MemcacheSecurity security;
  ASSERT_TRUE(ParseText("memcache = inet:localhost:11211\n", &security).ok());
  EXPECT_EQ(security.key_digest, nullptr);
  EXPECT_EQ(security.signer, nullptr);
  EXPECT_FALSE(security.tls.enabled);
  EXPECT_FALSE(security.auth.enabled());
}

TEST(MemcacheSecurity, KeyDigest) {
  MemcacheSecurity security;
  ASSERT_TRUE(ParseText("key_digest = sha256\n", &security).ok());
  ASSERT_NE(security.key_digest, nullptr);
  EXPECT_EQ(ErrorOf("key_digest = rot13\n"),
            kTable + ": key_digest = rot13: unknown or unavailable message digest");
}

TEST(MemcacheSecurity, SigningKeyFile) {
  TempDir dir;
  std::string good =
      dir.WriteFile("mc.key", std::string(64, 'a') + "\n" + std::string(64, 'b') + "\n", 0600);
  MemcacheSecurity security;
  Status s = ParseText("value_signing_key_file = " + good + "\n", &security);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_NE(security.signer, nullptr);
  EXPECT_EQ(security.signer->key_count(), 2u);

  std::string open = dir.WriteFile("open.key", std::string(64, 'a') + "\n", 0644);
  EXPECT_EQ(ErrorOf("value_signing_key_file = " + open + "\n"),
            "/etc/postfix/mc.cf: value_signing_key_file " + open +
                ": refused: mode 0644 lets other users read or change a secret (use chmod 0600, or "
                "0640 with a group of only its readers)");
  EXPECT_EQ(ErrorOf("value_signing_key_file = " + dir.path() + "/none\n"),
            "/etc/postfix/mc.cf: open value_signing_key_file " + dir.path() +
                "/none: No such file or directory");
  std::string short_key = dir.WriteFile("short.key", "abcd\n", 0600);
  EXPECT_EQ(ErrorOf("value_signing_key_file = " + short_key + "\n")
                .rfind("/etc/postfix/mc.cf: " + short_key + ", line 1: signing key is shorter", 0),
            0u);
}

TEST(MemcacheSecurity, TlsParameters) {
  MemcacheSecurity security;
  ASSERT_TRUE(ParseText("tls = yes\n", &security).ok());
  EXPECT_TRUE(security.tls.enabled);
  EXPECT_TRUE(security.tls.verify);
  EXPECT_EQ(security.tls.min_version, TLS1_2_VERSION);
  ASSERT_TRUE(ParseText("tls = yes\ntls_verify = no\ntls_min_version = tlsv1.3\n"
                        "tls_server_name = cache.example.com\ntls_ca_file = /ca.pem\n"
                        "tls_cert_file = /c.pem\ntls_key_file = /k.pem\n",
                        &security)
                  .ok());
  EXPECT_FALSE(security.tls.verify);
  EXPECT_EQ(security.tls.min_version, TLS1_3_VERSION);
  EXPECT_EQ(security.tls.server_name, "cache.example.com");
  EXPECT_EQ(security.tls.ca_file, "/ca.pem");
  EXPECT_EQ(security.tls.cert_file, "/c.pem");
  EXPECT_EQ(security.tls.key_file, "/k.pem");

  EXPECT_EQ(ErrorOf("tls = on\n"), "/etc/postfix/mc.cf: bad boolean configuration: tls = on");
  EXPECT_EQ(ErrorOf("tls = yes\ntls_min_version = TLSv1.1\n"),
            "/etc/postfix/mc.cf: invalid tls_min_version value: TLSv1.1 (TLSv1.2 or TLSv1.3)");
  EXPECT_EQ(ErrorOf("tls = yes\ntls_key_file = /k.pem\n"),
            "/etc/postfix/mc.cf: tls_key_file is set but tls_cert_file is not");
  EXPECT_EQ(ErrorOf("tls_ca_file = /ca.pem\n"),
            "/etc/postfix/mc.cf: tls_ca_file is set but tls is not yes");
  EXPECT_EQ(ErrorOf("tls = no\ntls_verify = yes\n"),
            "/etc/postfix/mc.cf: tls_verify is set but tls is not yes");
}

TEST(MemcacheSecurity, AuthParameters) {
  TempDir dir;
  std::string password = dir.WriteFile("pw", "s3cret pass\nignored second line\n", 0640);
  MemcacheSecurity security;
  Status s = ParseText("auth_user = postfix\nauth_password_file = " + password + "\n", &security);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(security.auth.enabled());
  EXPECT_EQ(security.auth.user, "postfix");
  EXPECT_EQ(security.auth.password, "s3cret pass");

  EXPECT_EQ(ErrorOf("auth_user = postfix\n"),
            "/etc/postfix/mc.cf: auth_user is set but auth_password_file is not");
  EXPECT_EQ(ErrorOf("auth_password_file = " + password + "\n"),
            "/etc/postfix/mc.cf: auth_password_file is set but auth_user is not");
  EXPECT_EQ(ErrorOf("auth_user = post fix\nauth_password_file = " + password + "\n"),
            "/etc/postfix/mc.cf: auth_user contains whitespace or a control character");
  std::string empty = dir.WriteFile("empty", "\n", 0600);
  EXPECT_EQ(ErrorOf("auth_user = u\nauth_password_file = " + empty + "\n"),
            "/etc/postfix/mc.cf: auth_password_file " + empty +
                ": the first line (the password) is empty");
  std::string readable = dir.WriteFile("readable", "s3cret\n", 0604);
  std::string message = ErrorOf("auth_user = u\nauth_password_file = " + readable + "\n");
  EXPECT_NE(message.find("refused: mode 0604"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cret"), std::string::npos);
}

// At open the TLS context is built (the CA loads, the client key matches)
// and nothing connects yet: errors name the table and the parameter.
TEST(MemcacheSecurity, TlsAndAuthOpenWithoutConnecting) {
  TempDir dir;
  std::string password = dir.WriteFile("pw", "s3cret\n", 0600);
  for (const std::string& extra :
       {std::string("tls = yes\ntls_verify = no\n"), std::string("tls = yes\n"),
        "auth_user = u\nauth_password_file = " + password + "\n"}) {
    std::string cf = dir.WriteFile("mc.cf", "memcache = inet:127.0.0.1:9\n" + extra);
    std::unique_ptr<Table> table;
    Status s = OpenTable("memcache:" + cf, OpenOptions(), &table);
    EXPECT_TRUE(s.ok()) << extra << s.ToString();
    EXPECT_NE(table, nullptr);
  }
  std::string cf = dir.WriteFile(
      "mc.cf", "memcache = inet:127.0.0.1:9\ntls = yes\ntls_ca_file = " + dir.path() + "/none\n");
  std::unique_ptr<Table> table;
  Status s = OpenTable("memcache:" + cf, OpenOptions(), &table);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_NE(s.message().find("memcache:" + cf + ": tls_ca_file " + dir.path() + "/none: "),
            std::string::npos)
      << s.message();
  EXPECT_EQ(table, nullptr);
}

}  // namespace
}  // namespace mctable
