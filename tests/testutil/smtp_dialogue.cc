// SMTP replies and commands over a LineClient; see smtp_dialogue.h.
#include "testutil/smtp_dialogue.h"

namespace mctable::testutil {

std::vector<std::string> MailDeliveryServices() {
  return {"cleanup   unix n - n - 0 cleanup", "qmgr      unix n - n 300 1 qmgr",
          "rewrite   unix - - n - - trivial-rewrite", "bounce    unix - - n - 0 bounce",
          "defer     unix - - n - 0 bounce", "trace     unix - - n - 0 bounce",
          "discard   unix - - n - - discard", "error     unix - - n - - error",
          "retry     unix - - n - - error", "anvil     unix - - n - 1 anvil",
          "scache    unix - - n - 1 scache"};
}

std::vector<std::string> SmtpReceivingServices(int smtp_port) {
  std::vector<std::string> services = MailDeliveryServices();
  services.insert(services.begin(), "127.0.0.1:" + std::to_string(smtp_port) + " inet n - n - - smtpd");
  return services;
}

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

std::string GreetAndQuit(int port) {
  LineClient smtp("inet:" + std::to_string(port));
  if (!smtp.connected()) return "<no connection>";
  std::string greeting = SmtpReply(&smtp);
  SmtpCommand(&smtp, "QUIT");
  return greeting;
}

}  // namespace mctable::testutil
