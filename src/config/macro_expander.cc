// main.cf $name expansion; see macro_expander.h.
#include "config/macro_expander.h"

#include <cstring>

namespace mctable {
namespace {

// Postfix's main.cf parameter expansion (mac_expand with recursion) over
// the parameters of one main.cf.  Errors are returned as Postfix's warning
// text ("empty macro name: \"x$\"").
class MacroExpander {
 public:
  explicit MacroExpander(const MainCfParams& params) : params_(params) {}

  std::string Expand(std::string_view text, int depth, std::string* out) const {
    size_t i = 0;
    while (i < text.size()) {
      if (out->size() > kMaxExpansionBytes) return TooLong();
      if (text[i] != '$') {  // a run of literal text
        size_t dollar = text.find('$', i);
        if (dollar == std::string_view::npos) dollar = text.size();
        out->append(text.substr(i, dollar - i));
        i = dollar;
        continue;
      }
      if (i + 1 < text.size() && text[i + 1] == '$') {  // "$$" is a literal "$"
        out->push_back('$');
        i += 2;
        continue;
      }
      ++i;
      std::string_view reference;
      if (i < text.size() && (text[i] == '{' || text[i] == '(')) {
        char open = text[i], close = open == '{' ? '}' : ')';
        int level = 1;
        size_t end = i + 1;
        for (; end < text.size(); ++end) {
          if (text[end] == open) ++level;
          if (text[end] == close && --level == 0) break;
        }
        if (level > 0) return "truncated macro reference: \"" + std::string(text) + "\"";
        reference = text.substr(i + 1, end - i - 1);
        i = end + 1;
        if (reference.empty()) return "empty macro name: \"" + std::string(text) + "\"";
        std::string error = ExpandReference(reference, depth, out);
        if (!error.empty()) return error;
      } else {
        size_t end = i;
        while (end < text.size() && IsNameChar(text[end])) ++end;
        reference = text.substr(i, end - i);
        i = end;
        if (reference.empty()) return "empty macro name: \"" + std::string(text) + "\"";
        std::string error = ExpandReference(reference, depth, out);
        if (!error.empty()) return error;
      }
    }
    if (out->size() > kMaxExpansionBytes) return TooLong();
    return {};
  }

 private:
  static constexpr int kMaxDepth = 100;  // Postfix's limit on nested expansion

  // Postfix has no limit on the size of a result, so "a = $b$b, b = $c$c,
  // ..." doubles per level: 100 levels would ask for 2^100 bytes.  No real
  // parameter comes near a megabyte (a long mynetworks list is kilobytes),
  // so stop there, before the memory and time are spent.
  static constexpr size_t kMaxExpansionBytes = 1 << 20;
  static std::string TooLong() {
    return "expansion is longer than " + std::to_string(kMaxExpansionBytes) +
           " bytes (a parameter that refers to another more than once, over and over?)";
  }
  static constexpr char kTrue[] = "true";

  static bool IsNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }

  static size_t SkipSpace(std::string_view s, size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
    return i;
  }

  // s[*i] is '{': extracts the balanced payload and moves *i past it and
  // any whitespace after it.
  static bool CurlyPayload(std::string_view s, size_t* i, std::string_view* payload) {
    int level = 0;
    for (size_t j = *i; j < s.size(); ++j) {
      if (s[j] == '{') ++level;
      if (s[j] == '}' && --level == 0) {
        *payload = s.substr(*i + 1, j - *i - 1);
        *i = SkipSpace(s, j + 1);
        return true;
      }
    }
    return false;
  }

  // The text inside ${...} / $(...), or a bare name.
  std::string ExpandReference(std::string_view ref, int depth, std::string* out) const {
    if (depth > kMaxDepth)
      return "unreasonable macro call nesting: \"" + std::string(ref) + "\"";
    const std::string* value = nullptr;
    std::string logical_value;
    size_t i = SkipSpace(ref, 0);
    char op = 0;
    if (i < ref.size() && ref[i] == '{') {  // ${{a} == {b} ? ... : ...}
      std::string error = EvaluateLogical(ref, &i, depth, &logical_value);
      if (!error.empty()) return error;
      value = &logical_value;
      if (i < ref.size()) {
        if (ref[i] != '?' && ref[i] != ':')
          return "\"?\" or \":\" expected at: \"...}>>>" + std::string(ref.substr(i, 20)) + "\"";
        op = ref[i++];
      }
    } else {
      size_t name_end = 0;
      while (name_end < ref.size() && ref[name_end] != '?' && ref[name_end] != ':') {
        if (!IsNameChar(ref[name_end]))
          return "attribute name syntax error at: \"..." + std::string(ref.substr(0, name_end)) +
                 ">>>" + std::string(ref.substr(name_end, 20)) + "\"";
        ++name_end;
      }
      auto it = params_.find(ref.substr(0, name_end));
      if (it != params_.end()) value = &it->second;
      i = name_end;
      if (i < ref.size()) op = ref[i++];
    }
    bool non_empty = value != nullptr && !value->empty();
    if (op == 0) {
      if (non_empty) return Expand(*value, depth + 1, out);
      return {};
    }
    if (op == '?') {
      std::string_view if_true;
      size_t j = SkipSpace(ref, i);
      if (j < ref.size() && ref[j] == '{') {
        if (!CurlyPayload(ref, &j, &if_true))
          return "unbalanced {} in attribute expression: \"" + std::string(ref.substr(j)) + "\"";
        i = j;
      } else {
        if_true = ref.substr(i);
        i = ref.size();
      }
      if (non_empty) {
        std::string error = Expand(if_true, depth + 1, out);
        if (!error.empty()) return error;
      }
      if (i == ref.size()) return {};
      if (ref[i] != ':')
        return "\":\" expected at: \"..." + std::string(if_true) + "}>>>" +
               std::string(ref.substr(i, 20)) + "\"";
      ++i;
    }
    // op is ':' here, or '?' followed by ":{else}".
    std::string_view if_false;
    size_t j = SkipSpace(ref, i);
    if (j < ref.size() && ref[j] == '{') {
      if (!CurlyPayload(ref, &j, &if_false))
        return "unbalanced {} in attribute expression: \"" + std::string(ref.substr(j)) + "\"";
      i = j;
    } else {
      if_false = ref.substr(i);
      i = ref.size();
    }
    if (!non_empty) {
      std::string error = Expand(if_false, depth + 1, out);
      if (!error.empty()) return error;
    }
    if (i != ref.size())
      return "unexpected input at: \"..." + std::string(if_false) + "}>>>" +
             std::string(ref.substr(i, 20)) + "\"";
    return {};
  }

  // "{a} == {b}" or "{a} != {b}" starting at ref[*i]; sets *result to
  // "true" or "" and moves *i past the right operand.
  std::string EvaluateLogical(std::string_view ref, size_t* i, int depth, std::string* result) const {
    std::string_view left, right;
    if (!CurlyPayload(ref, i, &left))
      return "unbalanced {} in attribute expression: \"" + std::string(ref.substr(*i)) + "\"";
    size_t op_start = *i, op_end = *i;
    while (op_end < ref.size() && std::strchr("<>!=?+-*/~&|%", ref[op_end]) != nullptr) ++op_end;
    std::string_view op = ref.substr(op_start, op_end - op_start);
    if (op != "==" && op != "!=")
      return "\"==\" or \"!=\" expected at: \"..." + std::string(left) + "}>>>" +
             std::string(ref.substr(op_start, 20)) + "\"";
    size_t j = SkipSpace(ref, op_end);
    if (j >= ref.size() || ref[j] != '{')
      return "\"{expression}\" expected at: \"...{" + std::string(left) + "} " + std::string(op) +
             ">>>" + std::string(ref.substr(j, 20)) + "\"";
    if (!CurlyPayload(ref, &j, &right))
      return "unbalanced {} in attribute expression: \"" + std::string(ref.substr(j)) + "\"";
    *i = j;
    std::string left_value, right_value;
    std::string error = Expand(left, depth + 1, &left_value);
    if (error.empty()) error = Expand(right, depth + 1, &right_value);
    if (!error.empty()) return error;
    bool equal = left_value == right_value;
    *result = (op == "==") == equal ? kTrue : "";
    return {};
  }

  const MainCfParams& params_;
};

}  // namespace

std::string ExpandMainCfValue(std::string_view text, const MainCfParams& params, std::string* out) {
  return MacroExpander(params).Expand(text, 0, out);
}

}  // namespace mctable
