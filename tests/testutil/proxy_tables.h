// Tables a private Postfix instance (postfix_instance.h) serves through
// proxymap, for the proxy table tests: the main.cf lines that list them in
// proxy_read_maps / proxy_write_maps, and building one with Debian's
// postmap so that its files belong to the postfix user (proxywrite must be
// able to update them).
#ifndef MCTABLE_TESTUTIL_PROXY_TABLES_H_
#define MCTABLE_TESTUTIL_PROXY_TABLES_H_

#include <string>
#include <vector>

#include "testutil/postfix_instance.h"

namespace mctable::testutil {

// proxy_read_maps = proxy:T1 proxy:T2 ..., proxy_write_maps = ... for
// tables given as "type:/path".
PostfixInstance::Parameters ProxyMapsParameters(const std::vector<std::string>& readable,
                                                const std::vector<std::string>& writable);

// Writes `source` (postmap source syntax) to PATH and runs "postmap -c
// CONFIG TYPE:PATH" as the tests' user, then gives the source and the
// table's files to the postfix user.  Returns "" or what went wrong.
std::string BuildTableForPostfix(const PostfixInstance& postfix, const std::string& type_and_path,
                                 const std::string& source);

// The files a table "type:/path" is made of (/path.db, /path.lmdb, ...).
std::vector<std::string> TableFiles(const std::string& type_and_path);

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_PROXY_TABLES_H_
