// Postfix's brace syntax helpers (balpar, extpar, mystrtokq, split_nameval)
// as used by inline:, static: and the domain match list.
//
// All functions are pure: they return an error text (Postfix's wording)
// or an empty string on success, and never throw.
#ifndef MCTABLE_COMMON_BRACE_SYNTAX_H_
#define MCTABLE_COMMON_BRACE_SYNTAX_H_

#include <string>
#include <string_view>
#include <vector>

namespace mctable {

// Length of the balanced "{...}" group that starts text, or 0 if text does
// not start with '{' or the group is not closed.
size_t BalancedBraceLength(std::string_view text);

// text must start with '{'.  Removes the braces and the whitespace just
// inside them into *inner.  Errors: "missing '}' in \"TEXT\"",
// "syntax error after '}' in \"TEXT\"".
std::string StripBraces(std::string_view text, std::string* inner);

// The next token of `text` from *pos, separated by commas and whitespace
// (", \t\r\n") outside braces (mystrtokq): separators inside {} belong
// to the token, and an unbalanced "{" runs to the end.  *pos moves past the
// token; empty when no token is left.
std::string_view NextTokenOutsideBraces(std::string_view text, size_t* pos);

// All the tokens of `text`, as NextTokenOutsideBraces finds them.
std::vector<std::string> SplitOutsideBraces(std::string_view text);

// "name = value": name ends at whitespace or '='; value trimmed; value may be
// empty.  Errors: "missing attribute name", "missing '=' after attribute name".
std::string SplitNameValue(std::string_view text, std::string* name, std::string* value);

}  // namespace mctable

#endif  // MCTABLE_COMMON_BRACE_SYNTAX_H_
