// LookupResult: the outcome of one lookup in a batch: a Status (OK when
// found, NotFound, or an error) and the value when found.
#ifndef MCTABLE_LOOKUP_RESULT_H_
#define MCTABLE_LOOKUP_RESULT_H_

#include <string>

#include "mctable/status.h"

namespace mctable {

struct [[nodiscard]] LookupResult {
  Status status;      // OK (found), NotFound, or an error
  std::string value;  // set when status.ok()
};

}  // namespace mctable

#endif  // MCTABLE_LOOKUP_RESULT_H_
