// Postfix's attribute protocol in its "0" form (attr_print0/attr_scan0),
// the one proxymap(8) speaks on its UNIX-domain sockets:
//
//   attr-list := (name NUL value NUL)* NUL
//
// Names and values are strings without NUL bytes; numbers are decimal text.
//
// What it guarantees
// - Encoding refuses a name or value that holds a NUL byte: the byte would
//   end the string early and the rest would be read as further attributes
//   (protocol injection).
// - Decoding is incremental and bounded: a string longer than
//   Limits::max_string or a list of more than Limits::max_attributes is an
//   error, not a memory sink; so is any input after the list terminator
//   (there is none in a well-formed exchange).
// - ExpectAttributes() is Postfix's ATTR_FLAG_STRICT: exactly the expected
//   names, in order, nothing missing, nothing extra.
// How it fails: false / kError with a reason in error(), naming what was
// wrong ("attribute value longer than 1048576 bytes", "missing attribute
// value", "unexpected attribute \"x\"").
#ifndef MCTABLE_PROXY_ATTR_CODEC_H_
#define MCTABLE_PROXY_ATTR_CODEC_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mctable {

struct Attribute {
  std::string name;
  std::string value;
};

// Appends "name NUL value NUL" to *out; false (and *out unchanged) if
// either holds a NUL byte.
bool AppendAttribute(std::string_view name, std::string_view value, std::string* out);
// Appends the list terminator.
void EndAttributeList(std::string* out);

class AttributeListParser {
 public:
  struct Limits {
    size_t max_string = 1 << 20;  // bytes in one name or value
    size_t max_attributes = 16;
  };
  enum class Progress { kNeedMore, kDone, kError };

  AttributeListParser() : AttributeListParser(Limits()) {}
  explicit AttributeListParser(Limits limits) : limits_(limits) {}

  // Takes the bytes of `input` that belong to the list; *used says how
  // many.  kDone: the list is complete (attributes()); kError: error().
  Progress Feed(std::string_view input, size_t* used);
  // Starts a new list.
  void Reset();

  const std::vector<Attribute>& attributes() const { return attributes_; }
  const std::string& error() const { return error_; }

 private:
  Progress Fail(std::string why);

  Limits limits_;
  std::vector<Attribute> attributes_;
  std::string partial_;     // the string being read
  bool reading_value_ = false;
  bool done_ = false;
  std::string error_;
};

// Checks that `attributes` are exactly `names`, in that order; on success
// *values points into `attributes`.  Returns "" or why not.
std::string ExpectAttributes(const std::vector<Attribute>& attributes,
                             std::span<const std::string_view> names,
                             std::vector<std::string_view>* values);

// A decimal number as attr_scan0 reads one (digits only here; no sign, no
// blanks), at most `max`.
bool ParseAttributeNumber(std::string_view text, unsigned long max, unsigned long* value);

}  // namespace mctable

#endif  // MCTABLE_PROXY_ATTR_CODEC_H_
