// OneLine, IsSingleStatement, IsMultiStatementSafe, IsUnionBatchSafe,
// ParameterizeQuery; see sql_text.h.
#include "table/sql/sql_text.h"

#include <cctype>
#include <cstdio>
#include <initializer_list>

namespace mctable {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

bool StartsWithWordFolded(std::string_view text, std::string_view word) {
  if (text.size() < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(text[i])) != word[i]) return false;
  return text.size() == word.size() || !std::isalnum(static_cast<unsigned char>(text[word.size()]));
}

}  // namespace

std::string OneLine(std::string_view message) {
  std::string line;
  size_t i = 0;
  while (i < message.size()) {
    char c = message[i];
    if (IsBlank(c)) {
      size_t j = i;
      while (j < message.size() && IsBlank(message[j])) ++j;
      if (!line.empty() && j < message.size()) line.push_back(' ');
      i = j;
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      line.append(hex);
    } else {
      line.push_back(c);
    }
    ++i;
  }
  return line;
}

bool IsSingleStatement(std::string_view query_template) {
  size_t semicolon = query_template.find(';');
  if (semicolon == std::string_view::npos) return true;
  for (char c : query_template.substr(semicolon))
    if (c != ';' && !IsBlank(c)) return false;
  return true;
}

bool IsMultiStatementSafe(std::string_view query_template) {
  size_t start = 0;
  while (start < query_template.size() && (IsBlank(query_template[start]) || query_template[start] == '('))
    ++start;
  std::string_view body = query_template.substr(start);
  if (!StartsWithWordFolded(body, "SELECT") && !StartsWithWordFolded(body, "WITH")) return false;
  bool in_literal = false;
  for (size_t i = 0; i < query_template.size(); ++i) {
    char c = query_template[i];
    if (c == '\\') return false;  // its meaning depends on the server's sql_mode
    if (c == '\'') {
      in_literal = !in_literal;  // '' inside a literal closes and reopens it: same effect
      continue;
    }
    if (c == '%') {
      char escape = i + 1 < query_template.size() ? query_template[i + 1] : '\0';
      ++i;
      if (escape != '%' && !in_literal) return false;
      // Only the escapes a template may have (anything else fails to
      // parse anyway): then "safe" never describes an unusable template.
      if (std::string_view("%sSuUdD123456789").find(escape) == std::string_view::npos)
        return false;
      continue;
    }
    if (in_literal) continue;
    if (c == ';' || c == '#' || c == '`' || c == '"') return false;
    if ((c == '-' || c == '/') && i + 1 < query_template.size() &&
        query_template[i + 1] == (c == '-' ? '-' : '*'))
      return false;
  }
  return !in_literal;
}

namespace {

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }

bool EqualsFolded(std::string_view word, std::string_view upper) {
  if (word.size() != upper.size()) return false;
  for (size_t i = 0; i < word.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(word[i])) != upper[i]) return false;
  return true;
}

bool IsOneOfFolded(std::string_view word, std::initializer_list<std::string_view> uppers) {
  for (std::string_view upper : uppers)
    if (EqualsFolded(word, upper)) return true;
  return false;
}

}  // namespace

bool IsUnionBatchSafe(std::string_view query_template, size_t* select_list) {
  if (!IsMultiStatementSafe(query_template)) return false;
  const std::string_view t = query_template;
  size_t i = 0;
  while (i < t.size() && IsBlank(t[i])) ++i;
  if (t.size() - i < 6 || !EqualsFolded(t.substr(i, 6), "SELECT")) return false;
  i += 6;
  if (i >= t.size() || IsWordChar(t[i])) return false;
  const size_t list_start = i;
  // The select list's first token.
  size_t first = i;
  while (first < t.size() && IsBlank(t[first])) ++first;
  if (first >= t.size() || t[first] == '*') return false;
  size_t first_end = first;
  while (first_end < t.size() && IsWordChar(t[first_end])) ++first_end;
  std::string_view first_word = t.substr(first, first_end - first);
  if (IsOneOfFolded(first_word, {"ALL", "DISTINCT", "DISTINCTROW", "HIGH_PRIORITY", "STRAIGHT_JOIN"}) ||
      (first_word.size() >= 4 && EqualsFolded(first_word.substr(0, 4), "SQL_")))
    return false;

  // One pass over the rest, outside literals: parenthesis depth, keywords,
  // and where the substitutions are.  (IsMultiStatementSafe has ruled out
  // comments, other quotes and backslashes.)
  int depth = 0;
  bool in_literal = false, after_where = false, ordered = false, limited = false;
  char previous = ' ';  // the last character outside literals and blanks
  while (i < t.size()) {
    char c = t[i];
    if (c == '\'') {
      in_literal = !in_literal;
      previous = c;
      ++i;
      continue;
    }
    if (c == '%') {
      // Outside a literal only "%%" (IsMultiStatementSafe); inside, a
      // substitution unless "%%".
      if (in_literal && i + 1 < t.size() && t[i + 1] != '%' && !after_where) return false;
      i += 2;
      if (!in_literal) previous = '%';
      continue;
    }
    if (in_literal) {
      ++i;
      continue;
    }
    if (IsBlank(c)) {
      ++i;
      continue;
    }
    if (IsWordChar(c)) {
      size_t end = i;
      while (end < t.size() && IsWordChar(t[end])) ++end;
      std::string_view word = t.substr(i, end - i);
      if (previous != '.') {
        if (IsOneOfFolded(word, {"UNION", "INTERSECT", "EXCEPT", "INTO", "FOR", "LOCK", "PROCEDURE"}))
          return false;
        if (depth == 0 && EqualsFolded(word, "WHERE")) after_where = true;
        if (depth == 0 && IsOneOfFolded(word, {"ORDER", "GROUP"})) ordered = true;
        if (depth == 0 && EqualsFolded(word, "LIMIT")) limited = true;
      }
      previous = 'w';
      i = end;
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')' && --depth < 0) return false;
    previous = c;
    ++i;
  }
  if (depth != 0 || in_literal || (ordered && !limited)) return false;
  *select_list = list_start;
  return true;
}

bool ParameterizeQuery(std::string_view query_template, std::string* statement, std::string* escapes) {
  if (!IsSingleStatement(query_template)) return false;
  for (std::string_view forbidden : {"$", "\\", "--", "/*"})
    if (query_template.find(forbidden) != std::string_view::npos) return false;
  auto is_escape = [](char c) {
    return c == 's' || c == 'S' || c == 'u' || c == 'U' || c == 'd' || c == 'D' || (c >= '1' && c <= '9');
  };
  std::string out;
  std::string params;
  const std::string_view t = query_template;
  size_t i = 0;
  while (i < t.size()) {
    char c = t[i];
    if (c == '%') {
      if (i + 1 < t.size() && t[i + 1] == '%') {
        out.push_back('%');
        i += 2;
        continue;
      }
      return false;  // a substitution outside a literal
    }
    if (c == '"') {  // a quoted identifier: copied, with "%%" read as "%"
      size_t end = t.find('"', i + 1);
      if (end == std::string_view::npos) return false;
      for (size_t j = i; j <= end; ++j) {
        if (t[j] == '%') {
          if (j + 1 < end && t[j + 1] == '%') ++j;
          else return false;
        }
        out.push_back(t[j]);
      }
      i = end + 1;
      continue;
    }
    if (c == '\'') {
      if (i > 0 && (std::isalnum(static_cast<unsigned char>(t[i - 1])) || t[i - 1] == '_' || t[i - 1] == '&'))
        return false;  // E'...', U&'...', B'...' and the like
      // The literal ends at a quote that is not doubled.
      size_t end = i + 1;
      for (;; ++end) {
        if (end >= t.size()) return false;
        if (t[end] != '\'') continue;
        if (end + 1 < t.size() && t[end + 1] == '\'') {
          ++end;
          continue;
        }
        break;
      }
      std::string_view content = t.substr(i + 1, end - i - 1);
      if (content.size() == 2 && content[0] == '%' && is_escape(content[1])) {
        size_t n = params.find(content[1]);
        if (n == std::string::npos) {
          n = params.size();
          params.push_back(content[1]);
        }
        out += "$" + std::to_string(n + 1);
      } else {
        for (size_t j = i; j <= end; ++j) {
          if (t[j] == '%') {
            if (j + 1 < end && t[j + 1] == '%') ++j;
            else return false;  // a substitution with other text in its literal
          }
          out.push_back(t[j]);
        }
      }
      i = end + 1;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  if (params.empty()) return false;  // nothing to gain
  *statement = std::move(out);
  *escapes = std::move(params);
  return true;
}

bool ParameterizeMysqlQuery(std::string_view query_template, std::string* statement, std::string* escapes) {
  std::string numbered, letters;
  if (!ParameterizeQuery(query_template, &numbered, &letters)) return false;
  // ParameterizeQuery takes no template with a "$": each one is a placeholder.
  std::string out, order;
  for (size_t i = 0; i < numbered.size(); ++i) {
    if (numbered[i] != '$') {
      out.push_back(numbered[i]);
      continue;
    }
    size_t n = 0;
    while (i + 1 < numbered.size() && numbered[i + 1] >= '0' && numbered[i + 1] <= '9')
      n = n * 10 + static_cast<size_t>(numbered[++i] - '0');
    out.push_back('?');
    order.push_back(letters[n - 1]);
  }
  *statement = std::move(out);
  *escapes = std::move(order);
  return true;
}

}  // namespace mctable
