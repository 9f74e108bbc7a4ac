#include "memcache/endpoint.h"

#include <gtest/gtest.h>

namespace mctable {
namespace {

TEST(EndpointTest, Inet) {
  Endpoint e;
  ASSERT_TRUE(ParseEndpoint("inet:127.0.0.1:11211", "f.cf", &e).ok());
  EXPECT_EQ(e.kind, Endpoint::Kind::kInet);
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.service, "11211");
  EXPECT_EQ(e.ToString(), "127.0.0.1:11211");
  ASSERT_TRUE(ParseEndpoint("inet:memcache.example.com:memcache", "f.cf", &e).ok());
  EXPECT_EQ(e.host, "memcache.example.com");
  EXPECT_EQ(e.service, "memcache");
}

TEST(EndpointTest, Ipv6) {
  Endpoint e;
  ASSERT_TRUE(ParseEndpoint("inet:[fc00:8d00:189::3]:11211", "f.cf", &e).ok());
  EXPECT_EQ(e.host, "fc00:8d00:189::3");
  EXPECT_EQ(e.service, "11211");
  EXPECT_EQ(e.ToString(), "[fc00:8d00:189::3]:11211");
  ASSERT_TRUE(ParseEndpoint("inet:[::1]:5", "f.cf", &e).ok());
  EXPECT_EQ(e.host, "::1");
}

TEST(EndpointTest, Ipv6WithoutBracketsAsPostfixReadsIt) {
  // Postfix's host_port() takes the port after the last ":".
  Endpoint e;
  ASSERT_TRUE(ParseEndpoint("inet:::1:11211", "f.cf", &e).ok());
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.service, "11211");
  EXPECT_EQ(e.ToString(), "[::1]:11211");
  ASSERT_TRUE(ParseEndpoint("inet:fc00:8d00:189::3:memcache", "f.cf", &e).ok());
  EXPECT_EQ(e.host, "fc00:8d00:189::3");
  EXPECT_EQ(e.service, "memcache");
  // Without a port there is no address: "::1" splits into ":" and "1"
  // (Postfix: "valid hostname or network address required").
  EXPECT_TRUE(ParseEndpoint("inet:::1", "f.cf", &e).IsConfigError());
  Status s = ParseEndpoint("inet:a:b:11211", "f.cf", &e);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_EQ(s.message(), "f.cf: invalid memcache parameter value \"inet:a:b:11211\": a host with "
                         "\":\" must be an IPv6 address");
}

TEST(EndpointTest, Unix) {
  Endpoint e;
  ASSERT_TRUE(ParseEndpoint("unix:/path/to/socket", "f.cf", &e).ok());
  EXPECT_EQ(e.kind, Endpoint::Kind::kUnix);
  EXPECT_EQ(e.path, "/path/to/socket");
}

TEST(EndpointTest, Malformed) {
  Endpoint e;
  for (const char* bad : {"", "127.0.0.1:11211", "inet:", "inet:host", "inet:host:", "inet::11211",
                          "inet:[::1]", "inet:[::1]11211", "inet:[host]:1", "inet:::1:",
                          "inet:1:2::x:11211",
                          "unix:", "tcp:host:1", "inet:ho st:1", "inet:host:1 2"}) {
    Status s = ParseEndpoint(bad, "/etc/postfix/mc.cf", &e);
    EXPECT_TRUE(s.IsConfigError()) << bad;
    EXPECT_NE(s.message().find("/etc/postfix/mc.cf: invalid memcache parameter value"),
              std::string::npos)
        << s.message();
  }
}

}  // namespace
}  // namespace mctable
