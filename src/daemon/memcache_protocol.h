// The memcache text protocol as mctabled's memcache listener serves it, as
// pure functions over bytes: parsing one command from the front of a
// connection's input, and encoding the replies.  No I/O here, so both are
// unit-tested and fuzzed directly.
//
// Commands (memcached's protocol.txt; Postfix's dict_memcache sends the
// first three in exactly these forms):
//   get KEY [KEY ...]  /  gets KEY [KEY ...]
//   set KEY FLAGS EXPTIME BYTES [noreply] \r\n DATA \r\n
//   delete KEY [0] [noreply]
//   version  /  quit
// A line ends with "\n" (a "\r" before it is dropped).  Keys are taken
// byte for byte; whether a key suits the table (its length, key_digest)
// is the table's decision, not the parser's.
//
// Failure: anything but these commands is kUnknown (answered "ERROR", the
// connection goes on).  A known command with bad arguments, a key with a
// control byte, a data block not followed by "\r\n", or a value over the
// limit is kBadRequest with a CLIENT_ERROR text: the request is consumed,
// and for an oversized value `discard` more bytes (its data and "\r\n")
// are to be dropped as they arrive, never buffered.  A line longer than
// max_line is kFramingError (the stream cannot be resynchronised; the
// caller answers and closes).  Nothing reads past `input`; nothing
// allocates more than one line plus one bounded value.
#ifndef MCTABLE_DAEMON_MEMCACHE_PROTOCOL_H_
#define MCTABLE_DAEMON_MEMCACHE_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/lookup_protocol.h"

namespace mctable {

// A command line, keys included: room for long keys that key_digest
// shortens and for multi-key gets.
constexpr size_t kMemcacheLineLimit = 16384;

enum class MemcacheCommand { kUnknown, kGet, kGets, kSet, kDelete, kVersion, kQuit };

struct MemcacheRequest {
  MemcacheCommand command = MemcacheCommand::kUnknown;
  std::vector<std::string> keys;  // get/gets: one or more; set/delete: one
  uint32_t flags = 0;             // set
  int64_t exptime = 0;            // set
  std::string value;              // set
  bool noreply = false;           // set, delete
};

struct MemcacheParse {
  ParseStatus status = ParseStatus::kNeedMore;
  size_t consumed = 0;  // kRequest, kBadRequest
  size_t discard = 0;   // kBadRequest: further bytes to drop (an oversized value)
  std::string error;    // kBadRequest, kFramingError: the CLIENT_ERROR text
  MemcacheRequest request;
};

MemcacheParse ParseMemcacheRequest(std::string_view input, size_t max_line, size_t max_value);

// Replies, with their "\r\n".
std::string MemcacheValue(std::string_view key, uint32_t flags, std::string_view data, bool with_cas);
constexpr std::string_view kMemcacheEnd = "END\r\n";
constexpr std::string_view kMemcacheStored = "STORED\r\n";
constexpr std::string_view kMemcacheDeleted = "DELETED\r\n";
constexpr std::string_view kMemcacheNotFound = "NOT_FOUND\r\n";
constexpr std::string_view kMemcacheError = "ERROR\r\n";
// "CLIENT_ERROR text" / "SERVER_ERROR text": the text made printable and
// at most 200 bytes, so that it can neither end the line early nor flood
// the client's log.
std::string MemcacheClientError(std::string_view text);
std::string MemcacheServerError(std::string_view text);
std::string MemcacheVersion(std::string_view version);

}  // namespace mctable

#endif  // MCTABLE_DAEMON_MEMCACHE_PROTOCOL_H_
