// Postfix's main.cf parameter expansion (mac_expand with recursion):
// $name, ${name}, $(name), $$, ${name?text}, ${name:text},
// ${name?{a}:{b}} and ${{a} == {b}?...}, with undefined names expanding to
// nothing.  Only the parameters passed in are known.
//
// How it fails: the result is empty on success, else Postfix's warning text
// ("empty macro name: \"x$\"", "unreasonable macro call nesting: ...").
// Unlike Postfix, a result is bounded (1 MiB): "a = $b$b, b = $c$c, ..."
// doubles per level, and is stopped before its memory is spent, with
// "expansion is longer than 1048576 bytes ...".
#ifndef MCTABLE_CONFIG_MACRO_EXPANDER_H_
#define MCTABLE_CONFIG_MACRO_EXPANDER_H_

#include <map>
#include <string>
#include <string_view>

namespace mctable {

using MainCfParams = std::map<std::string, std::string, std::less<>>;

// Expands `text` with `params` into *out; returns "" or the error.
std::string ExpandMainCfValue(std::string_view text, const MainCfParams& params, std::string* out);

}  // namespace mctable

#endif  // MCTABLE_CONFIG_MACRO_EXPANDER_H_
