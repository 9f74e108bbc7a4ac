// value_signing_key_file against a real memcached: what is stored is signed
// in the documented format (checked with `openssl dgst -mac HMAC` and
// `openssl base64`), and what another writer puts in memcached -- a plain
// value, a signed value replayed under another key, an expired, cut short
// or foreign-key entry -- is never an answer: it is reported and, with a
// backup, replaced from the backup.  Entries in the old MCS1 format, as a
// release before MCS2 left them in memcached, are still answers when they
// verify.
#include <gtest/gtest.h>

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "mctable/table.h"
#include "mctable/table_registry.h"
#include "memcache/value_signing.h"
#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable {
namespace {

using testutil::CapturedWarnings;
using testutil::MemcachedServer;
using testutil::RunCommand;
using testutil::TempDir;

const std::string kKeyA = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const std::string kKeyB = "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f";

std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

// `openssl dgst -sha256 -mac HMAC` of `data` under the hex key.
std::string OpensslHmac(const std::string& hex_key, const std::string& data) {
  testutil::CommandResult r = RunCommand({testutil::OpensslBinary(), "dgst", "-sha256", "-mac",
                                          "HMAC", "-macopt", "hexkey:" + hex_key, "-r"},
                                         data, 10);
  EXPECT_EQ(r.exit_status, 0) << r.err;
  return r.out.substr(0, r.out.find(' '));
}

// The MCS2 spelling of an `openssl dgst` MAC: its first 16 bytes through
// `openssl base64`, in the url alphabet without padding.
std::string OpensslMac128(const std::string& hex_mac) {
  testutil::CommandResult r =
      RunCommand({testutil::OpensslBinary(), "base64", "-A"}, Unhex(hex_mac.substr(0, 32)), 10);
  EXPECT_EQ(r.exit_status, 0) << r.err;
  std::string mac = r.out;
  while (!mac.empty() && (mac.back() == '\n' || mac.back() == '=')) mac.pop_back();
  for (char& c : mac) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return mac;
}

// The message the MAC covers (signed_value_format.h) for format `version`.
std::string MacMessage(char version, const std::string& wire_key, const std::string& expiry_bytes,
                       const std::string& value) {
  return std::string(1, version) + '\0' + static_cast<char>(wire_key.size()) + wire_key +
         expiry_bytes + value;
}

// The header fields of a stored signed value: tag, key id, expiry, MAC.
std::vector<std::string> HeaderFields(const std::string& stored) {
  std::vector<std::string> fields;
  size_t at = 0;
  for (int i = 0; i < 4; ++i) {
    size_t space = stored.find(' ', at);
    if (space == std::string::npos) break;
    fields.push_back(stored.substr(at, space - at));
    at = space + 1;
  }
  return fields;
}

class SignedValuesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!server_.Start()) GTEST_SKIP() << "cannot run memcached: " << server_.error();
    if (testutil::OpensslBinary().empty()) GTEST_SKIP() << "the openssl command is not installed";
    key_file_ = WriteKeyFile("mc.key", {kKeyA});
    backup_file_ = dir_.WriteFile("backup", "alice@example.com alice-v\nbob@example.com bob-v\n");
  }

  std::string WriteKeyFile(const std::string& name, const std::vector<std::string>& keys) {
    std::string text = "# value signing keys, the signing key first\n";
    for (const std::string& key : keys) text += key + "\n";
    return dir_.WriteFile(name, text, 0600);
  }

  std::string Config(const std::string& extra, const std::string& key_file = "") {
    return dir_.WriteFile("mc.cf", "memcache = " + server_.endpoint() +
                                       "\nkey_format = sv:%s\nmax_try = 1\n"
                                       "value_signing_key_file = " +
                                       (key_file.empty() ? key_file_ : key_file) + "\n" + extra);
  }

  std::unique_ptr<Table> Open(const std::string& extra = "", const std::string& key_file = "",
                              bool read_write = true) {
    OpenOptions options;
    options.read_write = read_write;
    return testutil::OpenOrDie("memcache:" + Config(extra, key_file), options);
  }
  // Read-only, as texthash is; lookups still write backup hits to memcached.
  std::unique_ptr<Table> OpenWithBackup() {
    return Open("backup = texthash:" + backup_file_ + "\n", "", false);
  }

  std::string Stored(const std::string& wire_key) {
    bool found = false;
    std::string value = server_.Get(wire_key, &found);
    return found ? value : "<absent>";
  }

  // A signer holding `hex_keys`, as another mctable process would.
  static std::unique_ptr<ValueSigner> Signer(const std::vector<std::string>& hex_keys) {
    std::vector<std::string> keys;
    for (const std::string& hex : hex_keys) keys.push_back(Unhex(hex));
    std::unique_ptr<ValueSigner> signer;
    EXPECT_TRUE(ValueSigner::Create(keys, &signer).ok());
    return signer;
  }

  TempDir dir_;
  MemcachedServer server_;
  std::string key_file_, backup_file_;
};

TEST_F(SignedValuesTest, StoredSignedInTheDocumentedFormat) {
  auto table = Open("ttl = 0\n");
  ASSERT_TRUE(table);
  ASSERT_TRUE(table->Update("User@Example.com", "dest@example.net").ok());
  std::string stored = Stored("sv:user@example.com");
  std::vector<std::string> f = HeaderFields(stored);
  ASSERT_EQ(f.size(), 4u) << stored;
  EXPECT_EQ(f[0], "MCS2");
  EXPECT_EQ(f[1], OpensslHmac(kKeyA, "key id").substr(0, 8));
  EXPECT_EQ(f[2], "0");  // ttl 0: never expires
  std::string message =
      MacMessage('\x02', "sv:user@example.com", std::string(8, '\0'), "dest@example.net");
  EXPECT_EQ(f[3], OpensslMac128(OpensslHmac(kKeyA, message)));
  EXPECT_EQ(f[3].size(), 22u);
  EXPECT_EQ(stored.substr(stored.size() - 17), " dest@example.net");
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "user@example.com"), "dest@example.net");
}

TEST_F(SignedValuesTest, TtlBecomesTheSignedExpiry) {
  auto table = Open("ttl = 600\n");
  ASSERT_TRUE(table);
  long before = static_cast<long>(std::time(nullptr));
  ASSERT_TRUE(table->Update("k", "v").ok());
  long after = static_cast<long>(std::time(nullptr));
  std::vector<std::string> f = HeaderFields(Stored("sv:k"));
  ASSERT_EQ(f.size(), 4u);
  long expiry = std::stol(f[2]);
  EXPECT_GE(expiry, before + 600);
  EXPECT_LE(expiry, after + 600);
}

TEST_F(SignedValuesTest, ForgedPlainValueIsRejectedAndRefilledFromTheBackup) {
  auto table = OpenWithBackup();
  ASSERT_TRUE(table);
  server_.Set("sv:alice@example.com", "attacker@evil.example");
  CapturedWarnings warnings;
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "alice@example.com"), "alice-v");
  ASSERT_EQ(warnings.lines().size(), 1u) << warnings.joined();
  EXPECT_EQ(warnings.lines()[0],
            "memcache:" + Config("backup = texthash:" + backup_file_ + "\n") +
                ": memcache entry for key \"alice@example.com\" "
                "(sv:alice@example.com): value is not signed -- treated as not found");
  // The forged entry is replaced by the backup's value, signed.
  std::string refilled = Stored("sv:alice@example.com");
  EXPECT_EQ(refilled.rfind("MCS2 ", 0), 0u) << refilled;
  EXPECT_EQ(refilled.substr(refilled.size() - 8), " alice-v");
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "alice@example.com"), "alice-v");
  EXPECT_EQ(warnings.lines().size(), 1u) << "the refilled entry must verify";
}

TEST_F(SignedValuesTest, ForgedValueWithoutBackupIsNotFound) {
  auto table = Open();
  ASSERT_TRUE(table);
  server_.Set("sv:carol@example.com", "attacker@evil.example");
  server_.Set("sv:dave@example.com", "MCS2 00000000 0 " + std::string(22, 'A') + " attacker");
  CapturedWarnings warnings;
  std::string value;
  EXPECT_TRUE(table->Lookup("carol@example.com", &value).IsNotFound());
  EXPECT_TRUE(table->Lookup("dave@example.com", &value).IsNotFound());
  ASSERT_EQ(warnings.lines().size(), 2u) << warnings.joined();
  EXPECT_NE(warnings.lines()[0].find("value is not signed"), std::string::npos);
  EXPECT_NE(warnings.lines()[1].find("signed with a key not in the key file"), std::string::npos);
}

TEST_F(SignedValuesTest, ReplayUnderAnotherKeyIsRejected) {
  auto table = OpenWithBackup();
  ASSERT_TRUE(table);
  ASSERT_EQ(testutil::LookupOrStatus(table.get(), "alice@example.com"),
            "alice-v");  // fills memcached
  std::string alice = Stored("sv:alice@example.com");
  ASSERT_EQ(alice.rfind("MCS2 ", 0), 0u);
  server_.Set("sv:bob@example.com", alice);  // alice's genuine signed entry, under bob's key
  CapturedWarnings warnings;
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "bob@example.com"), "bob-v");
  ASSERT_EQ(warnings.lines().size(), 1u) << warnings.joined();
  EXPECT_NE(warnings.lines()[0].find("(sv:bob@example.com): bad signature -- treated as not found"),
            std::string::npos)
      << warnings.lines()[0];
  EXPECT_NE(Stored("sv:bob@example.com"), alice);
}

TEST_F(SignedValuesTest, ExpiredEntryIsRejectedEvenWithAGoodSignature) {
  auto table = Open();
  ASSERT_TRUE(table);
  std::string replay;
  Signer({kKeyA})->Sign("sv:erin@example.com", "old-answer", std::time(nullptr) - 10, &replay);
  server_.Set("sv:erin@example.com", replay);  // memcached keeps it: ttl 0 on this set
  CapturedWarnings warnings;
  std::string value;
  EXPECT_TRUE(table->Lookup("erin@example.com", &value).IsNotFound());
  EXPECT_NE(warnings.joined().find("signature expired -- treated as not found"), std::string::npos)
      << warnings.joined();
}

TEST_F(SignedValuesTest, KeyRotationSignsWithTheFirstAndAcceptsEveryListedKey) {
  auto old_table = Open();
  ASSERT_TRUE(old_table && old_table->Update("x", "signed-by-a").ok());
  std::string rotated = WriteKeyFile("rotated.key", {kKeyB, kKeyA});
  auto table = Open("", rotated);
  ASSERT_TRUE(table);
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "x"), "signed-by-a");
  ASSERT_TRUE(table->Update("y", "signed-by-b").ok());
  EXPECT_EQ(HeaderFields(Stored("sv:y"))[1], OpensslHmac(kKeyB, "key id").substr(0, 8));

  std::string new_only = WriteKeyFile("new.key", {kKeyB});
  auto retired = Open("", new_only);
  ASSERT_TRUE(retired);
  CapturedWarnings warnings;
  std::string value;
  EXPECT_TRUE(retired->Lookup("x", &value).IsNotFound());
  EXPECT_NE(warnings.joined().find("signed with a key not in the key file"), std::string::npos);
  EXPECT_EQ(testutil::LookupOrStatus(retired.get(), "y"), "signed-by-b");
}

TEST_F(SignedValuesTest, BatchLookupKeepsOrderAroundRejectedEntries) {
  auto table = Open();
  ASSERT_TRUE(table);
  std::vector<KeyValue> entries;
  for (int i = 0; i < 300; ++i)
    entries.push_back({"k" + std::to_string(i), "v" + std::to_string(i)});
  std::vector<Status> stored;
  table->UpdateMany(entries, &stored);
  for (const Status& s : stored) ASSERT_TRUE(s.ok()) << s.ToString();
  for (int i = 0; i < 300; i += 7)
    server_.Set("sv:k" + std::to_string(i), "forged" + std::to_string(i));
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("k" + std::to_string(i));
  CapturedWarnings warnings;
  std::vector<LookupResult> results;
  table->LookupMany(keys, &results);
  ASSERT_EQ(results.size(), 300u);
  for (int i = 0; i < 300; ++i) {
    if (i % 7 == 0) {
      EXPECT_TRUE(results[i].status.IsNotFound()) << i;
    } else {
      EXPECT_TRUE(results[i].status.ok()) << i;
      EXPECT_EQ(results[i].value, "v" + std::to_string(i));
    }
  }
  EXPECT_EQ(warnings.lines().size(), 43u);
}

TEST_F(SignedValuesTest, SignedWithKeyDigestBindsTheDigestKey) {
  auto table = Open("key_digest = sha256\n");
  ASSERT_TRUE(table && table->Update("alice", "a-v").ok() && table->Update("bob", "b-v").ok());
  testutil::CommandResult a =
      RunCommand({testutil::OpensslBinary(), "dgst", "-sha256", "-r"}, "sv:alice", 10);
  testutil::CommandResult b =
      RunCommand({testutil::OpensslBinary(), "dgst", "-sha256", "-r"}, "sv:bob", 10);
  std::string alice_wire = a.out.substr(0, 64), bob_wire = b.out.substr(0, 64);
  ASSERT_EQ(Stored(alice_wire).rfind("MCS2 ", 0), 0u);
  server_.Set(bob_wire, Stored(alice_wire));
  CapturedWarnings warnings;
  std::string value;
  EXPECT_TRUE(table->Lookup("bob", &value).IsNotFound());
  EXPECT_NE(warnings.joined().find("bad signature"), std::string::npos);
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "alice"), "a-v");
}

TEST_F(SignedValuesTest, DataSizeLimitCountsTheSignature) {
  auto table = Open("data_size_limit = 80\n");  // ttl 3600: a 48-byte header
  ASSERT_TRUE(table);
  EXPECT_TRUE(table->Update("short", std::string(32, 'v')).ok());  // 80 bytes signed
  CapturedWarnings warnings;
  EXPECT_FALSE(table->Update("long", std::string(33, 'v')).ok());  // 81
  EXPECT_NE(warnings.joined().find("is too long (data_size_limit=80)"), std::string::npos);
  EXPECT_EQ(Stored("sv:long"), "<absent>");
}

// An MCS1 entry as the previous release stored it (full HMAC in hex over a
// message starting with 1), made here with the openssl command.
TEST_F(SignedValuesTest, OldFormatEntriesFromBeforeTheUpgradeStillAnswer) {
  auto table = OpenWithBackup();
  ASSERT_TRUE(table);
  const std::string wire = "sv:alice@example.com", expiry = "0";
  std::string mac =
      OpensslHmac(kKeyA, MacMessage('\x01', wire, std::string(8, '\0'), "alice-before-upgrade"));
  std::string old_entry = "MCS1 " + OpensslHmac(kKeyA, "key id").substr(0, 8) + " " + expiry +
                          " " + mac + " alice-before-upgrade";
  server_.Set(wire, old_entry);
  CapturedWarnings warnings;
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "alice@example.com"), "alice-before-upgrade");
  EXPECT_EQ(warnings.joined(), "");
  EXPECT_EQ(Stored(wire), old_entry);  // a hit: left as it is until it expires or is replaced

  // The same MCS1 entry replayed under bob's key, or with its value changed,
  // is refused like an MCS2 one, and bob's answer comes from the backup.
  server_.Set("sv:bob@example.com", old_entry);
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "bob@example.com"), "bob-v");
  ASSERT_EQ(warnings.lines().size(), 1u) << warnings.joined();
  EXPECT_NE(warnings.lines()[0].find("(sv:bob@example.com): bad signature"), std::string::npos);
  EXPECT_EQ(Stored("sv:bob@example.com").rfind("MCS2 ", 0), 0u);
  server_.Set(wire, old_entry.substr(0, old_entry.size() - 1) + "X");
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "alice@example.com"), "alice-v");
  EXPECT_EQ(warnings.lines().size(), 2u) << warnings.joined();
}

TEST_F(SignedValuesTest, CutShortEntryIsRejectedAndRefilled) {
  auto table = OpenWithBackup();
  ASSERT_TRUE(table);
  ASSERT_EQ(testutil::LookupOrStatus(table.get(), "alice@example.com"), "alice-v");
  std::string alice = Stored("sv:alice@example.com");
  ASSERT_EQ(alice.rfind("MCS2 ", 0), 0u);
  CapturedWarnings warnings;
  // Inside the MAC (malformed) and inside the value (bad signature).
  for (size_t cut : {alice.size() - 12, alice.size() - 3}) {
    server_.Set("sv:alice@example.com", alice.substr(0, cut));
    EXPECT_EQ(testutil::LookupOrStatus(table.get(), "alice@example.com"), "alice-v") << cut;
    std::string refilled = Stored("sv:alice@example.com");
    EXPECT_EQ(refilled.rfind("MCS2 ", 0), 0u) << refilled;
    EXPECT_EQ(refilled.substr(refilled.size() - 8), " alice-v");
  }
  EXPECT_EQ(testutil::LookupOrStatus(table.get(), "alice@example.com"), "alice-v");
  ASSERT_EQ(warnings.lines().size(), 2u) << warnings.joined();
  EXPECT_NE(warnings.lines()[0].find("malformed signature header"), std::string::npos);
  EXPECT_NE(warnings.lines()[1].find("bad signature"), std::string::npos);
}

TEST_F(SignedValuesTest, CommandLineReportsForgeriesNamingTheTable) {
  std::string cf = Config("");
  server_.Set("sv:k1", "forged");
  TempDir config_dir;
  config_dir.WriteFile("main.cf", "");
  auto run = [&](std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> argv = {testutil::MctableBinary(), "-c", config_dir.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, input, 30);
  };
  testutil::CommandResult r = run({"-i", "memcache:" + cf}, "k2 good-value\n");
  ASSERT_EQ(r.exit_status, 0) << r.err;
  r = run({"-q", "-", "memcache:" + cf}, "k1\nk2\n");
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.out, "k2\tgood-value\n");
  EXPECT_NE(r.err.find("warning: memcache:" + cf +
                       ": memcache entry for key \"k1\" (sv:k1): value is not signed"),
            std::string::npos)
      << r.err;
}

TEST_F(SignedValuesTest, LooseKeyFileIsRefusedAtOpen) {
  std::string loose = dir_.WriteFile("loose.key", kKeyA + "\n", 0644);
  std::string cf = Config("", loose);
  std::unique_ptr<Table> table;
  Status s = OpenTable("memcache:" + cf, OpenOptions(), &table);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_NE(s.message().find("value_signing_key_file " + loose + ": refused: mode 0644"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(s.message().find(kKeyA), std::string::npos);
}

}  // namespace
}  // namespace mctable
