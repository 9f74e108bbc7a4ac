// TestPki: `openssl req -x509` for the CA, `openssl req` + `openssl ca` for
// each certificate (openssl ca because it alone sets arbitrary validity
// dates in OpenSSL 3.0, which an expired certificate needs).
#include "testutil/test_pki.h"

#include <sys/stat.h>

namespace mctable::testutil {

TestPki::TestPki(std::string name) : openssl_(OpensslBinary()) {
  if (openssl_.empty()) {
    error_ = "the openssl command is not installed";
    return;
  }
  ca_cert_ = dir_.path() + "/ca.pem";
  ca_key_ = dir_.path() + "/ca.key";
  dir_.WriteFile("index.txt", "");
  ::mkdir((dir_.path() + "/issued").c_str(), 0700);
  config_ = dir_.WriteFile("ca.cnf",
                           "[ca]\ndefault_ca = test_ca\n"
                           "[test_ca]\ndatabase = " +
                               dir_.path() +
                               "/index.txt\n"
                               "new_certs_dir = " +
                               dir_.path() +
                               "/issued\n"
                               "certificate = " +
                               ca_cert_ + "\nprivate_key = " + ca_key_ +
                               "\n"
                               "rand_serial = yes\ndefault_md = sha256\npolicy = any\n"
                               "unique_subject = no\ncopy_extensions = none\n"
                               "[any]\ncommonName = supplied\n");
  Run({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", ca_key_, "-out", ca_cert_, "-subj", "/CN=" + name, "-days", "2", "-addext",
       "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
}

bool TestPki::Run(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {openssl_};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = RunCommand(argv, "", 60);
  if (r.exit_status == 0) return true;
  error_ = "openssl " + args[0] + " failed (" + std::to_string(r.exit_status) + "): " + r.err;
  return false;
}

bool TestPki::Issue(const std::string& label, const Request& request, Issued* out) {
  if (!ok()) return false;
  std::string base = dir_.path() + "/" + label;
  std::string extensions = "[v3]\nbasicConstraints = CA:FALSE\n";
  extensions +=
      std::string("extendedKeyUsage = ") + (request.client ? "clientAuth" : "serverAuth") + "\n";
  if (!request.alt_names.empty()) {
    extensions += "subjectAltName = ";
    for (size_t i = 0; i < request.alt_names.size(); ++i)
      extensions += (i ? "," : "") + request.alt_names[i];
    extensions += "\n";
  }
  std::string extfile = dir_.WriteFile(label + ".ext", extensions);
  out->cert = base + ".pem";
  out->key = base + ".key";
  if (!Run({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", out->key, "-out", base + ".csr", "-subj", "/CN=" + request.common_name}))
    return false;
  ::chmod(out->key.c_str(), 0600);
  std::vector<std::string> sign = {"ca",    "-batch",      "-config", config_,   "-notext",
                                   "-in",   base + ".csr", "-out",    out->cert, "-extfile",
                                   extfile, "-extensions", "v3"};
  if (request.expired) {
    sign.insert(sign.end(), {"-startdate", "20200101000000Z", "-enddate", "20200102000000Z"});
  } else {
    sign.insert(sign.end(), {"-days", "1"});
  }
  return Run(sign);
}

std::vector<std::string> MemcachedTlsArgs(const TestPki::Issued& server,
                                          const std::string& client_ca_file) {
  std::string settings = "ssl_chain_cert=" + server.cert + ",ssl_key=" + server.key;
  // ssl_verify_mode=2: a client without a certificate is refused.
  if (!client_ca_file.empty()) settings += ",ssl_ca_cert=" + client_ca_file + ",ssl_verify_mode=2";
  return {"-Z", "-o", settings};
}

}  // namespace mctable::testutil
