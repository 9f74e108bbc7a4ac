#include "memcache/auth_exchange.h"

#include <gtest/gtest.h>

namespace mctable {
namespace {

TEST(AuthExchange, RequestIsOneSetOfUserAndPassword) {
  AuthCredentials credentials{"alice", "pa ss"};
  EXPECT_EQ(AuthRequest(credentials), "set mctable_auth 0 -1 11\r\nalice pa ss\r\n");
}

TEST(AuthExchange, StoredAdmitsAnythingElseRejects) {
  AuthReply reply("127.0.0.1:11211", "alice", 1024);
  size_t consumed = 0;
  EXPECT_EQ(reply.Consume("STOR", &consumed), ReplyConsumer::Progress::kNeedMore);
  EXPECT_EQ(reply.Consume("STORED\r\n", &consumed), ReplyConsumer::Progress::kDone);
  EXPECT_EQ(consumed, 8u);
  EXPECT_FALSE(reply.rejected());

  reply.Reset();
  EXPECT_EQ(reply.Consume("CLIENT_ERROR authentication failure\r\n", &consumed),
            ReplyConsumer::Progress::kError);
  EXPECT_TRUE(reply.rejected());
  EXPECT_EQ(reply.error(),
            "authentication failed for memcache server 127.0.0.1:11211 as alice "
            "(CLIENT_ERROR authentication failure)");

  AuthReply short_lines("h:1", "u", 8);
  EXPECT_EQ(short_lines.Consume("SERVER_ERROR out of memory\r\n", &consumed),
            ReplyConsumer::Progress::kError);
  EXPECT_NE(short_lines.error().find("reply line too long"), std::string::npos);
}

}  // namespace
}  // namespace mctable
