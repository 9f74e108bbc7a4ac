// Request and KeyAnswer: one client request as the event loop hands it to
// a map's worker (map_worker.h), whatever the protocol it came in, and the
// answer for each of its keys.  Plain data, no behaviour.
#ifndef MCTABLE_DAEMON_REQUEST_H_
#define MCTABLE_DAEMON_REQUEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "mctable/status.h"

namespace mctable {

// In the order a map worker runs them within one batch (map_worker.h).
enum class Operation {
  kLookup,  // the table's own lookup (key_format, folding, domain...)
  kGet,     // exact keys (ExactKeyCache)
  kSet,
  kDelete,
  kReply,   // no table: the protocol's own reply
  kIgnore,  // no table, no reply (input a listener does not read)
};

struct Request {
  Operation op = Operation::kLookup;
  std::string map_name;           // empty: the listener's map
  std::vector<std::string> keys;  // one, or several for kGet
  std::string value;              // kSet
  uint32_t flags = 0;             // kSet
  int64_t ttl = 0;                // kSet
  bool noreply = false;           // the client wants no reply
  bool with_cas = false;          // memcache "gets"
  bool close = false;             // close after the replies owed (memcache "quit")
  std::string reply;              // kReply
};

// The answer for one key.
struct KeyAnswer {
  Status status;
  std::string value;
  uint32_t flags = 0;
};

}  // namespace mctable

#endif  // MCTABLE_DAEMON_REQUEST_H_
