// SqlTimeouts: the time parameters of the network SQL tables, read from a
// table's configuration with Postfix's messages for bad values.
//   connect_timeout  (mctable; default 10 s)  bound on opening a connection
//   query_timeout    (mctable; default 30 s)  bound on waiting for a
//                    query's answer (sqlite: on waiting for a lock)
//   retry_interval   (Postfix 3.9; default 60 s)  how long a failed server
//                    is left alone
//   idle_interval    (Postfix 3.9; default 60 s)  idle connections are
//                    closed after this long
// Postfix 3.7 has no connect or query bound at all; a lookup in a mail
// server's path must not wait forever, so both are at least 1 second.
#ifndef MCTABLE_TABLE_SQL_SQL_TIMEOUTS_H_
#define MCTABLE_TABLE_SQL_SQL_TIMEOUTS_H_

#include "mctable/config.h"

namespace mctable {

struct SqlTimeouts {
  int connect = 10;
  int query = 30;
  int retry = 60;
  int idle = 60;

  Status Read(const Config& config) {
    Status s = config.GetInt("connect_timeout", connect, 1, 0, &connect);
    if (s.ok()) s = config.GetInt("query_timeout", query, 1, 0, &query);
    if (s.ok()) s = config.GetInt("retry_interval", retry, 0, 0, &retry);
    if (s.ok()) s = config.GetInt("idle_interval", idle, 1, 0, &idle);
    return s;
  }
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_SQL_SQL_TIMEOUTS_H_
