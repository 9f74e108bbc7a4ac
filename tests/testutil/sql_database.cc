#include "testutil/sql_database.h"

#include "testutil/mariadb_server.h"
#include "testutil/postgres_server.h"

namespace mctable::testutil {
namespace {

// Portable SQL (standard quoting) run in the "mctable" database.
const char kSqlTestData[] = R"SQL(
CREATE TABLE aliases (k VARCHAR(255), v VARCHAR(255));
INSERT INTO aliases VALUES
  ('alice@example.com', 'alice-v'),
  ('o''brien@example.com', 'obrien-v'),
  ('multi@example.com', 'm1'), ('multi@example.com', 'm2'), ('multi@example.com', 'm3'),
  ('empty@example.com', ''),
  ('null@example.com', NULL),
  ('bob', 'bob-v'),
  ('carol@sub.example.org', 'carol-v'),
  ('x@y@example.com', 'xy-v'),
  ('semi;colon@example.com', 'semi-v'),
  ('pct%@example.com', 'pct-v'),
  ('example.com', 'domain-key-v'),
  ('user@other.net', 'other-v');
CREATE TABLE users (u VARCHAR(255), v VARCHAR(255));
INSERT INTO users VALUES ('alice', 'alice-user'), ('o''brien', 'obrien-user'), ('bob', 'bob-user'),
  ('carol', 'carol-user'), ('x@y', 'xy-user');
CREATE TABLE domains (d VARCHAR(255), v VARCHAR(255));
INSERT INTO domains VALUES ('example.com', 'example-domain'), ('com', 'tld-com'),
  ('sub.example.org', 'sub-domain'), ('example.org', 'example-org'), ('org', 'tld-org'),
  ('y@example.com', 'never-domain');
CREATE TABLE relays (k VARCHAR(255), v VARCHAR(255));
INSERT INTO relays VALUES ('alice@example.com', 'mx@relay1.example'),
  ('alice@example.com', 'unqualified'), ('alice@example.com', 'mx@relay2.example'),
  ('bob', '@no-local.example'), ('bob', 'local@'), ('carol@sub.example.org', 'a@b@c.example');
CREATE TABLE pairs (k VARCHAR(255), a VARCHAR(255), b VARCHAR(255));
INSERT INTO pairs VALUES ('alice@example.com', 'a1', 'b1'), ('bob', 'a2', NULL), ('multi@example.com', '', 'b3');
)SQL";

// The rows whose SQL differs by type: UTF-8 and backslashes.
std::string TypeSpecificRows(const std::string& type) {
  std::string backslash = type == "mysql" ? "back\\\\slash@example.com" : "back\\slash@example.com";
  return "INSERT INTO aliases VALUES ('caf\xc3\xa9@example.com', 'utf8-caf\xc3\xa9'), ('" + backslash +
         "', 'backslash-v');";
}

}  // namespace

std::string SqlConnectionTo(const std::string& hosts, const std::string& password) {
  return "hosts = " + hosts + "\nuser = pf\npassword = " + password + "\ndbname = mctable\n";
}

std::unique_ptr<SqlTestDatabase> SqlTestDatabase::Open(const std::string& type, std::string* why,
                                                       bool* unavailable) {
  *unavailable = true;
  if (!HaveTableType(type)) {
    *why = type + " table type is not built in (its client library was missing at build time)";
    return nullptr;
  }
  auto db = std::unique_ptr<SqlTestDatabase>(new SqlTestDatabase());
  db->type_ = type;
  static bool sqlite_loaded = false, postgres_loaded = false, mariadb_loaded = false;
  bool* loaded = nullptr;
  if (type == "sqlite") {
    if (::access("/usr/bin/sqlite3", X_OK) != 0) {
      *why = "the sqlite3 command is not installed (apt-get install sqlite3)";
      return nullptr;
    }
    static TempDir* dir = new TempDir();  // lives as long as the process
    db->sqlite_path_ = dir->path() + "/test.db";
    db->connection_ = "dbpath = " + db->sqlite_path_ + "\n";
    loaded = &sqlite_loaded;
  } else if (type == "pgsql") {
    db->postgres_ = SharedPostgres(why);
    if (db->postgres_ == nullptr) return nullptr;
    db->connection_ = SqlConnectionTo(db->postgres_->hosts());
    loaded = &postgres_loaded;
  } else if (type == "mysql") {
    db->mariadb_ = SharedMariadb(why);
    if (db->mariadb_ == nullptr) return nullptr;
    db->connection_ = SqlConnectionTo(db->mariadb_->hosts());
    loaded = &mariadb_loaded;
  } else {
    *why = "unknown SQL type " + type;
    return nullptr;
  }
  if (!*loaded) {
    *unavailable = false;
    if (!db->Load(why)) return nullptr;
    *loaded = true;
  }
  return db;
}

std::unique_ptr<SqlTestDatabase> SqlTestDatabase::OnServer(PostgresServer* server, std::string* error) {
  auto db = std::unique_ptr<SqlTestDatabase>(new SqlTestDatabase());
  db->type_ = "pgsql";
  db->postgres_ = server;
  return db->LoadOn(server->hosts(), error) ? std::move(db) : nullptr;
}

std::unique_ptr<SqlTestDatabase> SqlTestDatabase::OnServer(MariadbServer* server, std::string* error) {
  auto db = std::unique_ptr<SqlTestDatabase>(new SqlTestDatabase());
  db->type_ = "mysql";
  db->mariadb_ = server;
  return db->LoadOn(server->hosts(), error) ? std::move(db) : nullptr;
}

bool SqlTestDatabase::LoadOn(const std::string& hosts, std::string* error) {
  connection_ = SqlConnectionTo(hosts);
  return Load(error);
}

bool SqlTestDatabase::Load(std::string* error) {
  std::string data = std::string(kSqlTestData) + TypeSpecificRows(type_);
  if (postgres_ != nullptr)
    return postgres_->Sql("CREATE ROLE pf LOGIN PASSWORD 'secret'", error) &&
           postgres_->Sql("CREATE DATABASE mctable", error) &&
           Exec(data + "GRANT SELECT ON ALL TABLES IN SCHEMA public TO pf;", error);
  if (mariadb_ != nullptr)
    return mariadb_->Sql("CREATE DATABASE mctable CHARACTER SET utf8mb4;"
                         "CREATE USER 'pf'@'127.0.0.1' IDENTIFIED BY 'secret';"
                         "CREATE USER 'pf'@'localhost' IDENTIFIED BY 'secret';"
                         "GRANT SELECT ON mctable.* TO 'pf'@'127.0.0.1';"
                         "GRANT SELECT ON mctable.* TO 'pf'@'localhost';",
                         error) &&
           Exec(data, error);
  return Exec(data, error);
}

bool SqlTestDatabase::Exec(const std::string& sql, std::string* error) const {
  CommandResult r;
  if (postgres_ != nullptr) {
    r = RunCommand({"/usr/bin/psql", "-X", "-q", "-h", postgres_->socket_dir(), "-p",
                    std::to_string(postgres_->port()), "-U", "postgres", "-d", "mctable", "-v", "ON_ERROR_STOP=1"},
                   sql, 120);
  } else if (mariadb_ != nullptr) {
    return mariadb_->Sql("USE mctable;\n" + sql, error);
  } else {
    r = RunCommand({"/usr/bin/sqlite3", "-bail", sqlite_path_}, sql, 120);
    if (!r.err.empty()) r.exit_status = r.exit_status == 0 ? 1 : r.exit_status;
  }
  if (r.exit_status == 0) return true;
  if (error) *error = r.err;
  return false;
}

std::string SqlTestDatabase::WriteTable(const TempDir& dir, const std::string& file,
                                        const std::string& params) const {
  return type_ + ":" + dir.WriteFile(file, connection_ + params);
}

bool SqlTestDatabase::EnsureBigTable(int rows, std::string* table_name, std::string* error) {
  *table_name = "big" + std::to_string(rows);
  std::string n = std::to_string(rows - 1);
  std::string create = "CREATE TABLE " + *table_name + " (k VARCHAR(255) PRIMARY KEY, v VARCHAR(255));";
  std::string fill;
  if (type_ == "mysql") {
    fill = "INSERT INTO " + *table_name + " SELECT CONCAT('user', seq, '@example', seq % 97, '.com'), "
           "CONCAT('value-', seq) FROM seq_0_to_" + n + ";";
  } else {
    fill = "INSERT INTO " + *table_name + " WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s "
           "WHERE i < " + n + ") SELECT 'user' || i || '@example' || (i % 97) || '.com', 'value-' || i FROM s;";
  }
  std::string grant = type_ == "pgsql" ? "GRANT SELECT ON " + *table_name + " TO pf;" : "";
  std::string why;
  if (Exec(create + fill + grant, &why)) return true;
  // Made by an earlier test of this process.
  if (why.find("exist") != std::string::npos) return true;
  if (error) *error = why;
  return false;
}

}  // namespace mctable::testutil
