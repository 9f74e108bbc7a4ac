// Transport: the one place where a memcached connection's bytes are sent
// and received, once its socket has connected.
//
// Connection (connection.h) owns the socket, the deadlines and the reply
// buffer; it moves bytes only through a Transport.  The plain transport
// is send()/recv() on the non-blocking socket.  This is the seam for TLS:
// a TLS transport runs its handshake in Handshake(), encrypts in Send(),
// decrypts in Receive(), and says through kWantRead / kWantWrite which
// readiness it needs (a TLS write can need the socket readable and a read
// writable); Connection polls for exactly that.  Data it has decrypted
// but not yet returned is announced by HasPendingInput(), so that
// Connection reads it without waiting for the socket.  Session set-up
// that is memcached protocol (ASCII authentication with a "set" of the
// credentials before the first command) belongs to the client, not here:
// it is an exchange like any other, run when Connection::Connect is done.
//
// Every call is non-blocking and returns at once; a Transport never
// closes the socket (Connection does) and never logs.
#ifndef MCTABLE_MEMCACHE_TRANSPORT_H_
#define MCTABLE_MEMCACHE_TRANSPORT_H_

#include <cstddef>
#include <memory>
#include <string>

namespace mctable {

class Transport {
 public:
  enum class Io {
    kDone,       // progress: *done bytes moved (> 0), or the handshake finished
    kWantRead,   // nothing moved; retry when the socket is readable
    kWantWrite,  // nothing moved; retry when the socket is writable
    kEof,        // Receive: the server closed the connection
    kError,      // *error says why (e.g. strerror(errno)); the connection is dead
  };
  virtual ~Transport() = default;

  // Completes the session set-up after the socket connected.
  virtual Io Handshake(std::string* error) = 0;
  // Sends up to `size` bytes of `data`.
  virtual Io Send(const char* data, size_t size, size_t* done, std::string* error) = 0;
  // Receives up to `size` bytes into `buffer`.
  virtual Io Receive(char* buffer, size_t size, size_t* done, std::string* error) = 0;
  // Whether Receive has bytes to return without the socket being readable.
  virtual bool HasPendingInput() const { return false; }
};

// send()/recv() on a connected non-blocking stream socket (not owned).
std::unique_ptr<Transport> NewPlainTransport(int fd);

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_TRANSPORT_H_
