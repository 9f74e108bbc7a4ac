// The digest `openssl dgst` computes, as the reference for key_digest: the
// tests compare what memcached holds with what the openssl command says.
#ifndef MCTABLE_TESTUTIL_OPENSSL_DIGEST_H_
#define MCTABLE_TESTUTIL_OPENSSL_DIGEST_H_

#include <gtest/gtest.h>

#include <string>

#include "testutil/testutil.h"

namespace mctable::testutil {

// The lower-case hex digest of `data` by `openssl dgst -ALGORITHM`; a
// failed command is a test failure (and "" is returned).
inline std::string OpensslDigest(const std::string& algorithm, const std::string& data) {
  CommandResult r = RunCommand({OpensslBinary(), "dgst", "-" + algorithm, "-r"}, data, 10);
  EXPECT_EQ(r.exit_status, 0) << r.err;
  return r.exit_status == 0 ? r.out.substr(0, r.out.find(' ')) : std::string();
}

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_OPENSSL_DIGEST_H_
