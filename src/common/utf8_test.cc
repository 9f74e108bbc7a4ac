// Tests for IsValidUtf8, with the boundary cases of RFC 3629.
#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace mctable {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  for (const char* text : {"", "plain ascii", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                           "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80",
                           "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf"})
    EXPECT_TRUE(IsValidUtf8(text)) << text;
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));  // NUL is a character
}

TEST(Utf8, RejectsMalformedText) {
  for (const char* text : {"\x80", "raw\xe9", "\xc0\x80", "\xc1\xbf",  // lone tail, latin-1, over-long
                           "\xe0\x80\x80", "\xe0\x9f\xbf",               // over-long 3-byte
                           "\xed\xa0\x80", "\xed\xbf\xbf",               // surrogates
                           "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",       // over-long 4-byte
                           "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff",  // above U+10FFFF
                           "\xc3", "\xe2\x82", "\xf0\x9f\x98",             // cut short
                           "\xe2\x28\xa1", "\xf0\x9f\x28\x80"})            // bad tail
    EXPECT_FALSE(IsValidUtf8(text)) << testing::PrintToString(std::string(text));
}

}  // namespace
}  // namespace mctable
