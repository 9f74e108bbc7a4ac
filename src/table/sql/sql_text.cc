// OneLine, IsSingleStatement, IsMultiStatementSafe; see sql_text.h.
#include "table/sql/sql_text.h"

#include <cctype>
#include <cstdio>

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

}  // namespace mctable
