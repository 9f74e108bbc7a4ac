// The two request protocols mctabled serves, as pure functions over bytes:
// parsing one request from the front of a connection's input, and encoding
// one reply.  No I/O here, so both are unit-tested and fuzzed directly.
//
// socketmap (socketmap_table(5)): each request and reply is a netstring
// "LEN:PAYLOAD,"; a request's payload is "NAME KEY" (NAME up to the first
// space, KEY everything after it, spaces included).  Replies are "OK data",
// "NOTFOUND ", "TEMP reason", "TIMEOUT reason" and "PERM reason".
//
// tcp_table (tcp_table(5)): one request per line, "get KEY\n", with '%',
// whitespace and non-printing bytes of KEY written as %XX (either case).
// Replies are "200 DATA\n", "500 text\n" (not found) and "400 text\n"
// (try again later), DATA encoded the same way; Postfix's client reads at
// most 4096 bytes of reply, newline included.
//
// Failure: a request that breaks the framing (a netstring without digits,
// a length over the limit, a missing ','; a tcp line over the limit) is
// kFramingError: the connection's byte stream can no longer be trusted and
// the caller answers once and closes.  A well-framed request with bad
// content (no space in a socketmap request, a bad %XX escape, a command
// other than "get") is kBadRequest: answered with an error, the connection
// goes on.  Neither ever reads past `input` or allocates more than the key.
#ifndef MCTABLE_DAEMON_LOOKUP_PROTOCOL_H_
#define MCTABLE_DAEMON_LOOKUP_PROTOCOL_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "mctable/lookup_result.h"

namespace mctable {

// Postfix's socketmap client refuses replies over 100,000 bytes; the same
// bound applies to requests here.
constexpr size_t kSocketmapLimit = 100000;
// Postfix's tcp_table client refuses reply lines of 4096 bytes or more
// (newline included).
constexpr size_t kTcpReplyLimit = 4096;

enum class ParseStatus {
  kNeedMore,      // no complete request yet: read more (nothing consumed)
  kRequest,       // one request parsed; *consumed bytes used
  kBadRequest,    // one request consumed, but unusable: answer *error
  kFramingError,  // the stream is broken: answer *error and close
};

struct ParsedRequest {
  std::string map_name;  // socketmap only
  std::string key;       // decoded
  size_t consumed = 0;   // bytes of input the request took
  std::string error;     // for kBadRequest and kFramingError
};

// Parses the socketmap request at the front of `input`; payloads over
// `limit` bytes are framing errors as soon as their length is read.
ParseStatus ParseSocketmapRequest(std::string_view input, size_t limit, ParsedRequest* request);

// Parses the tcp_table request line at the front of `input`; lines over
// `limit` bytes (newline excluded) are framing errors.
ParseStatus ParseTcpRequest(std::string_view input, size_t limit, ParsedRequest* request);

// The reply to one lookup, ready to send: an answer that does not fit the
// protocol (a value over the reply limit) becomes an error reply naming the
// limit; a table error becomes TEMP (TIMEOUT when the table timed out) or
// 400, with its message made printable.
std::string SocketmapReply(const LookupResult& result);
std::string TcpReply(const LookupResult& result);
// Replies for a request refused before any table saw it: PERM / 400.
std::string SocketmapErrorReply(std::string_view kind, std::string_view reason);
std::string TcpErrorReply(std::string_view reason);

// "LEN:PAYLOAD,".
std::string EncodeNetstring(std::string_view payload);

// tcp_table's %XX encoding of '%', whitespace and non-printing bytes.
std::string TcpEncode(std::string_view raw);
// Decodes %XX escapes; false on a bad escape or an unencoded whitespace or
// control byte (Postfix's client always encodes those).
bool TcpDecode(std::string_view encoded, std::string* raw);

}  // namespace mctable

#endif  // MCTABLE_DAEMON_LOOKUP_PROTOCOL_H_
