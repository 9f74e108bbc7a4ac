#include "mctable/status.h"

namespace mctable {

std::string Status::ToString() const {
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      return message_.empty() ? "not found" : "not found: " + message_;
    default:
      return message_;
  }
}

}  // namespace mctable
