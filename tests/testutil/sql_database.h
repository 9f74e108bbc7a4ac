// SqlTestDatabase: the tests' data in a database of one of the SQL table
// types (sqlite, pgsql, mysql), and the lines that connect a table to it.
//
// pgsql and mysql use the test process's shared server (SharedPostgres,
// SharedMariadb), a database "mctable" and an account "pf" with password
// "secret" that may only read it; sqlite a file in a TempDir.  The data
// (kSqlTestData in sql_database.cc) is loaded once per server.
#ifndef MCTABLE_TESTUTIL_SQL_DATABASE_H_
#define MCTABLE_TESTUTIL_SQL_DATABASE_H_

#include <memory>
#include <string>

#include "testutil/testutil.h"

namespace mctable::testutil {

class PostgresServer;
class MariadbServer;

class SqlTestDatabase {
 public:
  // Null with *why: *unavailable is true when the type is not built in or
  // its server cannot run here (the test skips), false when loading the
  // data failed (the test fails).
  static std::unique_ptr<SqlTestDatabase> Open(const std::string& type, std::string* why, bool* unavailable);
  // The same data on a server the test owns (to stop, restart or stall
  // it), loaded now; null with *error on failure.
  static std::unique_ptr<SqlTestDatabase> OnServer(PostgresServer* server, std::string* error);
  static std::unique_ptr<SqlTestDatabase> OnServer(MariadbServer* server, std::string* error);

  const std::string& type() const { return type_; }
  // "hosts = ...\nuser = pf\npassword = secret\ndbname = mctable\n" or
  // "dbpath = ...\n".
  const std::string& connection() const { return connection_; }
  // Runs SQL as the administrator; false with *error.
  bool Exec(const std::string& sql, std::string* error = nullptr) const;
  // Writes dir/file with connection() + params; returns "type:dir/file".
  std::string WriteTable(const TempDir& dir, const std::string& file, const std::string& params) const;

  // The "big" table: key user<i>@example<i % 97>.com, value value-<i>,
  // for i in [0, rows), created on first call (name "big<rows>").
  bool EnsureBigTable(int rows, std::string* table_name, std::string* error = nullptr);

 private:
  // Creates the account, the database and the data.
  bool Load(std::string* error);
  // The same, for a server reached at `hosts`.
  bool LoadOn(const std::string& hosts, std::string* error);

  std::string type_;
  std::string connection_;
  std::string sqlite_path_;
  PostgresServer* postgres_ = nullptr;
  MariadbServer* mariadb_ = nullptr;
};

// The connection lines of a pgsql: or mysql: table for any "hosts" value
// (tests of servers that are down, stalled or refuse the password).
std::string SqlConnectionTo(const std::string& hosts, const std::string& password = "secret");

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_SQL_DATABASE_H_
