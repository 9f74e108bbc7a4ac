// The memcached text protocol, as far as the memcache table uses it:
// request formatting for get (one or many keys), set and delete, and
// incremental parsing of their replies; for replicas, meta get and the
// quiet meta writes (ms/md with q, a chunk ended by mn).
//
// Everything here is a pure function of its input, so the parsers can be
// fuzzed.  Parsers never read past the bytes they are given and never trust
// a length they have not bounded: a reply line longer than the line limit,
// a data length above the data limit, data not followed by CRLF, or a VALUE
// line for a key that was not asked for is an error, never a value.
#ifndef MCTABLE_MEMCACHE_PROTOCOL_H_
#define MCTABLE_MEMCACHE_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mctable {

// memcached's limit on key length.
constexpr size_t kMaxMemcacheKeyLength = 250;

// Why a key cannot be sent, or nullptr if it can: empty, longer than 250
// bytes, or containing whitespace or an ASCII control character (any of
// which would let the key end the command early or smuggle another one).
const char* InvalidMemcacheKeyReason(std::string_view key);

// Commands for keys that passed InvalidMemcacheKeyReason.  Multi-key
// "get k1 k2 ...\r\n" lines are built by the batch code (server_batch.cc).
void AppendGetCommand(std::string* out, std::string_view key);
void AppendSetCommand(std::string* out, std::string_view key, uint32_t flags, long ttl,
                      std::string_view data);
void AppendDeleteCommand(std::string* out, std::string_view key);
// "add": stores only when the server holds nothing for the key (replica
// read-repair, which must not overwrite a newer write).
void AppendAddCommand(std::string* out, std::string_view key, uint32_t flags, long ttl,
                      std::string_view data);
// Meta get "mg KEY s t f v": the value with its size, remaining TTL and flags
// (memcached 1.6), for copying a key to another replica.
void AppendMetaGetCommand(std::string* out, std::string_view key);
// Quiet meta writes (replicas): memcached sends nothing for a stored set
// ("HD" is suppressed), so a chunk of them is ended by a meta no-op ("mn",
// answered "MN") and a chunk that went well is answered by "MN" alone.
// "ms KEY LEN T<ttl> F<flags> q\r\nDATA\r\n" (memcached 1.6's meta set).
void AppendQuietMetaSetCommand(std::string* out, std::string_view key, uint32_t flags, long ttl,
                               std::string_view data);
// "md KEY q O<opaque>\r\n": a key not found is answered "NF O<opaque>", which
// ties that answer to its command.
void AppendQuietMetaDeleteCommand(std::string* out, std::string_view key, uint32_t opaque);
inline constexpr std::string_view kMetaNoopCommand = "mn\r\n";

// One reply line within a chunk of quiet meta writes.
struct QuietWriteReply {
  enum Kind {
    kNoop,        // "MN": the end of the chunk's replies
    kNotFound,    // "NF ... O<opaque>": a delete of a missing key (opaque set)
    kRefusal,     // NS, EX, an NF without opaque, ERROR, CLIENT_ERROR, SERVER_ERROR:
                  // a command of the chunk failed, and errors say not which one
    kUnexpected,  // anything else: the stream is out of step
  } kind = kUnexpected;
  uint32_t opaque = 0;
};
QuietWriteReply ParseQuietWriteReply(std::string_view line);

enum class LineStatus { kNeedMore, kLine, kTooLong };

// Finds the first reply line in `input`.  On kLine, *line is the text
// without its line ending ("\r\n", or a bare "\n" as Postfix accepts) and
// *consumed covers the ending.  kTooLong when the line (without ending) is
// longer than max_line, whether or not it is complete yet.
LineStatus ReadReplyLine(std::string_view input, size_t max_line, std::string_view* line,
                         size_t* consumed);

// Parses "VALUE <key> <flags> <bytes> [<cas unique>]".  False if malformed.
bool ParseValueLine(std::string_view line, std::string_view* key, uint32_t* flags, size_t* bytes);

// One step of a get reply.
struct GetReplyStep {
  enum Kind { kNeedMore, kValue, kEnd, kError } kind = kNeedMore;
  std::string_view key;   // kValue
  std::string_view data;  // kValue, points into the input
  uint32_t flags = 0;     // kValue
  size_t consumed = 0;    // bytes of input this step used (kValue, kEnd)
  std::string error;      // kError: "unexpected memcache server reply: ..."
  bool error_is_data_size = false;  // kError because the VALUE was too long
};

// Parses the next element of a get reply (a VALUE block or END).
GetReplyStep ParseGetReplyStep(std::string_view input, size_t max_line, size_t max_data);

// One meta get reply: "VA <bytes> s<bytes> t<ttl> f<flags>" and its data
// block (kHit) or "EN" (kMiss).  The size flag must repeat the length, so a
// reply out of step with the request is an error rather than a value.
struct MetaGetReplyStep {
  enum Kind { kNeedMore, kHit, kMiss, kError } kind = kNeedMore;
  std::string_view data;  // kHit, points into the input
  long long ttl = -1;     // kHit: seconds left, -1 for no expiry
  uint32_t flags = 0;     // kHit
  size_t consumed = 0;    // kHit, kMiss
  std::string error;      // kError
  bool error_is_data_size = false;
};
MetaGetReplyStep ParseMetaGetReplyStep(std::string_view input, size_t max_line, size_t max_data);

// The first 30 bytes of a reply line, printable, for messages (as Postfix).
std::string ReplyExcerpt(std::string_view line);

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_PROTOCOL_H_
