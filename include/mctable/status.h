// Status: the result of every table operation, in the manner of LevelDB.
//
// A Status is either OK, NotFound (the key or entry is absent: not an
// error), or an error with a message.  The error classes follow Postfix's
// dictionary errors so that callers can decide what to do:
//   TempError    a failure that may go away (server down, timeout, I/O);
//                Postfix's DICT_ERR_RETRY.
//   ConfigError  the table cannot work as configured (bad parameter, missing
//                file, unknown type); Postfix's DICT_ERR_CONFIG or msg_fatal.
//   NotSupported the table type does not offer the operation.
//   Refused      the operation is not allowed (read-only table, security).
// The message is complete and ready to print after "fatal: " or
// "warning: "; it names the table or file concerned.
#ifndef MCTABLE_STATUS_H_
#define MCTABLE_STATUS_H_

#include <string>
#include <string_view>
#include <utility>

#include "mctable/export.h"

namespace mctable {

class [[nodiscard]] MCTABLE_EXPORT Status {
 public:
  enum class Code { kOk, kNotFound, kTempError, kConfigError, kNotSupported, kRefused };

  Status() = default;
  static Status OK() { return Status(); }
  static Status NotFound(std::string msg = {}) { return Status(Code::kNotFound, std::move(msg)); }
  static Status TempError(std::string msg) { return Status(Code::kTempError, std::move(msg)); }
  static Status ConfigError(std::string msg) { return Status(Code::kConfigError, std::move(msg)); }
  static Status NotSupported(std::string msg) { return Status(Code::kNotSupported, std::move(msg)); }
  static Status Refused(std::string msg) { return Status(Code::kRefused, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  // True for every error class, false for OK and NotFound.
  bool IsError() const { return code_ != Code::kOk && code_ != Code::kNotFound; }
  bool IsTempError() const { return code_ == Code::kTempError; }
  bool IsConfigError() const { return code_ == Code::kConfigError; }
  bool IsNotSupported() const { return code_ == Code::kNotSupported; }
  bool IsRefused() const { return code_ == Code::kRefused; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "OK", "not found", or the message; for tests and logs.
  std::string ToString() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace mctable

#endif  // MCTABLE_STATUS_H_
