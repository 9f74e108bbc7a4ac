// KeyFormat: validates a key_format, query or result_format template once,
// then expands lookup keys (and query results) with it on the per-key path.
//
// What it guarantees
// - Parse accepts exactly Postfix's query-template escapes (%% %s %S %u %U
//   %d %D %1..%9) and rejects anything else, a trailing "%" included, with
//   Postfix's message "db_common_parse: TABLE: Invalid query template: FMT"
//   ("result template" for a result_format).
// - Expand is all-or-nothing: when any escape cannot be filled (or the
//   quoter refuses a part) the result is false and the caller skips the
//   key.  The checks are made before any output is written, from what
//   Parse recorded the template needs.
// - Expand allocates nothing but the output string, whose capacity it
//   reuses; the domain labels are located with a fixed array of views.
// - %1..%9 take the domain's labels with the empty ones dropped, as
//   Postfix 3.7's db_common does (u@mail..example.com: %3 is "mail"); a
//   domain with fewer non-empty labels than the highest %N cannot fill it.
#include "common/key_format.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace mctable {

Status KeyFormat::Parse(std::string_view format, std::string_view table_name, Kind kind,
                        KeyFormat* out) {
  const bool result = kind == Kind::kResult;
  KeyFormat parsed;
  parsed.format_.assign(format);
  parsed.identity_ = format == "%s";
  parsed.uses_key_ = false;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    char escape = i + 1 < format.size() ? format[++i] : '\0';
    if (escape != '%') parsed.uses_key_ = true;
    switch (escape) {
      case '%':
      case 's':
      case 'S':
        break;
      case 'u':
        (result ? parsed.value_needs_user_ : parsed.needs_user_) = true;
        break;
      case 'U':
        parsed.needs_user_ = true;
        break;
      case 'd':
        (result ? parsed.value_needs_domain_ : parsed.needs_domain_) = true;
        break;
      case 'D':
        parsed.needs_domain_ = true;
        break;
      default:
        if (escape >= '1' && escape <= '9') {
          parsed.needs_domain_ = true;
          parsed.domain_labels_needed_ = std::max(parsed.domain_labels_needed_, escape - '0');
          break;
        }
        return Status::ConfigError("db_common_parse: " + std::string(table_name) + ": Invalid " +
                                   (result ? "result" : "query") +
                                   " template: " + std::string(format));
    }
  }
  parsed.needs_at_ = parsed.needs_user_ || parsed.needs_domain_;
  *out = std::move(parsed);
  return Status::OK();
}

bool KeyFormat::Expand(std::string_view key, const ValueQuoter* quoter, std::string* out) const {
  return ExpandFor(key, nullptr, quoter, out);
}

bool KeyFormat::ExpandResult(std::string_view result, std::string_view key, std::string* out) const {
  return ExpandFor(key, &result, nullptr, out);
}

bool KeyFormat::KeyFits(std::string_view key) const {
  std::string_view any_value = "u@d";
  return ExpandFor(key, &any_value, nullptr, nullptr);
}

bool KeyFormat::ExpandFor(std::string_view key, const std::string_view* result,
                          const ValueQuoter* quoter, std::string* out) const {
  if (identity_ && quoter == nullptr) {
    if (out != nullptr) out->assign(result != nullptr ? *result : key);
    return true;
  }

  // The "@" that splits an address is its last one (a@b@c.d: a@b and c.d).
  std::string_view user = key, domain;
  bool has_at = false;
  if (needs_at_) {
    size_t at = key.rfind('@');
    if (at != std::string_view::npos) {
      has_at = true;
      user = key.substr(0, at);
      domain = key.substr(at + 1);
    }
  }
  if (needs_domain_ && domain.empty()) return false;  // no "@", or "user@"
  if (needs_user_ && has_at && user.empty()) return false;  // "@domain"

  // labels[n - 1] is %n, counted from the right.
  std::array<std::string_view, 9> labels;
  if (domain_labels_needed_ > 0) {
    // Postfix splits the domain at dots and drops the empty labels, so
    // mail..example.com, .mail.example.com and the absolute name
    // mail.example.com. all have the labels com, example, mail.
    std::string_view rest = domain;
    for (int n = 0; n < domain_labels_needed_; ++n) {
      while (rest.ends_with('.')) rest.remove_suffix(1);
      if (rest.empty()) return false;  // too few labels
      size_t dot = rest.rfind('.');
      size_t start = dot == std::string_view::npos ? 0 : dot + 1;
      labels[n] = rest.substr(start);
      rest = rest.substr(0, start);
    }
  }

  // What the lower-case escapes take: the key in a query, the value in a
  // result template (split at its last "@" like a key).
  std::string_view whole = key, lower_user = user, lower_domain = domain;
  if (result != nullptr) {
    whole = lower_user = *result;
    lower_domain = {};
    size_t at = whole.rfind('@');
    bool value_has_at = at != std::string_view::npos;
    if (value_has_at) {
      lower_user = whole.substr(0, at);
      lower_domain = whole.substr(at + 1);
    }
    if (value_needs_domain_ && lower_domain.empty()) return false;
    if (value_needs_user_ && value_has_at && lower_user.empty()) return false;
  }
  if (out == nullptr) return true;

  auto put = [quoter, out](std::string_view part) {
    if (quoter == nullptr) {
      out->append(part);
      return true;
    }
    return quoter->Append(part, out);
  };
  out->clear();
  const char* p = format_.data();
  const char* end = p + format_.size();
  while (p < end) {
    const char* percent = static_cast<const char*>(std::memchr(p, '%', end - p));
    if (percent == nullptr) {
      out->append(p, end);
      break;
    }
    out->append(p, percent);
    // Parse guaranteed an escape character after every "%".
    char escape = percent[1];
    p = percent + 2;
    bool put_ok = true;
    switch (escape) {
      case '%':
        out->push_back('%');
        break;
      case 's':
        put_ok = put(whole);
        break;
      case 'S':
        put_ok = put(key);
        break;
      case 'u':
        put_ok = put(lower_user);
        break;
      case 'U':
        put_ok = put(user);
        break;
      case 'd':
        put_ok = put(lower_domain);
        break;
      case 'D':
        put_ok = put(domain);
        break;
      default:
        put_ok = put(labels[escape - '1']);
        break;
    }
    if (!put_ok) return false;
  }
  return true;
}

}  // namespace mctable
