// Brace syntax helpers; see brace_syntax.h.
#include "common/brace_syntax.h"

namespace mctable {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

size_t BalancedBraceLength(std::string_view text) {
  if (text.empty() || text[0] != '{') return 0;
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') {
      ++depth;
    } else if (text[i] == '}') {
      if (--depth == 0) return i + 1;
    }
  }
  return 0;
}

std::string StripBraces(std::string_view text, std::string* inner) {
  size_t len = BalancedBraceLength(text);
  if (len == 0) return "missing '}' in \"" + std::string(text) + "\"";
  if (len != text.size()) return "syntax error after '}' in \"" + std::string(text) + "\"";
  *inner = std::string(Trim(text.substr(1, len - 2)));
  return {};
}

std::string_view NextTokenOutsideBraces(std::string_view text, size_t* pos) {
  auto is_separator = [](char c) { return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t i = *pos;
  while (i < text.size() && is_separator(text[i])) ++i;
  size_t start = i;
  int depth = 0;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (depth > 0) --depth;
    } else if (depth == 0 && is_separator(c)) {
      break;
    }
  }
  *pos = i;
  return text.substr(start, i - start);
}

std::vector<std::string> SplitOutsideBraces(std::string_view text) {
  std::vector<std::string> tokens;
  size_t pos = 0;
  for (std::string_view token; !(token = NextTokenOutsideBraces(text, &pos)).empty();)
    tokens.emplace_back(token);
  return tokens;
}

std::string SplitNameValue(std::string_view text, std::string* name, std::string* value) {
  size_t i = 0;
  while (i < text.size() && IsSpace(text[i])) ++i;
  if (i == text.size()) return "missing attribute name";
  size_t name_start = i;
  while (i < text.size() && !IsSpace(text[i]) && text[i] != '=') ++i;
  size_t name_end = i;
  while (i < text.size() && IsSpace(text[i])) ++i;
  if (i == text.size() || text[i] != '=') return "missing '=' after attribute name";
  if (name_end == name_start) return "missing attribute name";
  *name = std::string(text.substr(name_start, name_end - name_start));
  *value = std::string(Trim(text.substr(i + 1)));
  return {};
}

}  // namespace mctable
