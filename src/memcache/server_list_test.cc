#include "memcache/server_list.h"

#include <gtest/gtest.h>

namespace mctable {
namespace {

TEST(ServerListTest, OneEndpointAsBefore) {
  std::vector<ServerConfig> servers;
  ASSERT_TRUE(ParseServerList("inet:127.0.0.1:11211", "mc.cf", &servers).ok());
  ASSERT_EQ(servers.size(), 1u);
  EXPECT_EQ(servers[0].endpoint.ToString(), "127.0.0.1:11211");
  EXPECT_EQ(servers[0].weight, 1u);
  EXPECT_EQ(servers[0].name, "127.0.0.1");
}

TEST(ServerListTest, CommasAndOrWhitespace) {
  std::vector<ServerConfig> servers;
  ASSERT_TRUE(ParseServerList(" inet:a:11211,inet:b:11212 , unix:/run/mc.sock\n\tinet:[::1]:5 ",
                              "mc.cf", &servers)
                  .ok());
  ASSERT_EQ(servers.size(), 4u);
  EXPECT_EQ(servers[0].name, "a");
  EXPECT_EQ(servers[1].name, "b:11212");
  EXPECT_EQ(servers[2].endpoint.path, "/run/mc.sock");
  EXPECT_EQ(servers[2].name, "/run/mc.sock:");
  EXPECT_EQ(servers[3].name, "::1:5");
}

TEST(ServerListTest, Attributes) {
  std::vector<ServerConfig> servers;
  ASSERT_TRUE(ParseServerList("{ inet:a:11211 weight=3 name=mc-1 }, {inet:b:1 weight=10000},"
                              "{ unix:/s name=sock }",
                              "mc.cf", &servers)
                  .ok());
  ASSERT_EQ(servers.size(), 3u);
  EXPECT_EQ(servers[0].weight, 3u);
  EXPECT_EQ(servers[0].name, "mc-1");
  EXPECT_EQ(servers[1].weight, 10000u);
  EXPECT_EQ(servers[1].name, "b:1");
  EXPECT_EQ(servers[2].weight, 1u);
  EXPECT_EQ(servers[2].name, "sock");
}

TEST(ServerListTest, ErrorsNameTheFileAndTheElement) {
  struct Case {
    const char* value;
    const char* message;
  } cases[] = {
      {"", "/etc/postfix/mc.cf: invalid memcache parameter value \"\": no server"},
      {" , ", "/etc/postfix/mc.cf: invalid memcache parameter value \" , \": no server"},
      {"inet:a:1, inet:b", "/etc/postfix/mc.cf: invalid memcache parameter value \"inet:b\": missing \":port\""},
      {"inet:a:1 weight=2", "/etc/postfix/mc.cf: invalid memcache parameter value \"weight=2\": "
                            "expected inet:host:port or unix:/path/name"},
      {"{ inet:a:1 weight=0 }",
       "/etc/postfix/mc.cf: invalid memcache parameter value \"{ inet:a:1 weight=0 }\": weight must "
       "be a number from 1 to 10000"},
      {"{ inet:a:1 weight=10001 }",
       "/etc/postfix/mc.cf: invalid memcache parameter value \"{ inet:a:1 weight=10001 }\": weight "
       "must be a number from 1 to 10000"},
      {"{ inet:a:1 weight=1x }",
       "/etc/postfix/mc.cf: invalid memcache parameter value \"{ inet:a:1 weight=1x }\": weight "
       "must be a number from 1 to 10000"},
      {"{ inet:a:1 weight=1 weight=2 }",
       "/etc/postfix/mc.cf: invalid memcache parameter value \"{ inet:a:1 weight=1 weight=2 }\": "
       "weight given twice"},
      {"{ inet:a:1 name= }",
       "/etc/postfix/mc.cf: invalid memcache parameter value \"{ inet:a:1 name= }\": name must be "
       "1 to 255 printable characters"},
      {"{ inet:a:1 port=2 }",
       "/etc/postfix/mc.cf: invalid memcache parameter value \"{ inet:a:1 port=2 }\": unknown "
       "attribute \"port=2\" (expected weight=N or name=TEXT)"},
      {"{ inet:a:1", "/etc/postfix/mc.cf: invalid memcache parameter value \"{ inet:a:1\": missing "
                     "'}' in \"{ inet:a:1\""},
      {"{ }", "/etc/postfix/mc.cf: invalid memcache parameter value \"{ }\": no endpoint inside \"{}\""},
      {"inet:a:11211, inet:a:11211",
       "/etc/postfix/mc.cf: invalid memcache parameter value \"inet:a:11211\": two servers are "
       "named \"a\" on the continuum"},
      {"inet:a:11211, { inet:b:2 name=a }",
       "/etc/postfix/mc.cf: invalid memcache parameter value \"{ inet:b:2 name=a }\": two servers "
       "are named \"a\" on the continuum"},
  };
  for (const Case& c : cases) {
    std::vector<ServerConfig> servers;
    Status s = ParseServerList(c.value, "/etc/postfix/mc.cf", &servers);
    EXPECT_TRUE(s.IsConfigError()) << c.value;
    EXPECT_EQ(s.message(), c.message) << c.value;
  }
}

TEST(ServerListTest, AtMostMaxServers) {
  std::string value;
  for (size_t i = 0; i <= kMaxServers; ++i) value += "inet:h" + std::to_string(i) + ":1 ";
  std::vector<ServerConfig> servers;
  Status s = ParseServerList(value, "mc.cf", &servers);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_NE(s.message().find("more than 1000 servers"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace mctable
