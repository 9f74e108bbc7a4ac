// Postfix attribute lists, "0" form; see attr_codec.h.
#include "proxy/attr_codec.h"

#include "mctable/log.h"

namespace mctable {

bool AppendAttribute(std::string_view name, std::string_view value, std::string* out) {
  if (name.find('\0') != std::string_view::npos || value.find('\0') != std::string_view::npos)
    return false;
  // An empty name would read as the list terminator.
  if (name.empty()) return false;
  out->append(name);
  out->push_back('\0');
  out->append(value);
  out->push_back('\0');
  return true;
}

void EndAttributeList(std::string* out) { out->push_back('\0'); }

void AttributeListParser::Reset() {
  attributes_.clear();
  partial_.clear();
  reading_value_ = false;
  done_ = false;
  error_.clear();
}

AttributeListParser::Progress AttributeListParser::Fail(std::string why) {
  error_ = std::move(why);
  return Progress::kError;
}

AttributeListParser::Progress AttributeListParser::Feed(std::string_view input, size_t* used) {
  *used = 0;
  if (!error_.empty()) return Progress::kError;
  if (done_) return input.empty() ? Progress::kDone : Fail("unexpected data after the attribute list");
  size_t pos = 0;
  while (pos < input.size()) {
    size_t nul = input.find('\0', pos);
    size_t end = nul == std::string_view::npos ? input.size() : nul;
    if (partial_.size() + (end - pos) > limits_.max_string)
      return Fail(std::string(reading_value_ ? "attribute value" : "attribute name") +
                  " longer than " + std::to_string(limits_.max_string) + " bytes");
    partial_.append(input.substr(pos, end - pos));
    pos = end;
    *used = pos;
    if (nul == std::string_view::npos) break;
    pos = nul + 1;  // the NUL ends this string
    *used = pos;
    if (!reading_value_) {
      if (partial_.empty()) {  // an empty name: the end of the list
        done_ = true;
        return Progress::kDone;
      }
      if (attributes_.size() >= limits_.max_attributes)
        return Fail("more than " + std::to_string(limits_.max_attributes) + " attributes");
      attributes_.push_back({std::move(partial_), {}});
      reading_value_ = true;
    } else {
      attributes_.back().value = std::move(partial_);
      reading_value_ = false;
    }
    partial_.clear();
  }
  return Progress::kNeedMore;
}

std::string ExpectAttributes(const std::vector<Attribute>& attributes,
                             std::span<const std::string_view> names,
                             std::vector<std::string_view>* values) {
  values->clear();
  size_t i = 0;
  for (std::string_view name : names) {
    if (i >= attributes.size()) return "missing attribute " + std::string(name);
    if (attributes[i].name != name)
      return "unexpected attribute \"" + PrintableBytes(attributes[i].name.substr(0, 64)) +
             "\" where " + std::string(name) + " was expected";
    values->push_back(attributes[i].value);
    ++i;
  }
  if (i < attributes.size())
    return "unexpected attribute \"" + PrintableBytes(attributes[i].name.substr(0, 64)) + "\"";
  return "";
}

bool ParseAttributeNumber(std::string_view text, unsigned long max, unsigned long* value) {
  if (text.empty() || text.size() > 20) return false;
  unsigned long result = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    unsigned digit = static_cast<unsigned>(c - '0');
    if (digit > max || result > (max - digit) / 10) return false;
    result = result * 10 + digit;
  }
  *value = result;
  return true;
}

}  // namespace mctable
