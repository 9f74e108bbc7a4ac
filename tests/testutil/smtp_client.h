// SMTP by hand for the end-to-end tests with a private Postfix: the
// master.cf services of an instance that receives mail on a loopback port
// and "delivers" it with discard(8), one reply (all its lines) and one
// command with its reply, over a LineClient.  No failure is hidden: EOF
// and timeouts come back in the text.
#ifndef MCTABLE_TESTUTIL_SMTP_CLIENT_H_
#define MCTABLE_TESTUTIL_SMTP_CLIENT_H_

#include <string>
#include <vector>

#include "testutil/mctabled_process.h"

namespace mctable::testutil {

// master.cf lines: smtpd on 127.0.0.1:PORT and the services behind it,
// without chroot; add others (verify, ...) as a test needs them.
inline std::vector<std::string> SmtpReceivingServices(int smtp_port) {
  return {
      "127.0.0.1:" + std::to_string(smtp_port) + " inet n - n - - smtpd",
      "cleanup   unix n - n - 0 cleanup",
      "qmgr      unix n - n 300 1 qmgr",
      "rewrite   unix - - n - - trivial-rewrite",
      "bounce    unix - - n - 0 bounce",
      "defer     unix - - n - 0 bounce",
      "trace     unix - - n - 0 bounce",
      "discard   unix - - n - - discard",
      "error     unix - - n - - error",
      "retry     unix - - n - - error",
      "anvil     unix - - n - 1 anvil",
      "scache    unix - - n - 1 scache",
  };
}

// One SMTP reply, its lines joined with "\n"; ends with "<eof>" or
// "<timeout>" when the reply did not come whole within 30 s.
inline std::string SmtpReply(LineClient* smtp) {
  std::string reply;
  for (;;) {
    std::string line = smtp->ReadLine(30);
    if (line == "<eof>" || line == "<timeout>") return reply + line;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    reply += line + "\n";
    if (line.size() < 4 || line[3] != '-') return reply;
  }
}

inline std::string SmtpCommand(LineClient* smtp, const std::string& line) {
  if (!smtp->Send(line + "\r\n")) return "<send failed>";
  return SmtpReply(smtp);
}

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_SMTP_CLIENT_H_
