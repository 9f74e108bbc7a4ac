#include "memcache/protocol.h"

#include <gtest/gtest.h>

namespace mctable {
namespace {

TEST(ProtocolTest, KeyValidity) {
  EXPECT_EQ(InvalidMemcacheKeyReason("user@example.com"), nullptr);
  EXPECT_EQ(InvalidMemcacheKeyReason("\xc3\xa9t\xc3\xa9"), nullptr);  // 8-bit is fine
  EXPECT_STREQ(InvalidMemcacheKeyReason(""), "empty lookup key expansion");
  EXPECT_STREQ(InvalidMemcacheKeyReason("a b"), "name contains space");
  EXPECT_STREQ(InvalidMemcacheKeyReason("a\tb"), "name contains space");
  EXPECT_STREQ(InvalidMemcacheKeyReason("a\r\nget x"), "name contains carriage return");
  EXPECT_STREQ(InvalidMemcacheKeyReason("a\nget x"), "name contains space");
  EXPECT_STREQ(InvalidMemcacheKeyReason("x\x01y"), "name contains control character");
  EXPECT_STREQ(InvalidMemcacheKeyReason("x\x7fy"), "name contains control character");
  EXPECT_STREQ(InvalidMemcacheKeyReason(std::string_view("x\0y", 3)), "name contains control character");
  EXPECT_EQ(InvalidMemcacheKeyReason(std::string(250, 'k')), nullptr);
  EXPECT_STREQ(InvalidMemcacheKeyReason(std::string(251, 'k')), "name is longer than 250 bytes");
}

TEST(ProtocolTest, Commands) {
  std::string out;
  AppendGetCommand(&out, "k");
  AppendSetCommand(&out, "k", 7, 3600, "v\r\nx");
  AppendDeleteCommand(&out, "k");
  EXPECT_EQ(out, "get k\r\nset k 7 3600 4\r\nv\r\nx\r\ndelete k\r\n");
  out.clear();
  AppendSetCommand(&out, "k", 4294967295u, -1, "");
  EXPECT_EQ(out, "set k 4294967295 -1 0\r\n\r\n");
}

TEST(ProtocolTest, ReadReplyLine) {
  std::string_view line;
  size_t consumed = 0;
  EXPECT_EQ(ReadReplyLine("END\r\nrest", 10, &line, &consumed), LineStatus::kLine);
  EXPECT_EQ(line, "END");
  EXPECT_EQ(consumed, 5u);
  EXPECT_EQ(ReadReplyLine("END\n", 10, &line, &consumed), LineStatus::kLine);
  EXPECT_EQ(line, "END");
  EXPECT_EQ(ReadReplyLine("EN", 10, &line, &consumed), LineStatus::kNeedMore);
  EXPECT_EQ(ReadReplyLine("0123456789\r\n", 10, &line, &consumed), LineStatus::kLine);
  EXPECT_EQ(ReadReplyLine("01234567890\r\n", 10, &line, &consumed), LineStatus::kTooLong);
  // Too long is known before the line ends.
  EXPECT_EQ(ReadReplyLine("012345678901", 10, &line, &consumed), LineStatus::kTooLong);
  EXPECT_EQ(ReadReplyLine("01234567890", 10, &line, &consumed), LineStatus::kNeedMore);
}

TEST(ProtocolTest, ParseValueLine) {
  std::string_view key;
  uint32_t flags = 0;
  size_t bytes = 0;
  EXPECT_TRUE(ParseValueLine("VALUE k 5 10", &key, &flags, &bytes));
  EXPECT_EQ(key, "k");
  EXPECT_EQ(flags, 5u);
  EXPECT_EQ(bytes, 10u);
  EXPECT_TRUE(ParseValueLine("VALUE k 0 1 12345", &key, &flags, &bytes));
  EXPECT_FALSE(ParseValueLine("VALUE k 0", &key, &flags, &bytes));
  EXPECT_FALSE(ParseValueLine("VALUE k 0 -1", &key, &flags, &bytes));
  EXPECT_FALSE(ParseValueLine("VALUE k x 1", &key, &flags, &bytes));
  EXPECT_FALSE(ParseValueLine("VALUE k 0 1 2 3", &key, &flags, &bytes));
  EXPECT_FALSE(ParseValueLine("VALUES k 0 1", &key, &flags, &bytes));
  EXPECT_FALSE(ParseValueLine("VALUE k 0 99999999999999999999999", &key, &flags, &bytes));
}

TEST(ProtocolTest, GetReplySteps) {
  std::string reply = "VALUE a 3 5\r\nhello\r\nVALUE b 0 0\r\n\r\nEND\r\n";
  GetReplyStep s = ParseGetReplyStep(reply, 1024, 10240);
  ASSERT_EQ(s.kind, GetReplyStep::kValue);
  EXPECT_EQ(s.key, "a");
  EXPECT_EQ(s.data, "hello");
  EXPECT_EQ(s.flags, 3u);
  std::string_view rest = std::string_view(reply).substr(s.consumed);
  s = ParseGetReplyStep(rest, 1024, 10240);
  ASSERT_EQ(s.kind, GetReplyStep::kValue);
  EXPECT_EQ(s.key, "b");
  EXPECT_EQ(s.data, "");
  rest = rest.substr(s.consumed);
  s = ParseGetReplyStep(rest, 1024, 10240);
  ASSERT_EQ(s.kind, GetReplyStep::kEnd);
  EXPECT_EQ(s.consumed, rest.size());
}

TEST(ProtocolTest, GetReplyIncompleteAndErrors) {
  // Every prefix of a good reply asks for more, never errs or returns a value.
  std::string reply = "VALUE a 0 5\r\nhello\r\n";
  for (size_t n = 0; n < reply.size(); ++n)
    EXPECT_EQ(ParseGetReplyStep(reply.substr(0, n), 1024, 10240).kind, GetReplyStep::kNeedMore) << n;

  GetReplyStep s = ParseGetReplyStep("VALUE a 0 20000\r\n", 1024, 10240);
  EXPECT_EQ(s.kind, GetReplyStep::kError);
  EXPECT_TRUE(s.error_is_data_size);
  EXPECT_EQ(s.error, "unexpected memcache server reply: VALUE a 0 20000");

  s = ParseGetReplyStep("VALUE a 0 5\r\nhelloXY", 1024, 10240);
  EXPECT_EQ(s.kind, GetReplyStep::kError);  // data longer than announced
  s = ParseGetReplyStep("SERVER_ERROR out of memory\r\n", 1024, 10240);
  EXPECT_EQ(s.kind, GetReplyStep::kError);
  EXPECT_EQ(s.error, "unexpected memcache server reply: SERVER_ERROR out of memory");
  s = ParseGetReplyStep(std::string(100, 'x'), 50, 10240);
  EXPECT_EQ(s.kind, GetReplyStep::kError);
  s = ParseGetReplyStep("ERROR\r\n", 1024, 10240);
  EXPECT_EQ(s.kind, GetReplyStep::kError);
  s = ParseGetReplyStep("\x01\x02\xff\r\n", 1024, 10240);
  EXPECT_EQ(s.kind, GetReplyStep::kError);
  EXPECT_EQ(s.error, "unexpected memcache server reply: \\x01\\x02\\xff");
}

TEST(ProtocolTest, MetaGetAndAddCommands) {
  std::string out;
  AppendMetaGetCommand(&out, "k1");
  AppendAddCommand(&out, "k2", 7, 120, "v");
  EXPECT_EQ(out, "mg k1 s t f v\r\nadd k2 7 120 1\r\nv\r\n");
}

TEST(ProtocolTest, MetaGetReplies) {
  MetaGetReplyStep step = ParseMetaGetReplyStep("VA 3 s3 t100 f5\r\nabc\r\nEN\r\n", 1024, 100);
  ASSERT_EQ(step.kind, MetaGetReplyStep::kHit) << step.error;
  EXPECT_EQ(step.data, "abc");
  EXPECT_EQ(step.ttl, 100);
  EXPECT_EQ(step.flags, 5u);
  EXPECT_EQ(step.consumed, 22u);
  step = ParseMetaGetReplyStep("VA 1 s1 t-1 f0\r\nx\r\n", 1024, 100);
  ASSERT_EQ(step.kind, MetaGetReplyStep::kHit);
  EXPECT_EQ(step.ttl, -1);
  step = ParseMetaGetReplyStep("EN\r\n", 1024, 100);
  EXPECT_EQ(step.kind, MetaGetReplyStep::kMiss);
  EXPECT_EQ(step.consumed, 4u);
  // Incomplete: wait for more.
  EXPECT_EQ(ParseMetaGetReplyStep("VA 3 s3 t1 f0\r\nab", 1024, 100).kind, MetaGetReplyStep::kNeedMore);
  EXPECT_EQ(ParseMetaGetReplyStep("VA 3 s3", 1024, 100).kind, MetaGetReplyStep::kNeedMore);
  // Out of step or hostile: errors, never values.
  for (const char* bad : {"VA 3 s4 t1 f0\r\nabc\r\n", "VA 3 t1 f0\r\nabc\r\n", "VALUE k 0 3\r\nabc\r\n",
                          "VA x s3 t1\r\nabc\r\n", "VA 3 s3 t1 f0\r\nabcd\r\n", "HD\r\n",
                          "VA 3 s3 tz f0\r\nabc\r\n"})
    EXPECT_EQ(ParseMetaGetReplyStep(bad, 1024, 100).kind, MetaGetReplyStep::kError) << bad;
  step = ParseMetaGetReplyStep("VA 300 s300 t1 f0\r\n", 1024, 100);
  EXPECT_EQ(step.kind, MetaGetReplyStep::kError);
  EXPECT_TRUE(step.error_is_data_size);
}

TEST(ProtocolTest, QuietMetaWrites) {
  std::string out;
  AppendQuietMetaSetCommand(&out, "k", 7, 300, "abc");
  AppendQuietMetaDeleteCommand(&out, "k2", 12);
  out.append(kMetaNoopCommand);
  EXPECT_EQ(out, "ms k 3 T300 F7 q\r\nabc\r\nmd k2 q O12\r\nmn\r\n");
  EXPECT_EQ(ParseQuietWriteReply("MN").kind, QuietWriteReply::kNoop);
  QuietWriteReply nf = ParseQuietWriteReply("NF O12");
  EXPECT_EQ(nf.kind, QuietWriteReply::kNotFound);
  EXPECT_EQ(nf.opaque, 12u);
  EXPECT_EQ(ParseQuietWriteReply("NF O5 kzz").kind, QuietWriteReply::kNotFound);
  EXPECT_EQ(ParseQuietWriteReply("NF O0").kind, QuietWriteReply::kNotFound);
  // Errors carry no opaque; an NF without one cannot be placed either.
  for (const char* refusal : {"SERVER_ERROR object too large for cache", "SERVER_ERROR out of memory storing object",
                              "CLIENT_ERROR bad data chunk", "ERROR", "NS", "EX O3", "NF"})
    EXPECT_EQ(ParseQuietWriteReply(refusal).kind, QuietWriteReply::kRefusal) << refusal;
  for (const char* odd : {"HD", "STORED", "MNX", "NF Ox", "NF O1 O2", "NF O99999999999", "NS c5", " NS", "NF O06", ""})
    EXPECT_EQ(ParseQuietWriteReply(odd).kind, QuietWriteReply::kUnexpected) << odd;
}

}  // namespace
}  // namespace mctable
