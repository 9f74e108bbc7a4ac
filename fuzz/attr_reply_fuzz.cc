// libFuzzer target: the proxymap reply parser (AttributeListParser, the
// attribute protocol's "0" form).  Input: 1 byte of string limit, 1 byte of
// attribute limit, 1 byte of split point, then the bytes the "server" sends.
//
// Checks, besides the sanitizers: Feed() never claims more than it was
// given; no attribute exceeds the limits; and parsing is chunk-consistent:
// the input fed whole or in two pieces at any split gives the same outcome
// (done with the same attributes and the same length, or an error), which
// is what makes reading replies in arbitrary network chunks safe.  Every
// attribute list it accepts encodes back to exactly the bytes it read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/attr_codec.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

using mctable::AttributeListParser;
using Progress = AttributeListParser::Progress;

struct Outcome {
  Progress progress;
  size_t used;
};

Outcome FeedInPieces(AttributeListParser* parser, std::string_view input, size_t split) {
  size_t used = 0;
  Progress p = parser->Feed(input.substr(0, split), &used);
  Check(used <= split);
  if (p != Progress::kNeedMore) return {p, used};
  Check(used == split);  // a list still open takes all it was given
  size_t more = 0;
  p = parser->Feed(input.substr(split), &more);
  Check(more <= input.size() - split);
  return {p, used + more};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 3) return 0;
  AttributeListParser::Limits limits;
  limits.max_string = 1 + bytes[0] % 64;
  limits.max_attributes = 1 + bytes[1] % 8;
  std::string_view input(reinterpret_cast<const char*>(bytes + 3), size - 3);
  size_t split = input.empty() ? 0 : bytes[2] % (input.size() + 1);

  AttributeListParser whole(limits), pieces(limits);
  size_t used = 0;
  Progress p = whole.Feed(input, &used);
  Check(used <= input.size());
  Outcome o = FeedInPieces(&pieces, input, split);
  Check(o.progress == p);
  if (p == Progress::kDone) {
    Check(o.used == used);
    Check(whole.attributes().size() == pieces.attributes().size());
    Check(whole.attributes().size() <= limits.max_attributes);
    std::string encoded;
    for (size_t i = 0; i < whole.attributes().size(); ++i) {
      const auto& a = whole.attributes()[i];
      Check(a.name == pieces.attributes()[i].name && a.value == pieces.attributes()[i].value);
      Check(a.name.size() <= limits.max_string && a.value.size() <= limits.max_string);
      Check(mctable::AppendAttribute(a.name, a.value, &encoded));
    }
    mctable::EndAttributeList(&encoded);
    Check(encoded == input.substr(0, used));
  }
  return 0;
}
