// Tests for case folding and the UTF-8 check.  The folded forms are those
// Debian's postmap 3.7.11 stores with smtputf8_enable = yes (postmap -s
// after building "KEY value" lines); tests/utf8_keys_test.cc checks the
// same against postmap itself.
#include "common/casefold.h"

#include <gtest/gtest.h>

namespace mctable {
namespace {

TEST(IsValidUtf8, AcceptsRfc3629Text) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xc3\x84"));                  // U+00C4
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));              // U+20AC
  EXPECT_TRUE(IsValidUtf8("\xed\x9f\xbf"));              // U+D7FF, below the surrogates
  EXPECT_TRUE(IsValidUtf8("\xee\x80\x80"));              // U+E000, above them
  EXPECT_TRUE(IsValidUtf8("\xf0\x90\x80\x80"));          // U+10000
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));          // U+10FFFF
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));      // NUL is a character
}

TEST(IsValidUtf8, RejectsWhatPostfixRejects) {
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("bad\xc3x"));          // lead byte without its tail
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // cut off at the end
  EXPECT_FALSE(IsValidUtf8("\x80"));              // a tail byte alone
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong "/"
  EXPECT_FALSE(IsValidUtf8("\xc1\xbf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong, three bytes
  EXPECT_FALSE(IsValidUtf8("\xf0\x80\x80\xaf"));  // overlong, four bytes
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // U+D800, a surrogate
  EXPECT_FALSE(IsValidUtf8("\xed\xbf\xbf"));      // U+DFFF
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // three-byte form cut short
}

TEST(CaseFold, AsciiModeFoldsAToZOnly) {
  EXPECT_EQ(CaseFold("User@Example.COM", false), "user@example.com");
  // 8-bit bytes pass unchanged, whatever their charset.
  EXPECT_EQ(CaseFold("\xc3\x84" "BC", false), "\xc3\x84" "bc");
  EXPECT_EQ(CaseFold("E\xe9", false), "e\xe9");
  EXPECT_EQ(CaseFold("[]^_`{}", false), "[]^_`{}");
}

TEST(CaseFold, Utf8ModeIsUnicodeDefaultFolding) {
  EXPECT_EQ(CaseFold("ÄBC@Example.COM", true), "äbc@example.com");
  EXPECT_EQ(CaseFold("ǅ", true), "ǆ");            // title case
  EXPECT_EQ(CaseFold("Ǆ", true), "ǆ");
  EXPECT_EQ(CaseFold("ß", true), "ss");           // full folding, not lowercasing
  EXPECT_EQ(CaseFold("ẞ", true), "ss");
  EXPECT_EQ(CaseFold("STRAẞE", true), "strasse");
  EXPECT_EQ(CaseFold("ΟΔΟΣ", true), "οδοσ");      // no final-sigma rule
  EXPECT_EQ(CaseFold("οδος", true), "οδοσ");
  EXPECT_EQ(CaseFold("İSTANBUL", true), "i\xcc\x87stanbul");  // not Turkic: i + U+0307
  EXPECT_EQ(CaseFold("ı", true), "ı");            // dotless i has no fold
  EXPECT_EQ(CaseFold("IDEA", true), "idea");      // ASCII keys stay ASCII-folded
}

TEST(CaseFold, Utf8ModeCopiesMalformedBytes) {
  // As ICU does for Postfix; callers that need valid UTF-8 check first.
  EXPECT_EQ(CaseFold("Ä\xff" "B", true), "ä\xff" "b");
}

TEST(CaseFold, FoldingTwiceIsFoldingOnce) {
  for (const char* text : {"ÄBC", "ß", "İ", "ǅ", "ΣΑΣ", "ﬃ"}) {
    std::string once = CaseFold(text, true);
    EXPECT_EQ(CaseFold(once, true), once) << text;
  }
}

TEST(CaseFold, ReusesTheOutputString) {
  std::string out = "previous contents that are longer";
  CaseFold("ÄB", true, &out);
  EXPECT_EQ(out, "äb");
  CaseFold("AB", true, &out);
  EXPECT_EQ(out, "ab");
}

}  // namespace
}  // namespace mctable
