// LdapWriteBuffer: a liblber Sockbuf layer that holds what libldap writes to
// a connection until Flush, so that a burst of pipelined searches leaves in
// one write (one segment, one wakeup of slapd) instead of one per search.
//
// Contract
// - Install adds the layer to an open connection's Sockbuf, above its
//   provider (and read-ahead) layers; reads and controls pass through.  The
//   layer is freed with the Sockbuf (ldap_unbind_ext), and what it still
//   holds is then written, best effort, before the socket closes.
// - Everything libldap writes is held: whoever waits for an answer
//   (ldap_result) must Flush first, or waits for nothing.
// - Flush writes all that is held, waiting for the socket at most
//   `timeout_seconds`; false when the connection failed (errno set), and
//   the held bytes are then dropped.
// - Not for TLS connections (the TLS layer would sit above it and encrypt
//   record by record anyway) nor for a handle that chases referrals (libldap
//   then sends requests inside ldap_result, where no Flush can reach).
#ifndef MCTABLE_TABLE_LDAP_LDAP_WRITE_BUFFER_H_
#define MCTABLE_TABLE_LDAP_LDAP_WRITE_BUFFER_H_

#include <lber.h>

#include <string>

namespace mctable {

class LdapWriteBuffer {
 public:
  // Adds a buffer to `sb`; null if liblber refused the layer.  The buffer
  // belongs to the Sockbuf: do not use it once the handle is unbound.
  static LdapWriteBuffer* Install(Sockbuf* sb);

  bool Flush(int timeout_seconds);
  bool empty() const { return held_.empty(); }

 private:
  friend struct LdapWriteBufferLayer;
  LdapWriteBuffer() = default;

  Sockbuf_IO_Desc* below_ = nullptr;  // this layer's descriptor: writes go to its next
  std::string held_;
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_LDAP_LDAP_WRITE_BUFFER_H_
