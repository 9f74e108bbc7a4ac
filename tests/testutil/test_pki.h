// TestPki: a throw-away certificate authority and certificates for TLS
// tests, made with the openssl command line in a TempDir (EC P-256 keys,
// fast to generate).  Nothing here trusts or installs anything system-wide.
//
// Failures (openssl missing or failing) return false with the command's
// stderr in error(); tests then skip with that reason.
#ifndef MCTABLE_TESTUTIL_TEST_PKI_H_
#define MCTABLE_TESTUTIL_TEST_PKI_H_

#include <string>
#include <vector>

#include "testutil/testutil.h"

namespace mctable::testutil {

class TestPki {
 public:
  struct Issued {
    std::string cert;  // PEM certificate path
    std::string key;   // PEM private key path (mode 0600)
  };
  struct Request {
    std::string common_name = "localhost";
    // subjectAltName entries, e.g. {"DNS:localhost", "IP:127.0.0.1"}.
    std::vector<std::string> alt_names = {"DNS:localhost", "IP:127.0.0.1"};
    bool client = false;   // extendedKeyUsage clientAuth instead of serverAuth
    bool expired = false;  // valid for one day in 2020
  };

  // A new CA named `name` (its certificate is ca_file()).
  explicit TestPki(std::string name = "mctable test CA");
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& ca_file() const { return ca_cert_; }

  // Issues a certificate signed by this CA; false with error() on failure.
  bool Issue(const std::string& label, const Request& request, Issued* out);

 private:
  bool Run(const std::vector<std::string>& args);

  TempDir dir_;
  std::string openssl_, ca_cert_, ca_key_, config_;
  std::string error_;
};

// memcached's options for TLS with `server`'s certificate and key; with
// `client_ca_file`, it also demands a client certificate issued by that CA.
std::vector<std::string> MemcachedTlsArgs(const TestPki::Issued& server,
                                          const std::string& client_ca_file = "");

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_TEST_PKI_H_
