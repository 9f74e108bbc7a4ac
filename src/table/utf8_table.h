// Utf8CheckedTable: Postfix's dict_utf8 layer, put in front of every table
// opened with OpenOptions::utf8 (smtputf8_enable = yes).  It enforces the
// same policy: text that is not UTF-8 (common/casefold.h, IsValidUtf8) never
// reaches a table nor comes out of one.
//
// - Lookup or delete of a key that is not UTF-8: warning "TYPE:NAME:
//   non-UTF-8 key "KEY": malformed UTF-8 or invalid codepoint"; NotFound
//   (the key cannot be in the table).
// - Update with such a key or value: the same warning ("TYPE:NAME: key
//   "KEY": non-UTF-8 value "VALUE": ..." for a value); Refused, so that the
//   caller counts it as not stored.  Postfix skips it and reports success;
//   we do not report a write that did not happen.
// - A lookup whose stored value is not UTF-8: the warning, and a
//   ConfigError for that key (Postfix: DICT_ERR_CONFIG).
// Keys and values are checked as Postfix sees them: up to a NUL byte.
// Everything else is passed on: batch size, counters(), Close().
// Folding stays with the table (key_folding.h).  First/next is not checked,
// as in Postfix.  Bytes in messages are shown with PrintableBytes.
#ifndef MCTABLE_TABLE_UTF8_TABLE_H_
#define MCTABLE_TABLE_UTF8_TABLE_H_

#include <memory>

#include "mctable/table.h"

namespace mctable {

// Wraps `table`; the result has the same type and name.  Without
// log_refusals (OpenOptions::caller_logs_refusals) a refused update is not
// warned about: its Refused message is the warning, for the caller to log.
std::unique_ptr<Table> WithUtf8Checks(std::unique_ptr<Table> table, bool log_refusals = true);

}  // namespace mctable

#endif  // MCTABLE_TABLE_UTF8_TABLE_H_
