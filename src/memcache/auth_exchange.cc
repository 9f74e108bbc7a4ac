// AuthRequest and AuthReply: the one exchange of memcached's ASCII
// authentication.  A reply line too long or not STORED is a rejection.
#include "memcache/auth_exchange.h"

#include "mctable/log.h"
#include "memcache/protocol.h"

namespace mctable {

std::string AuthRequest(const AuthCredentials& credentials) {
  const size_t length = credentials.user.size() + 1 + credentials.password.size();
  std::string request;
  request.reserve(40 + length);
  request.append("set mctable_auth 0 -1 ").append(std::to_string(length)).append("\r\n");
  request.append(credentials.user).append(" ").append(credentials.password).append("\r\n");
  return request;
}

ReplyConsumer::Progress AuthReply::Consume(std::string_view input, size_t* consumed) {
  *consumed = 0;
  std::string_view line;
  LineStatus status = ReadReplyLine(input, line_size_limit_, &line, consumed);
  if (status == LineStatus::kNeedMore) return Progress::kNeedMore;
  if (status == LineStatus::kLine && line == "STORED") return Progress::kDone;
  rejected_ = true;
  error_ = "authentication failed for memcache server " + server_ + " as " + user_ + " (" +
           (status == LineStatus::kTooLong ? std::string("reply line too long")
                                           : PrintableBytes(line.substr(0, 100))) +
           ")";
  return Progress::kError;
}

}  // namespace mctable
