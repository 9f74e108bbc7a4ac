// Listening sockets for mctabled: unix-domain (a stale socket file is
// replaced, a live one is refused) and TCP (IPv4 or IPv6, SO_REUSEADDR).
// Sockets are non-blocking and close-on-exec.
//
// Failure: a Status naming the listener ("socketmap:unix:/run/x: bind:
// Permission denied"); nothing is left open or created on failure.
#ifndef MCTABLE_DAEMON_LISTENER_H_
#define MCTABLE_DAEMON_LISTENER_H_

#include "daemon/daemon_config.h"
#include "mctable/status.h"

namespace mctable {

// Opens and listens; *fd is set on success.  Unix sockets get `mode`.
Status OpenListener(const ListenerSpec& spec, unsigned mode, int* fd);

}  // namespace mctable

#endif  // MCTABLE_DAEMON_LISTENER_H_
