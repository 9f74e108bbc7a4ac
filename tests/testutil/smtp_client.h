// SMTP by hand for the end-to-end tests with a private Postfix: one
// reply (all its lines) and one command with its reply, over a LineClient.
// No failure is hidden: EOF and timeouts come back in the text.
#ifndef MCTABLE_TESTUTIL_SMTP_CLIENT_H_
#define MCTABLE_TESTUTIL_SMTP_CLIENT_H_

#include <string>

#include "testutil/mctabled_process.h"

namespace mctable::testutil {

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
