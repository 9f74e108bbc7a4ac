// Unit tests of the memcache listener's command parser and replies,
// including Postfix's dict_memcache command forms and the replies it takes.
#include "daemon/memcache_protocol.h"

#include <gtest/gtest.h>

#include "daemon/listener_protocol.h"

namespace mctable {
namespace {

constexpr size_t kLine = 64;
constexpr size_t kValue = 32;

MemcacheParse Parse(std::string_view input) { return ParseMemcacheRequest(input, kLine, kValue); }

TEST(MemcacheProtocol, PostfixSetFormIsOneRequestWithFlagsTtlAndExactBytes) {
  // dict_memcache: "set %s %d %d %ld" then the data and CRLF.
  const std::string value("a\0\r\nb", 5);  // binary, with a line ending inside
  const std::string input = "set verify:a@example.com 0 3600 5\r\n" + value + "\r\nget x\r\n";
  MemcacheParse p = Parse(input);
  ASSERT_EQ(p.status, ParseStatus::kRequest);
  EXPECT_EQ(p.request.command, MemcacheCommand::kSet);
  ASSERT_EQ(p.request.keys.size(), 1u);
  EXPECT_EQ(p.request.keys[0], "verify:a@example.com");
  EXPECT_EQ(p.request.flags, 0u);
  EXPECT_EQ(p.request.exptime, 3600);
  EXPECT_EQ(p.request.value, value);
  EXPECT_FALSE(p.request.noreply);
  EXPECT_EQ(p.consumed, input.find("get x"));
}

TEST(MemcacheProtocol, SetKeepsFlagsNegativeTtlAndNoreply) {
  MemcacheParse p = Parse("set k 4294967295 -1 0 noreply\r\n\r\n");
  ASSERT_EQ(p.status, ParseStatus::kRequest);
  EXPECT_EQ(p.request.flags, 4294967295u);
  EXPECT_EQ(p.request.exptime, -1);
  EXPECT_EQ(p.request.value, "");
  EXPECT_TRUE(p.request.noreply);
}

TEST(MemcacheProtocol, BareDeleteAndItsOlderForms) {
  MemcacheParse p = Parse("delete verify:a@example.com\r\n");
  ASSERT_EQ(p.status, ParseStatus::kRequest);
  EXPECT_EQ(p.request.command, MemcacheCommand::kDelete);
  EXPECT_EQ(p.request.keys[0], "verify:a@example.com");
  EXPECT_EQ(Parse("delete k 0\r\n").status, ParseStatus::kRequest);
  p = Parse("delete k 0 noreply\r\n");
  ASSERT_EQ(p.status, ParseStatus::kRequest);
  EXPECT_TRUE(p.request.noreply);
  p = Parse("delete k 5\r\n");
  EXPECT_EQ(p.status, ParseStatus::kBadRequest);
  EXPECT_EQ(p.error, "bad command line format.  Usage: delete <key> [noreply]");
}

TEST(MemcacheProtocol, GetTakesManyKeysInOrderAndABareNewline) {
  MemcacheParse p = Parse("get a  b c\n");
  ASSERT_EQ(p.status, ParseStatus::kRequest);
  EXPECT_EQ(p.request.command, MemcacheCommand::kGet);
  EXPECT_EQ(p.request.keys, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(p.consumed, 11u);
  EXPECT_EQ(Parse("gets a\r\n").request.command, MemcacheCommand::kGets);
}

TEST(MemcacheProtocol, UnknownAndEmptyCommandsAreErrorWithoutClosing) {
  for (std::string_view line : {"add k 0 0 1\r\n", "\r\n", "GET k\r\n", "get\r\n", "cas k 0 0 1 1\r\n",
                                "stats\r\n", "version x\r\n"}) {
    MemcacheParse p = Parse(line);
    EXPECT_EQ(p.status, ParseStatus::kRequest) << line;
    EXPECT_EQ(p.request.command, MemcacheCommand::kUnknown) << line;
    EXPECT_EQ(p.consumed, line.size()) << line;
  }
  EXPECT_EQ(Parse("version\r\n").request.command, MemcacheCommand::kVersion);
  EXPECT_EQ(Parse("quit\r\n").request.command, MemcacheCommand::kQuit);
}

TEST(MemcacheProtocol, IncompleteInputNeedsMore) {
  EXPECT_EQ(Parse("get k").status, ParseStatus::kNeedMore);
  EXPECT_EQ(Parse("set k 0 0 5\r\nab").status, ParseStatus::kNeedMore);
  EXPECT_EQ(Parse("set k 0 0 5\r\nabcde").status, ParseStatus::kNeedMore);
  EXPECT_EQ(Parse("set k 0 0 5\r\nabcde\r").status, ParseStatus::kNeedMore);
}

TEST(MemcacheProtocol, ALineWithoutEndIsAFramingErrorAtTheLimit) {
  EXPECT_EQ(Parse(std::string(kLine, 'x')).status, ParseStatus::kNeedMore);
  MemcacheParse p = Parse(std::string(kLine + 1, 'x'));
  EXPECT_EQ(p.status, ParseStatus::kFramingError);
  EXPECT_EQ(p.error, "line longer than 64 bytes");
  EXPECT_EQ(Parse("get " + std::string(kLine, 'k') + "\r\n").status, ParseStatus::kFramingError);
}

TEST(MemcacheProtocol, OversizedValueIsRefusedAndItsDataDropped) {
  MemcacheParse p = Parse("set k 0 0 1000000\r\nxxxx");
  ASSERT_EQ(p.status, ParseStatus::kBadRequest);
  EXPECT_EQ(p.consumed, 19u);
  EXPECT_EQ(p.discard, 1000002u);
  EXPECT_EQ(p.error, "value of 1000000 bytes is larger than the limit of 32 bytes");
}

TEST(MemcacheProtocol, ValueLongerThanDeclaredCostsOneClientError) {
  MemcacheParse p = Parse("set k 0 0 3\r\nabcdef\r\nget k\r\n");
  ASSERT_EQ(p.status, ParseStatus::kBadRequest);
  EXPECT_EQ(p.error, "bad data chunk");
  EXPECT_EQ(p.consumed, std::string("set k 0 0 3\r\nabcdef\r\n").size());
  EXPECT_EQ(Parse("set k 0 0 3\r\nabcdef").status, ParseStatus::kNeedMore);
}

TEST(MemcacheProtocol, MalformedSetLinesAreClientErrorsAndTheirDataIsNotACommand) {
  MemcacheParse p = Parse("set k x 0 3\r\n");
  ASSERT_EQ(p.status, ParseStatus::kBadRequest);
  EXPECT_EQ(p.error, "bad command line format");
  EXPECT_EQ(p.discard, 5u);  // "get\r\n" sent as data must not run
  EXPECT_EQ(Parse("set k 0 0\r\n").status, ParseStatus::kBadRequest);
  EXPECT_EQ(Parse("set k 0 0 -1\r\n").status, ParseStatus::kBadRequest);
  EXPECT_EQ(Parse("set k -1 0 1\r\n").status, ParseStatus::kBadRequest);
  EXPECT_EQ(Parse("set k 0 0 1 extra\r\n").status, ParseStatus::kBadRequest);
  EXPECT_EQ(Parse("set k 0 0 99999999999999999999999\r\n").status, ParseStatus::kBadRequest);
  EXPECT_EQ(Parse(std::string("get a\x01z\r\n")).status, ParseStatus::kBadRequest);
}

TEST(MemcacheProtocol, RepliesByteForByte) {
  EXPECT_EQ(MemcacheValue("k", 7, std::string("a\0b", 3), false), std::string("VALUE k 7 3\r\na\0b\r\n", 18));
  EXPECT_EQ(MemcacheValue("k", 0, "", true), "VALUE k 0 0 0\r\n\r\n");
  EXPECT_EQ(kMemcacheEnd, "END\r\n");
  EXPECT_EQ(kMemcacheStored, "STORED\r\n");
  EXPECT_EQ(kMemcacheDeleted, "DELETED\r\n");
  EXPECT_EQ(kMemcacheNotFound, "NOT_FOUND\r\n");
  EXPECT_EQ(MemcacheServerError("down\r\nSTORED"), "SERVER_ERROR down\\x0d\\x0aSTORED\r\n");
  EXPECT_EQ(MemcacheClientError(std::string(300, 'x')).size(), 13u + 200u + 2u);
}

// The listener's formatting of a request's answers (memcache_listener.cc).
TEST(MemcacheListener, GetRepliesGatherFoundKeysInOrderThenEnd) {
  const ListenerProtocol& p = MemcacheProtocol();
  ParsedCommand c = p.Parse("get a b c\r\n", ParseLimits{100});
  ASSERT_EQ(c.request.op, Operation::kGet);
  std::vector<KeyAnswer> answers = {{Status::OK(), "1", 3}, {Status::NotFound(), "", 0},
                                    {Status::OK(), "33", 0}};
  EXPECT_EQ(p.Reply(c.request, answers), "VALUE a 3 1\r\n1\r\nVALUE c 0 2\r\n33\r\nEND\r\n");
  answers = {{Status::NotFound(), "", 0}, {Status::NotFound(), "", 0}, {Status::NotFound(), "", 0}};
  EXPECT_EQ(p.Reply(c.request, answers), "END\r\n");
  answers[1].status = Status::TempError("127.0.0.1:1: Connection refused");
  EXPECT_EQ(p.Reply(c.request, answers), "SERVER_ERROR 127.0.0.1:1: Connection refused\r\n");
  answers[2].status = Status::Refused("key too long");
  EXPECT_EQ(p.Reply(c.request, answers), "CLIENT_ERROR key too long\r\n");
}

TEST(MemcacheListener, WritesAreStoredDeletedOrNotFoundNeverNotStored) {
  const ListenerProtocol& p = MemcacheProtocol();
  ParsedCommand set = p.Parse("set k 1 2 1\r\nv\r\n", ParseLimits{100});
  ASSERT_EQ(set.request.op, Operation::kSet);
  EXPECT_EQ(set.request.flags, 1u);
  EXPECT_EQ(set.request.ttl, 2);
  std::vector<KeyAnswer> one = {{Status::OK(), "", 0}};
  EXPECT_EQ(p.Reply(set.request, one), "STORED\r\n");
  one[0].status = Status::TempError("timed out");
  EXPECT_EQ(p.Reply(set.request, one), "SERVER_ERROR timed out\r\n");
  ParsedCommand del = p.Parse("delete k\r\n", ParseLimits{100});
  one[0].status = Status::OK();
  EXPECT_EQ(p.Reply(del.request, one), "DELETED\r\n");
  one[0].status = Status::NotFound();
  EXPECT_EQ(p.Reply(del.request, one), "NOT_FOUND\r\n");
  ParsedCommand quiet = p.Parse("set k 0 0 1 noreply\r\nv\r\n", ParseLimits{100});
  EXPECT_EQ(p.Reply(quiet.request, one), "");
  EXPECT_EQ(p.Parse("flush_all\r\n", ParseLimits{}).request.reply, "ERROR\r\n");
  EXPECT_EQ(p.Parse("version\r\n", ParseLimits{}).request.reply, "VERSION mctabled\r\n");
  EXPECT_TRUE(p.Parse("quit\r\n", ParseLimits{}).request.close);
  EXPECT_EQ(p.ErrorReply(ErrorKind::kPermanent, "bad"), "CLIENT_ERROR bad\r\n");
}

}  // namespace
}  // namespace mctable
