// SMTP replies and commands over a LineClient; see smtp_dialogue.h.
#include "testutil/smtp_dialogue.h"

namespace mctable::testutil {

std::string SmtpReply(LineClient* smtp, double timeout_seconds) {
  std::string reply;
  for (;;) {
    std::string line = smtp->ReadLine(timeout_seconds);
    if (line == "<eof>" || line == "<timeout>") return reply + line;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    reply += line + "\n";
    if (line.size() < 4 || line[3] != '-') return reply;
  }
}

std::string SmtpCommand(LineClient* smtp, const std::string& line) {
  if (!smtp->Send(line + "\r\n")) return "<send failed>";
  return SmtpReply(smtp);
}

}  // namespace mctable::testutil
