// SMTP by hand over a LineClient, for the tests that drive a private
// Postfix's smtpd or postscreen: one reply at a time, all its lines.
//
// How it fails: a reply cut short by EOF or the timeout ends with
// "<eof>" or "<timeout>" (so a test's expectation on the code fails and
// shows what came); a command that cannot be sent gives "<send failed>".
#ifndef MCTABLE_TESTUTIL_SMTP_DIALOGUE_H_
#define MCTABLE_TESTUTIL_SMTP_DIALOGUE_H_

#include <string>
#include <vector>

#include "testutil/mctabled_process.h"

namespace mctable::testutil {

// master.cf lines of the services behind a private instance's smtpd or
// postscreen that "deliver" with discard(8), without chroot; a test adds
// its listener (and verify, ...) as it needs them.
std::vector<std::string> MailDeliveryServices();

// The same, with smtpd listening on 127.0.0.1:smtp_port.
std::vector<std::string> SmtpReceivingServices(int smtp_port);

// One SMTP reply: its lines, each with "\n", up to the one without "-"
// after the code.
std::string SmtpReply(LineClient* smtp, double timeout_seconds = 30);

// Sends `line` with CRLF and returns the reply.
std::string SmtpCommand(LineClient* smtp, const std::string& line);

// A client that passes postscreen's pregreet test: it connects to
// 127.0.0.1:port, waits through the greeting for its last line (smtpd's
// "220 " once postscreen handed the client over), says QUIT and returns
// the greeting ("<no connection>" if it could not connect).
std::string GreetAndQuit(int port);

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_SMTP_DIALOGUE_H_
