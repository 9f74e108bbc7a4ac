#include "daemon/lookup_protocol.h"

#include <gtest/gtest.h>

namespace mctable {
namespace {

TEST(SocketmapParse, OneRequestNameAndKeyWithSpaces) {
  ParsedRequest r;
  std::string in = "23:aliases john doe@ex.com,rest";
  ASSERT_EQ(ParseSocketmapRequest(in, kSocketmapLimit, &r), ParseStatus::kRequest);
  EXPECT_EQ(r.map_name, "aliases");
  EXPECT_EQ(r.key, "john doe@ex.com");
  EXPECT_EQ(r.consumed, in.size() - 4);
}

TEST(SocketmapParse, EmptyKeyIsARequest) {
  ParsedRequest r;
  ASSERT_EQ(ParseSocketmapRequest("2:m ,", kSocketmapLimit, &r), ParseStatus::kRequest);
  EXPECT_EQ(r.map_name, "m");
  EXPECT_EQ(r.key, "");
}

TEST(SocketmapParse, EveryPrefixNeedsMore) {
  std::string in = "13:aliases a@b.c,";
  for (size_t n = 0; n < in.size(); ++n) {
    ParsedRequest r;
    EXPECT_EQ(ParseSocketmapRequest(in.substr(0, n), kSocketmapLimit, &r), ParseStatus::kNeedMore)
        << n;
  }
}

TEST(SocketmapParse, FramingErrors) {
  for (const char* bad : {"x", ":", "5x", "3:abcd", "12a:", "-1:"}) {
    ParsedRequest r;
    EXPECT_EQ(ParseSocketmapRequest(bad, kSocketmapLimit, &r), ParseStatus::kFramingError) << bad;
    EXPECT_FALSE(r.error.empty());
  }
}

TEST(SocketmapParse, LengthOverTheLimitFailsBeforeThePayloadArrives) {
  ParsedRequest r;
  EXPECT_EQ(ParseSocketmapRequest("100001", kSocketmapLimit, &r), ParseStatus::kFramingError);
  EXPECT_EQ(ParseSocketmapRequest("99999999999999999999999", kSocketmapLimit, &r),
            ParseStatus::kFramingError);
  EXPECT_EQ(ParseSocketmapRequest("100000:", kSocketmapLimit, &r), ParseStatus::kNeedMore);
  EXPECT_EQ(ParseSocketmapRequest(std::string(11, '0'), kSocketmapLimit, &r), ParseStatus::kFramingError)
      << "endless leading zeros";
}

TEST(SocketmapParse, NoSpaceIsABadRequestThatIsConsumed) {
  ParsedRequest r;
  ASSERT_EQ(ParseSocketmapRequest("7:aliases,", kSocketmapLimit, &r), ParseStatus::kBadRequest);
  EXPECT_EQ(r.consumed, 10u);
  ASSERT_EQ(ParseSocketmapRequest("4: key,", kSocketmapLimit, &r), ParseStatus::kBadRequest);
}

TEST(TcpParse, DecodesTheKey) {
  ParsedRequest r;
  std::string in = "get a%20b%25c%0a%C3%A9\nget x\n";
  ASSERT_EQ(ParseTcpRequest(in, 1000, &r), ParseStatus::kRequest);
  EXPECT_EQ(r.key, std::string("a b%c\n\xc3\xa9"));
  EXPECT_EQ(r.consumed, in.find('\n') + 1);
}

TEST(TcpParse, BadRequestsAndFraming) {
  ParsedRequest r;
  EXPECT_EQ(ParseTcpRequest("get abc", 1000, &r), ParseStatus::kNeedMore);
  EXPECT_EQ(ParseTcpRequest("put a b\n", 1000, &r), ParseStatus::kBadRequest);
  EXPECT_EQ(ParseTcpRequest("get a%2\n", 1000, &r), ParseStatus::kBadRequest);
  EXPECT_EQ(ParseTcpRequest("get a%zz\n", 1000, &r), ParseStatus::kBadRequest);
  EXPECT_EQ(ParseTcpRequest("get a b\n", 1000, &r), ParseStatus::kBadRequest);
  EXPECT_EQ(ParseTcpRequest(std::string(1001, 'g'), 1000, &r), ParseStatus::kFramingError);
  EXPECT_EQ(ParseTcpRequest("get " + std::string(997, 'k') + "\n", 1000, &r),
            ParseStatus::kFramingError);
}

TEST(TcpEncoding, RoundTripsEveryByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  std::string encoded = TcpEncode(all);
  for (char c : encoded) {
    EXPECT_GT(static_cast<unsigned char>(c), 0x20);
    EXPECT_LT(static_cast<unsigned char>(c), 0x7f);
  }
  std::string decoded;
  ASSERT_TRUE(TcpDecode(encoded, &decoded));
  EXPECT_EQ(decoded, all);
  ASSERT_TRUE(TcpDecode("%4a%4A", &decoded));
  EXPECT_EQ(decoded, "JJ");
}

TEST(Replies, Socketmap) {
  EXPECT_EQ(SocketmapReply({Status::OK(), "v a l"}), "8:OK v a l,");
  EXPECT_EQ(SocketmapReply({Status::NotFound(), ""}), "9:NOTFOUND ,");
  EXPECT_EQ(SocketmapReply({Status::TempError("memcache:x: timeout\n"), ""}),
            EncodeNetstring("TEMP memcache:x: timeout\\x0a"));
  EXPECT_EQ(SocketmapReply({Status::TempError("memcache:x: read: Connection timed out"), ""}),
            EncodeNetstring("TIMEOUT memcache:x: read: Connection timed out"));
  std::string big = SocketmapReply({Status::OK(), std::string(kSocketmapLimit, 'v')});
  EXPECT_NE(big.find("PERM value of 100000 bytes exceeds"), std::string::npos) << big;
}

TEST(Replies, Tcp) {
  EXPECT_EQ(TcpReply({Status::OK(), "a b%"}), "200 a%20b%25\n");
  EXPECT_EQ(TcpReply({Status::NotFound(), ""}).substr(0, 4), "500 ");
  EXPECT_EQ(TcpReply({Status::TempError("down now"), ""}), "400 down%20now\n");
  std::string big = TcpReply({Status::OK(), std::string(4093, 'v')});
  EXPECT_EQ(big.substr(0, 4), "400 ");
  EXPECT_EQ(TcpReply({Status::OK(), std::string(4090, 'v')}).substr(0, 4), "200 ");
}

}  // namespace
}  // namespace mctable
