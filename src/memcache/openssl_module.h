// The OpenSSL parts of the memcache client as the library sees them:
// key_digest (key_digest.h), signed values (value_signing.h) and TLS
// (tls_context.h, tls_transport.h) live in the module mctable-openssl.so
// (common/module_loader.h), loaded when the first table that uses one of
// them is opened.  A program that never does (a table build, a plain
// memcache lookup) never maps libcrypto and libssl.
//
// Each function is the one of the same name in the module; it fails as
// that one does, or with a ConfigError when the module cannot be loaded
// (the caller adds the table's name).  NewTlsTransport is only called with
// a context from NewTlsContext, so the module is loaded by then.
#ifndef MCTABLE_MEMCACHE_OPENSSL_MODULE_H_
#define MCTABLE_MEMCACHE_OPENSSL_MODULE_H_

#include <memory>
#include <string>
#include <string_view>

#include "mctable/status.h"
#include "memcache/connection_security.h"
#include "memcache/key_digest.h"
#include "memcache/transport.h"
#include "memcache/value_signing.h"

namespace mctable {

class TlsContext;

namespace openssl_module {

Status NewKeyDigest(std::string_view algorithm, std::string_view table_name, std::unique_ptr<KeyDigest>* out);
Status NewValueSignerFromKeyFile(const std::string& path, std::unique_ptr<ValueSigner>* out);
Status NewTlsContext(const TlsOptions& options, std::string_view table_name, std::shared_ptr<TlsContext>* out);
std::unique_ptr<Transport> NewTlsTransport(int fd, std::string_view host, std::shared_ptr<const TlsContext> context,
                                           std::string* error);

// The module's entry points (openssl_module_entries.cc) and their types.
using NewKeyDigestEntry = void (*)(std::string_view algorithm, std::string_view table_name,
                                   std::unique_ptr<KeyDigest>* out, Status* status);
using NewValueSignerEntry = void (*)(const std::string& path, std::unique_ptr<ValueSigner>* out, Status* status);
using NewTlsContextEntry = void (*)(const TlsOptions& options, std::string_view table_name,
                                    std::shared_ptr<TlsContext>* out, Status* status);
using NewTlsTransportEntry = void (*)(int fd, std::string_view host, std::shared_ptr<const TlsContext> context,
                                      std::string* error, std::unique_ptr<Transport>* out);
#define MCTABLE_OPENSSL_NEW_KEY_DIGEST "mctable_openssl_new_key_digest"
#define MCTABLE_OPENSSL_NEW_VALUE_SIGNER "mctable_openssl_new_value_signer"
#define MCTABLE_OPENSSL_NEW_TLS_CONTEXT "mctable_openssl_new_tls_context"
#define MCTABLE_OPENSSL_NEW_TLS_TRANSPORT "mctable_openssl_new_tls_transport"

}  // namespace openssl_module
}  // namespace mctable

#endif  // MCTABLE_MEMCACHE_OPENSSL_MODULE_H_
