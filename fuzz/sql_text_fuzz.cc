// libFuzzer target: the SQL query-template analysis (table/sql/sql_text.h)
// and the query and result expansion a SQL table makes of a template.
// Input: the template, a NUL byte, then a key.
//
// Checks: no crash; a template joined into multi-statement requests has no
// ";" or comment marker outside its literals and a key quoted into it never
// leaves its literal (the expanded query, with quotes doubled by the test
// quoter, keeps the template's statement count); a parameterized
// statement has no substitution left and one parameter per escape; a
// template sent as UNION ALL branches is also multi-statement safe, starts
// with SELECT right before its select list, and its branch built as the
// driver builds it ("(SELECT 7," + rest + ")") keeps its parentheses
// balanced outside literals with the key inside its literal; the result
// expansion is deterministic.
#include <cstddef>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/key_format.h"
#include "table/sql/sql_text.h"

namespace {

// Aborts, naming the check that failed (libFuzzer keeps the input).
void CheckAt(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "sql_text_fuzz: check failed: %s\n", what);
  std::abort();
}
#define Check(condition) CheckAt((condition), #condition)

// Quotes as SQL's standard string escaping does: "'" doubled.
class DoublingQuoter : public mctable::ValueQuoter {
 public:
  bool Append(std::string_view value, std::string* out) const override {
    for (char c : value) {
      if (c == '\'') out->push_back('\'');
      out->push_back(c);
    }
    return true;
  }
};

// Characters outside single-quoted literals (quotes doubled inside), each
// literal read as a blank: "-'x'-" is no "--" to the server.
std::string OutsideLiterals(std::string_view sql) {
  std::string outside;
  bool in_literal = false;
  for (char c : sql) {
    if (c == '\'') {
      in_literal = !in_literal;
      if (in_literal) outside.push_back(' ');
      continue;
    }
    if (!in_literal) outside.push_back(c);
  }
  return outside;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(bytes), size);
  size_t nul = input.find('\0');
  std::string_view query_template = input.substr(0, nul);
  std::string_view key = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

  mctable::KeyFormat query;
  bool parsed = mctable::KeyFormat::Parse(query_template, "/fuzz/t.cf", &query).ok();

  if (mctable::IsMultiStatementSafe(query_template)) {
    Check(parsed);
    std::string expanded;
    DoublingQuoter quoter;
    if (key.find('\\') == std::string_view::npos && query.Expand(key, &quoter, &expanded)) {
      std::string outside = OutsideLiterals(expanded);
      Check(outside.find(';') == std::string::npos);
      Check(outside.find('#') == std::string::npos);
      Check(outside.find("--") == std::string::npos);
    }
  }

  size_t select_list = 0;
  if (mctable::IsUnionBatchSafe(query_template, &select_list)) {
    Check(parsed);
    Check(mctable::IsMultiStatementSafe(query_template));
    Check(select_list >= 6 && select_list <= query_template.size());
    std::string_view keyword = query_template.substr(select_list - 6, 6);
    for (size_t i = 0; i < 6; ++i) Check(std::toupper(static_cast<unsigned char>(keyword[i])) == "SELECT"[i]);
    for (size_t i = 0; i + 6 < select_list; ++i) Check(std::isspace(static_cast<unsigned char>(query_template[i])));
    std::string expanded;
    DoublingQuoter quoter;
    if (key.find('\\') == std::string_view::npos && query.Expand(key, &quoter, &expanded)) {
      Check(expanded.compare(0, select_list, query_template.substr(0, select_list)) == 0);
      std::string branch = "(SELECT 7," + expanded.substr(select_list) + ")";
      // The branch's own parentheses close only at its end.
      std::string outside = OutsideLiterals(branch);
      int depth = 0;
      for (size_t i = 0; i < outside.size(); ++i) {
        if (outside[i] == '(') ++depth;
        if (outside[i] == ')') --depth;
        Check(depth >= (i + 1 < outside.size() ? 1 : 0));
        Check(outside[i] != ';');
      }
      Check(depth == 0);
    }
  }

  std::string statement, escapes;
  if (mctable::ParameterizeQuery(query_template, &statement, &escapes)) {
    Check(parsed);
    Check(!escapes.empty() && escapes.size() <= 15);
    for (size_t n = 1; n <= escapes.size(); ++n)
      Check(statement.find("$" + std::to_string(n)) != std::string::npos);
    Check(statement.find('\'') == std::string::npos || query_template.find('\'') != std::string_view::npos);
  }
  (void)mctable::IsSingleStatement(query_template);
  (void)mctable::OneLine(query_template);

  mctable::KeyFormat result;
  if (mctable::KeyFormat::Parse(query_template, "/fuzz/t.cf", mctable::KeyFormat::Kind::kResult, &result).ok()) {
    std::string once, twice = "junk";
    bool fits = result.KeyFits(key);
    bool a = result.ExpandResult(key, key, &once);
    bool b = result.ExpandResult(key, key, &twice);
    Check(a == b && (!a || once == twice));
    if (a) Check(fits);
  }
  return 0;
}
