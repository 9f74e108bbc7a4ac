// PgsqlConnector and PgsqlConnection; see pgsql_connection.h.
#include "table/sql/pgsql_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <vector>

#include "table/sql/sql_text.h"

namespace mctable {
namespace {

using Clock = std::chrono::steady_clock;

// Queries sent ahead of the answers read, and how often a sync goes with
// them (the server sends its answers at each sync, or when its buffer
// fills).  Enough to keep the server busy while bounding our memory.
constexpr size_t kMaxInFlight = 2048;
constexpr size_t kSyncEvery = 64;

// Waits until fd is ready for `events` or the deadline passes; false on
// timeout.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let libpq report the error
  }
}

class PgsqlQuoter : public ValueQuoter {
 public:
  explicit PgsqlQuoter(PGconn* conn) : conn_(conn) {}
  bool Append(std::string_view value, std::string* out) const override {
    size_t old_size = out->size();
    out->resize(old_size + 2 * value.size() + 1);
    int error = 0;
    size_t written = PQescapeStringConn(conn_, out->data() + old_size, value.data(), value.size(), &error);
    if (error != 0) {
      out->resize(old_size);
      reason_ = OneLine(PQerrorMessage(conn_));
      return false;
    }
    out->resize(old_size + written);
    return true;
  }
  const std::string& reason() const { return reason_; }

 private:
  PGconn* conn_;
  mutable std::string reason_;
};

// The name of the prepared lookup statement on each connection.
constexpr char kStatementName[] = "mctable_lookup";

// Waits (blocking connection) for the next result of the command sent;
// false when the deadline passes first.
bool AwaitResult(PGconn* conn, Clock::time_point deadline, PGresult** result) {
  while (PQisBusy(conn)) {
    if (!WaitFor(PQsocket(conn), POLLIN, deadline)) return false;
    if (!PQconsumeInput(conn)) break;  // PQgetResult reports the error
  }
  *result = PQgetResult(conn);
  return true;
}

class PgsqlConnection : public SqlConnection {
 public:
  PgsqlConnection(PGconn* conn, std::string server, const PgsqlSettings& settings, bool prepared)
      : conn_(conn), server_(std::move(server)), settings_(settings), prepared_(prepared) {}
  ~PgsqlConnection() override {
    if (held_ != nullptr) PQclear(held_);
    PQfinish(conn_);
  }

  size_t Run(QueryBatch* batch, size_t first, std::string* failure) override;

 private:
  // Sends queries while the window allows; false on a connection error.
  bool Send(QueryBatch* batch, std::string* failure);
  // Takes every answer libpq has parsed; false when a query failed.
  bool Drain(QueryBatch* batch, std::string* failure);
  void Deliver(QueryBatch* batch, size_t item, const PGresult* result);
  size_t Fail(const std::string& reason, std::string* failure);

  PGconn* conn_;
  std::string server_;
  PgsqlSettings settings_;
  bool prepared_;  // kStatementName is prepared: keys go as parameters
  std::vector<std::string> parameter_values_;
  std::vector<const char*> parameter_pointers_;
  std::deque<size_t> in_flight_;  // items sent, answers not yet complete
  size_t next_ = 0;               // next item to send
  size_t unsynced_ = 0;           // queries sent since the last sync
  size_t syncs_ = 0;              // syncs whose answer has not come back
  PGresult* held_ = nullptr;      // the front item's answer so far
  bool completed_one_ = false;    // an item completed during Drain
  std::string query_;
};

size_t PgsqlConnection::Fail(const std::string& reason, std::string* failure) {
  *failure = reason;
  return in_flight_.empty() ? next_ : in_flight_.front();
}

bool PgsqlConnection::Send(QueryBatch* batch, std::string* failure) {
  const size_t window = settings_.pipeline ? kMaxInFlight : 1;
  PgsqlQuoter quoter(conn_);
  while (next_ < batch->size() && in_flight_.size() < window) {
    if (!batch->BuildQuery(next_, quoter, &query_)) {
      std::string reason = "cannot escape input string: " + quoter.reason();
      batch->Fail(next_, reason, "dict pgsql: (host " + server_ + ") " + reason);
      ++next_;
      continue;
    }
    int sent;
    if (prepared_) {
      // The text built above is not sent; building it checked that the key
      // can be quoted in this connection's encoding, as for a text query.
      const std::string& key = batch->Key(next_);
      const size_t count = settings_.parameters.size();
      parameter_values_.resize(count);
      parameter_pointers_.resize(count);
      for (size_t p = 0; p < count; ++p) {
        settings_.parameters[p].Expand(key, &parameter_values_[p]);
        parameter_pointers_[p] = parameter_values_[p].c_str();
      }
      sent = PQsendQueryPrepared(conn_, kStatementName, static_cast<int>(count), parameter_pointers_.data(),
                                 nullptr, nullptr, 0);
    } else if (settings_.pipeline) {
      sent = PQsendQueryParams(conn_, query_.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0);
    } else {
      sent = PQsendQuery(conn_, query_.c_str());
    }
    if (!sent) {
      *failure = "pgsql query failed: fatal error from host " + server_ + ": " +
                 OneLine(PQerrorMessage(conn_));
      return false;
    }
    in_flight_.push_back(next_++);
    if (settings_.pipeline && ++unsynced_ == kSyncEvery) {
      if (!PQpipelineSync(conn_)) break;
      ++syncs_;
      unsynced_ = 0;
    }
  }
  if (settings_.pipeline && unsynced_ > 0) {
    if (!PQpipelineSync(conn_)) {
      *failure = "pgsql query failed: fatal error from host " + server_ + ": " +
                 OneLine(PQerrorMessage(conn_));
      return false;
    }
    ++syncs_;
    unsynced_ = 0;
  }
  return true;
}

void PgsqlConnection::Deliver(QueryBatch* batch, size_t item, const PGresult* result) {
  batch->Begin(item);
  const int rows = PQntuples(result);
  const int columns = PQnfields(result);
  for (int row = 0; row < rows; ++row)
    for (int column = 0; column < columns; ++column)
      // Postfix reads a NULL as the empty string (and warns about it).
      batch->Value(item, PQgetvalue(result, row, column),
                   static_cast<size_t>(PQgetlength(result, row, column)));
  batch->Complete(item);
}

bool PgsqlConnection::Drain(QueryBatch* batch, std::string* failure) {
  while (!PQisBusy(conn_)) {
    PGresult* result = PQgetResult(conn_);
    if (result == nullptr) {
      // The end of the front query's answer; or nothing queued at all.
      if (held_ == nullptr) return true;
      Deliver(batch, in_flight_.front(), held_);
      PQclear(held_);
      held_ = nullptr;
      in_flight_.pop_front();
      completed_one_ = true;
      continue;
    }
    ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_PIPELINE_SYNC) {
      PQclear(result);
      if (syncs_ > 0) --syncs_;
      continue;
    }
    if (in_flight_.empty()) {
      PQclear(result);
      *failure = "pgsql query failed: protocol error, host " + server_;
      return false;
    }
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      // With several statements (simple protocol) the last one answers.
      if (held_ != nullptr) PQclear(held_);
      held_ = result;
      continue;
    }
    if (status == PGRES_FATAL_ERROR) {
      *failure = "pgsql query failed: fatal error from host " + server_ + ": " +
                 OneLine(PQresultErrorMessage(result));
    } else if (status == PGRES_BAD_RESPONSE) {
      *failure = "pgsql query failed: protocol error, host " + server_;
    } else {
      char code[32];
      std::snprintf(code, sizeof code, "0x%lx", static_cast<unsigned long>(status));
      *failure = std::string("pgsql query failed: unknown code ") + code + " from host " + server_;
    }
    PQclear(result);
    return false;
  }
  return true;
}

size_t PgsqlConnection::Run(QueryBatch* batch, size_t first, std::string* failure) {
  next_ = first;
  in_flight_.clear();
  const auto timeout = std::chrono::seconds(settings_.query_timeout_seconds);
  auto deadline = Clock::now() + timeout;
  std::string reason;
  for (;;) {
    if (!Send(batch, &reason)) return Fail(reason, failure);
    int flushed = PQflush(conn_);  // 0: all sent, 1: more to send
    if (flushed < 0)
      return Fail("pgsql query failed: fatal error from host " + server_ + ": " +
                      OneLine(PQerrorMessage(conn_)),
                  failure);
    if (!PQconsumeInput(conn_))
      return Fail("pgsql query failed: fatal error from host " + server_ + ": " +
                      OneLine(PQerrorMessage(conn_)),
                  failure);
    completed_one_ = false;
    if (!Drain(batch, &reason)) return Fail(reason, failure);
    if (completed_one_) deadline = Clock::now() + timeout;
    if (in_flight_.empty() && next_ >= batch->size() && syncs_ == 0 && flushed == 0)
      return batch->size();
    if (!WaitFor(PQsocket(conn_), static_cast<short>(POLLIN | (flushed == 1 ? POLLOUT : 0)), deadline))
      return Fail("pgsql query failed: no answer within " +
                      std::to_string(settings_.query_timeout_seconds) +
                      " seconds (query_timeout) from host " + server_,
                  failure);
  }
}

class PgsqlConnector : public SqlConnector {
 public:
  explicit PgsqlConnector(PgsqlSettings settings) : settings_(std::move(settings)) {}

  bool Connect(const ServerAddress& server, std::unique_ptr<SqlConnection>* connection,
               std::string* failure) override {
    std::string reason;
    PGconn* conn = Open(server, &reason);
    if (conn == nullptr) {
      *failure = "connect to pgsql server " + server.text + ": " + reason;
      return false;
    }
    bool prepared = false;
    if (!Prepare(conn, &prepared, &reason)) {
      PQfinish(conn);
      *failure = "connect to pgsql server " + server.text + ": " + reason;
      return false;
    }
    if (PQsetnonblocking(conn, 1) != 0 || (settings_.pipeline && PQenterPipelineMode(conn) != 1)) {
      *failure = "connect to pgsql server " + server.text + ": " + OneLine(PQerrorMessage(conn));
      PQfinish(conn);
      return false;
    }
    *connection = std::make_unique<PgsqlConnection>(conn, server.text, settings_, prepared);
    return true;
  }

 private:
  // The connection, connected, or null with *reason set.
  PGconn* Open(const ServerAddress& server, std::string* reason) const;
  // Prepares the lookup statement, if the template has one; *prepared
  // says whether the server took it.  False only when the server did not
  // answer in time or the connection broke.
  bool Prepare(PGconn* conn, bool* prepared, std::string* reason) const;

  PgsqlSettings settings_;
};

PGconn* PgsqlConnector::Open(const ServerAddress& server, std::string* reason) const {
  std::vector<const char*> keywords, values;
  auto add = [&](const char* keyword, const std::string& value) {
    if (value.empty()) return;
    keywords.push_back(keyword);
    values.push_back(value.c_str());
  };
  // dbname first: when it is a connection string or URI it is expanded,
  // and the parameters after it take precedence (as with PQsetdbLogin).
  if (server.kind == ServerAddress::Kind::kUri) {
    add("dbname", server.host);
  } else {
    add("dbname", settings_.dbname);
    add("host", server.host);
    add("port", server.port);
    add("user", settings_.user);
    add("password", settings_.password);
  }
  add("client_encoding", settings_.encoding);
  keywords.push_back(nullptr);
  values.push_back(nullptr);

  PGconn* conn = PQconnectStartParams(keywords.data(), values.data(), 1);
  if (conn == nullptr) {
    *reason = "out of memory";
    return nullptr;
  }
  auto deadline = Clock::now() + std::chrono::seconds(settings_.connect_timeout_seconds);
  PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
  while (PQstatus(conn) != CONNECTION_BAD && polling != PGRES_POLLING_OK &&
         polling != PGRES_POLLING_FAILED) {
    short events = polling == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    if (!WaitFor(PQsocket(conn), events, deadline)) {
      *reason = "no connection within " + std::to_string(settings_.connect_timeout_seconds) +
                " seconds (connect_timeout)";
      PQfinish(conn);
      return nullptr;
    }
    polling = PQconnectPoll(conn);
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    *reason = OneLine(PQerrorMessage(conn));
    PQfinish(conn);
    return nullptr;
  }
  return conn;
}

bool PgsqlConnector::Prepare(PGconn* conn, bool* prepared, std::string* reason) const {
  *prepared = false;
  if (settings_.statement.empty()) return true;
  if (!PQsendPrepare(conn, kStatementName, settings_.statement.c_str(),
                     static_cast<int>(settings_.parameters.size()), nullptr)) {
    *reason = OneLine(PQerrorMessage(conn));
    return false;
  }
  auto deadline = Clock::now() + std::chrono::seconds(settings_.query_timeout_seconds);
  PGresult* result = nullptr;
  bool first = true;
  do {
    if (!AwaitResult(conn, deadline, &result)) {
      *reason = "no answer within " + std::to_string(settings_.query_timeout_seconds) +
                " seconds (query_timeout)";
      return false;
    }
    if (first && result != nullptr) *prepared = PQresultStatus(result) == PGRES_COMMAND_OK;
    first = false;
    PQclear(result);
  } while (result != nullptr);
  if (PQstatus(conn) != CONNECTION_OK) {
    *reason = OneLine(PQerrorMessage(conn));
    return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<SqlConnector> NewPgsqlConnector(PgsqlSettings settings) {
  return std::make_unique<PgsqlConnector>(std::move(settings));
}

}  // namespace mctable
