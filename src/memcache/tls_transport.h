// NewTlsTransport: the Transport (transport.h) of a connection with TLS on
// (tls = yes, an inet: server): the handshake with the table's TlsContext,
// then every byte encrypted.
//
// Contract: Handshake() verifies the server as the TlsContext says (chain,
// name, minimum version) and fails with one clear reason; Send and Receive
// never raise SIGPIPE and never block.  The transport keeps the context
// alive and frees its SSL session when destroyed; it never closes the
// socket (Connection does).
#ifndef MCTABLE_MEMCACHE_TLS_TRANSPORT_H_
#define MCTABLE_MEMCACHE_TLS_TRANSPORT_H_

#include <memory>
#include <string>
#include <string_view>

#include "memcache/tls_context.h"
#include "memcache/transport.h"

namespace mctable {

// A TLS session on the connected socket `fd` to the server known as `host`
// (tls_server_name, when set, is the name checked instead); nullptr with
// *error set if OpenSSL cannot make one.
std::unique_ptr<Transport> NewTlsTransport(int fd, std::string_view host,
                                           std::shared_ptr<const TlsContext> context,
                                           std::string* error);

}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_TLS_TRANSPORT_H_
