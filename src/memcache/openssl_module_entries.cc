// mctable-openssl.so's entry points (openssl_module.h): key_digest, value
// signing and TLS behind the names the library looks up.  Built only into
// the module, never into the library.
#include <type_traits>
#include <utility>

#include "common/module_entry.h"
#include "memcache/openssl_module.h"
#include "memcache/tls_context.h"
#include "memcache/tls_transport.h"

MCTABLE_DEFINE_MODULE_VERSION

MCTABLE_MODULE_ENTRY void mctable_openssl_new_key_digest(std::string_view algorithm, std::string_view table_name,
                                                         std::unique_ptr<mctable::KeyDigest>* out,
                                                         mctable::Status* status) {
  *status = mctable::KeyDigest::Create(algorithm, table_name, out);
}

MCTABLE_MODULE_ENTRY void mctable_openssl_new_value_signer(const std::string& path,
                                                           std::unique_ptr<mctable::ValueSigner>* out,
                                                           mctable::Status* status) {
  *status = mctable::ValueSigner::FromKeyFile(path, out);
}

MCTABLE_MODULE_ENTRY void mctable_openssl_new_tls_context(const mctable::TlsOptions& options,
                                                          std::string_view table_name,
                                                          std::shared_ptr<mctable::TlsContext>* out,
                                                          mctable::Status* status) {
  *status = mctable::TlsContext::Create(options, table_name, out);
}

MCTABLE_MODULE_ENTRY void mctable_openssl_new_tls_transport(int fd, std::string_view host,
                                                            std::shared_ptr<const mctable::TlsContext> context,
                                                            std::string* error,
                                                            std::unique_ptr<mctable::Transport>* out) {
  *out = mctable::NewTlsTransport(fd, host, std::move(context), error);
}

namespace mctable::openssl_module {
static_assert(std::is_same_v<decltype(&mctable_openssl_new_key_digest), NewKeyDigestEntry>);
static_assert(std::is_same_v<decltype(&mctable_openssl_new_value_signer), NewValueSignerEntry>);
static_assert(std::is_same_v<decltype(&mctable_openssl_new_tls_context), NewTlsContextEntry>);
static_assert(std::is_same_v<decltype(&mctable_openssl_new_tls_transport), NewTlsTransportEntry>);
}  // namespace mctable::openssl_module
