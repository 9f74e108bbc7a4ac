#include "proxy/attr_codec.h"

#include <gtest/gtest.h>

namespace mctable {
namespace {

using namespace std::string_literals;
using Progress = AttributeListParser::Progress;

TEST(AttrCodecTest, EncodesWhatPostmapSends) {
  // The bytes Debian's postmap 3.7 writes for "postmap -q beta proxy:btree:/t".
  std::string out;
  EXPECT_TRUE(AppendAttribute("request", "lookup", &out));
  EXPECT_TRUE(AppendAttribute("table", "btree:/t", &out));
  EXPECT_TRUE(AppendAttribute("flags", "524353", &out));
  EXPECT_TRUE(AppendAttribute("key", "beta", &out));
  EndAttributeList(&out);
  EXPECT_EQ(out, "request\0lookup\0table\0btree:/t\0flags\0" "524353\0key\0beta\0\0"s);
  std::string empty;
  EXPECT_TRUE(AppendAttribute("value", "", &empty));
  EXPECT_EQ(empty, "value\0\0"s);
}

TEST(AttrCodecTest, RefusesNulAndEmptyNamesSoNothingCanBeInjected) {
  std::string out = "x";
  EXPECT_FALSE(AppendAttribute("key", "a\0request\0delete"s, &out));
  EXPECT_FALSE(AppendAttribute("k\0ey"s, "a", &out));
  EXPECT_FALSE(AppendAttribute("", "a", &out));  // would read as the end of the list
  EXPECT_EQ(out, "x");
}

TEST(AttrCodecTest, DecodesWholeAndByteByByte) {
  const std::string reply = "status\0" "0\0value\0two words\0\0"s;
  AttributeListParser whole;
  size_t used = 0;
  ASSERT_EQ(whole.Feed(reply, &used), Progress::kDone);
  EXPECT_EQ(used, reply.size());
  ASSERT_EQ(whole.attributes().size(), 2u);
  EXPECT_EQ(whole.attributes()[1].name, "value");
  EXPECT_EQ(whole.attributes()[1].value, "two words");

  AttributeListParser bytewise;
  for (size_t i = 0; i < reply.size(); ++i) {
    Progress p = bytewise.Feed(std::string_view(reply).substr(i, 1), &used);
    EXPECT_EQ(used, 1u);
    EXPECT_EQ(p, i + 1 == reply.size() ? Progress::kDone : Progress::kNeedMore) << i;
  }
  EXPECT_EQ(bytewise.attributes().size(), 2u);
  EXPECT_EQ(bytewise.attributes()[0].value, "0");
}

TEST(AttrCodecTest, StopsAtTheTerminatorAndRefusesWhatFollows) {
  AttributeListParser parser;
  size_t used = 0;
  const std::string two = "status\0" "1\0\0status\0" "0\0\0"s;
  ASSERT_EQ(parser.Feed(two, &used), Progress::kDone);
  EXPECT_EQ(used, std::string("status\0" "1\0\0"s).size());
  EXPECT_EQ(parser.Feed(std::string_view(two).substr(used), &used), Progress::kError);
  EXPECT_NE(parser.error().find("after the attribute list"), std::string::npos);
  parser.Reset();
  EXPECT_EQ(parser.Feed("\0"s, &used), Progress::kDone);  // an empty list
  EXPECT_TRUE(parser.attributes().empty());
}

TEST(AttrCodecTest, BoundsStringsAndCounts) {
  AttributeListParser::Limits limits;
  limits.max_string = 8;
  limits.max_attributes = 2;
  AttributeListParser parser(limits);
  size_t used = 0;
  EXPECT_EQ(parser.Feed("value\0" "123456789"s, &used), Progress::kError);
  EXPECT_EQ(parser.error(), "attribute value longer than 8 bytes");
  AttributeListParser names(limits);
  EXPECT_EQ(names.Feed("123456789"s, &used), Progress::kError);
  EXPECT_EQ(names.error(), "attribute name longer than 8 bytes");
  AttributeListParser many(limits);
  EXPECT_EQ(many.Feed("a\0" "1\0b\0" "2\0c\0" "3\0\0"s, &used), Progress::kError);
  EXPECT_EQ(many.error(), "more than 2 attributes");
  // An endless stream without a NUL stays within the limit, then fails.
  AttributeListParser endless(limits);
  EXPECT_EQ(endless.Feed("1234", &used), Progress::kNeedMore);
  EXPECT_EQ(endless.Feed("56789", &used), Progress::kError);
}

TEST(AttrCodecTest, ExpectAttributesIsStrict) {
  AttributeListParser parser;
  size_t used = 0;
  ASSERT_EQ(parser.Feed("status\0" "0\0value\0v\0\0"s, &used), Progress::kDone);
  std::vector<std::string_view> values;
  const std::string_view both[] = {"status", "value"};
  EXPECT_EQ(ExpectAttributes(parser.attributes(), both, &values), "");
  EXPECT_EQ(values, (std::vector<std::string_view>{"0", "v"}));
  const std::string_view three[] = {"status", "value", "key"};
  EXPECT_EQ(ExpectAttributes(parser.attributes(), three, &values), "missing attribute key");
  const std::string_view one[] = {"status"};
  EXPECT_EQ(ExpectAttributes(parser.attributes(), one, &values), "unexpected attribute \"value\"");
  const std::string_view other[] = {"status", "flags"};
  EXPECT_EQ(ExpectAttributes(parser.attributes(), other, &values),
            "unexpected attribute \"value\" where flags was expected");
}

TEST(AttrCodecTest, Numbers) {
  unsigned long n = 0;
  EXPECT_TRUE(ParseAttributeNumber("0", 5, &n));
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(ParseAttributeNumber("524381", 1000000, &n));
  EXPECT_EQ(n, 524381u);
  EXPECT_FALSE(ParseAttributeNumber("1000001", 1000000, &n));
  EXPECT_FALSE(ParseAttributeNumber("", 9, &n));
  EXPECT_FALSE(ParseAttributeNumber("-1", 9, &n));
  EXPECT_FALSE(ParseAttributeNumber(" 1", 9, &n));
  EXPECT_FALSE(ParseAttributeNumber("1x", 9, &n));
  EXPECT_FALSE(ParseAttributeNumber("99999999999999999999999", ~0ul, &n));
}

}  // namespace
}  // namespace mctable
