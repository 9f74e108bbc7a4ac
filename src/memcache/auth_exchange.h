// memcached's ASCII authentication (memcached -Y FILE, FILE holding
// "user:password" lines): on a new connection, before any other command,
// the client sends a "set" whose data is "USER PASSWORD"; memcached
// answers STORED and admits the connection, or "CLIENT_ERROR
// authentication failure" (and refuses every later command with
// "CLIENT_ERROR unauthenticated").  The key is ignored by memcached.
//
// AuthRequest builds that command; AuthReply reads the answer.  The
// request holds the password: callers must never log it and should wipe it.
// Guarantees: a reply other than STORED is a rejection whose error names
// the server and the user, never the password.
#ifndef MCTABLE_MEMCACHE_AUTH_EXCHANGE_H_
#define MCTABLE_MEMCACHE_AUTH_EXCHANGE_H_

#include <string>
#include <string_view>

#include "memcache/connection.h"
#include "memcache/connection_security.h"

namespace mctable {

// "set mctable_auth 0 -1 LEN\r\nUSER PASSWORD\r\n".  The negative expiry:
// a server that does not ask for authentication (no -Y) stores the item
// already expired, so the password is not left readable in the cache.
std::string AuthRequest(const AuthCredentials& credentials);

class AuthReply : public ReplyConsumer {
 public:
  // `server` ("127.0.0.1:11211") and `user` are for the error message.
  AuthReply(std::string server, std::string user, size_t line_size_limit)
      : server_(std::move(server)), user_(std::move(user)), line_size_limit_(line_size_limit) {}

  // Called before each exchange.
  void Reset() {
    rejected_ = false;
    error_.clear();
  }
  Progress Consume(std::string_view input, size_t* consumed) override;
  std::string error() const override { return error_; }
  // The server answered, and not with STORED: the credentials were refused.
  bool rejected() const { return rejected_; }

 private:
  std::string server_, user_;
  size_t line_size_limit_;
  bool rejected_ = false;
  std::string error_;
};

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_AUTH_EXCHANGE_H_
