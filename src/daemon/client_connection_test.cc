#include "daemon/client_connection.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mctable {
namespace {

using Clock = ClientConnection::Clock;

class ClientConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    peer_ = fds[1];
    client_ = std::make_unique<ClientConnection>(1, fds[0], ListenerKind::kSocketmap, "", start_);
    config_.request_timeout_seconds = 10;
    config_.idle_timeout_seconds = 300;
  }
  void TearDown() override { ::close(peer_); }

  std::string PeerRead() {
    char buf[4096];
    ssize_t n = ::read(peer_, buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

  Clock::time_point start_ = Clock::now();
  int peer_ = -1;
  DaemonConfig config_;
  std::unique_ptr<ClientConnection> client_;
};

TEST_F(ClientConnectionTest, RepliesLeaveInRequestOrder) {
  uint64_t a = client_->TakeSlot(), b = client_->TakeSlot(), c = client_->TakeSlot();
  client_->Answer(c, "C");
  client_->Answer(b, "B");
  EXPECT_FALSE(client_->WantsWrite()) << "B and C wait for A";
  client_->Answer(a, "A");
  EXPECT_EQ(client_->unanswered(), 0u);
  ASSERT_EQ(client_->Write(start_), ClientConnection::IoResult::kOk);
  EXPECT_EQ(PeerRead(), "ABC");
  client_->Answer(a, "again");  // an unknown slot is ignored
  EXPECT_FALSE(client_->WantsWrite());
}

TEST_F(ClientConnectionTest, ReadingStopsAtThePipelineLimit) {
  for (int i = 0; i < 3; ++i) client_->TakeSlot();
  EXPECT_TRUE(client_->WantsRead(4));
  client_->TakeSlot();
  EXPECT_FALSE(client_->WantsRead(4));
}

TEST_F(ClientConnectionTest, StalledHalfRequestIdleAndUnreadReplies) {
  ASSERT_EQ(::write(peer_, "12:ali", 6), 6);
  ASSERT_EQ(client_->Read(start_), ClientConnection::IoResult::kOk);
  EXPECT_EQ(client_->input(), "12:ali");
  EXPECT_EQ(client_->Stalled(start_ + std::chrono::seconds(5), config_, 64), nullptr);
  EXPECT_STREQ(client_->Stalled(start_ + std::chrono::seconds(11), config_, 64),
               "request incomplete after request_timeout");
  client_->Consume(6, start_);
  EXPECT_EQ(client_->Stalled(start_ + std::chrono::seconds(299), config_, 64), nullptr);
  EXPECT_STREQ(client_->Stalled(start_ + std::chrono::seconds(301), config_, 64), "idle timeout");
  // Replies the peer never reads: the socket buffer fills, then the timer runs.
  std::string big(1 << 20, 'x');
  client_->Answer(client_->TakeSlot(), big);
  ASSERT_EQ(client_->Write(start_), ClientConnection::IoResult::kOk);
  EXPECT_TRUE(client_->WantsWrite());
  EXPECT_FALSE(client_->WantsRead(64)) << "no more requests while replies pile up";
  EXPECT_STREQ(client_->Stalled(Clock::now() + std::chrono::seconds(11), config_, 64),
               "client does not read its replies");
}

TEST_F(ClientConnectionTest, EofAfterRequestsClosesOnceAnswered) {
  ASSERT_EQ(::write(peer_, "x", 1), 1);
  ::shutdown(peer_, SHUT_WR);
  EXPECT_EQ(client_->Read(start_), ClientConnection::IoResult::kOk);
  EXPECT_EQ(client_->Read(start_), ClientConnection::IoResult::kClosed);
  uint64_t slot = client_->TakeSlot();
  client_->CloseWhenDone();
  EXPECT_FALSE(client_->done());
  client_->Answer(slot, "r");
  ASSERT_EQ(client_->Write(start_), ClientConnection::IoResult::kOk);
  EXPECT_TRUE(client_->done());
}

TEST_F(ClientConnectionTest, DropIncomingSkipsBytesHereAndStillToCome) {
  ASSERT_EQ(::write(peer_, "set k 0 0 10\r\nabc", 17), 17);
  ASSERT_EQ(client_->Read(start_), ClientConnection::IoResult::kOk);
  client_->Consume(14, start_);
  client_->DropIncoming(12);  // "abc" now, 9 more to come
  EXPECT_TRUE(client_->input().empty());
  ASSERT_EQ(::write(peer_, "defghij\r\nget k\r\n", 16), 16);
  ASSERT_EQ(client_->Read(start_), ClientConnection::IoResult::kOk);
  EXPECT_EQ(client_->input(), "get k\r\n");
  // A value whose rest never comes is cut off like half a request.
  client_->Consume(7, start_);
  client_->DropIncoming(1000);
  EXPECT_EQ(client_->Stalled(Clock::now(), config_, 64), nullptr);
  EXPECT_STREQ(client_->Stalled(Clock::now() + std::chrono::seconds(11), config_, 64),
               "request incomplete after request_timeout");
}

}  // namespace
}  // namespace mctable
