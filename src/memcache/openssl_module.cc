// The library's side of mctable-openssl.so; see openssl_module.h.
#include "memcache/openssl_module.h"

#include "common/module_loader.h"

namespace mctable::openssl_module {
namespace {

template <typename Entry>
Status Find(const char* name, Entry* entry) {
  void* address = nullptr;
  Status s = LoadModuleEntry("openssl", name, &address);
  *entry = reinterpret_cast<Entry>(address);
  return s;
}

}  // namespace

Status NewKeyDigest(std::string_view algorithm, std::string_view table_name, std::unique_ptr<KeyDigest>* out) {
  NewKeyDigestEntry entry = nullptr;
  Status s = Find(MCTABLE_OPENSSL_NEW_KEY_DIGEST, &entry);
  if (!s.ok()) return Status::ConfigError(std::string(table_name) + ": key_digest: " + s.message());
  entry(algorithm, table_name, out, &s);
  return s;
}

Status NewValueSignerFromKeyFile(const std::string& path, std::unique_ptr<ValueSigner>* out) {
  NewValueSignerEntry entry = nullptr;
  Status s = Find(MCTABLE_OPENSSL_NEW_VALUE_SIGNER, &entry);
  if (s.ok()) entry(path, out, &s);
  return s;
}

Status NewTlsContext(const TlsOptions& options, std::string_view table_name, std::shared_ptr<TlsContext>* out) {
  NewTlsContextEntry entry = nullptr;
  Status s = Find(MCTABLE_OPENSSL_NEW_TLS_CONTEXT, &entry);
  if (!s.ok()) return Status::ConfigError(std::string(table_name) + ": tls: " + s.message());
  entry(options, table_name, out, &s);
  return s;
}

std::unique_ptr<Transport> NewTlsTransport(int fd, std::string_view host, std::shared_ptr<const TlsContext> context,
                                           std::string* error) {
  NewTlsTransportEntry entry = nullptr;
  Status s = Find(MCTABLE_OPENSSL_NEW_TLS_TRANSPORT, &entry);
  if (!s.ok()) {
    *error = s.message();
    return nullptr;
  }
  std::unique_ptr<Transport> transport;
  entry(fd, host, std::move(context), error, &transport);
  return transport;
}

}  // namespace mctable::openssl_module
