#include "daemon/daemon_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace mctable {
namespace {

TEST(DaemonConfig, Listeners) {
  ListenerSpec l;
  ASSERT_TRUE(ParseListenerSpec("socketmap:unix:/run/m/sock", &l).ok());
  EXPECT_TRUE(l.unix_socket);
  EXPECT_EQ(l.path, "/run/m/sock");
  ASSERT_TRUE(ParseListenerSpec("socketmap:inet:127.0.0.1:2000", &l).ok());
  EXPECT_FALSE(l.unix_socket);
  EXPECT_EQ(l.host, "127.0.0.1");
  EXPECT_EQ(l.port, "2000");
  ASSERT_TRUE(ParseListenerSpec("tcp:[::1]:2001=aliases", &l).ok());
  EXPECT_EQ(l.kind, ListenerKind::kTcp);
  EXPECT_EQ(l.host, "::1");
  EXPECT_EQ(l.map_name, "aliases");
  ASSERT_TRUE(ParseListenerSpec("stats:unix:/tmp/s", &l).ok());
  EXPECT_EQ(l.kind, ListenerKind::kStats);
  ASSERT_TRUE(ParseListenerSpec("memcache:unix:/var/spool/postfix/private/a=b=verify", &l).ok());
  EXPECT_EQ(l.kind, ListenerKind::kMemcache);
  EXPECT_TRUE(l.unix_socket);
  EXPECT_EQ(l.path, "/var/spool/postfix/private/a=b");
  EXPECT_EQ(l.map_name, "verify");
  ASSERT_TRUE(ParseListenerSpec("memcache:inet:127.0.0.1:11311=verify", &l).ok());
  EXPECT_EQ(l.port, "11311");
  EXPECT_EQ(l.map_name, "verify");
  for (const char* bad : {"socketmap:unix:relative", "tcp:127.0.0.1:2001", "tcp:127.0.0.1=m",
                          "memcache:unix:/run/sock", "memcache:inet:127.0.0.1:1=", "memcache:tcp:h:1=m",
                          "socketmap:inet:host", "socketmap:inet:h:99999", "udp:x:1",
                          "socketmap:inet:h:12a"}) {
    Status s = ParseListenerSpec(bad, &l);
    EXPECT_TRUE(s.IsConfigError()) << bad;
    EXPECT_NE(s.message().find(bad), std::string::npos) << s.message();
  }
}

TEST(DaemonConfig, Maps) {
  MapSpec m;
  ASSERT_TRUE(ParseMapSpec("aliases=memcache:/etc/postfix/mc.cf", &m).ok());
  EXPECT_EQ(m.name, "aliases");
  EXPECT_EQ(m.table, "memcache:/etc/postfix/mc.cf");
  EXPECT_FALSE(ParseMapSpec("aliases", &m).ok());
  EXPECT_FALSE(ParseMapSpec("=memcache:x", &m).ok());
  EXPECT_FALSE(ParseMapSpec("a b=memcache:x", &m).ok());
  EXPECT_FALSE(ParseMapSpec("a=nocolon", &m).ok());
}

TEST(DaemonConfig, FileDirectivesAndErrorsNameTheLine) {
  std::string path = ::testing::TempDir() + "/mctabled_config_test.conf";
  {
    std::ofstream f(path);
    f << "# comment\n\nmap a=inline:{x=1}\nlisten tcp:127.0.0.1:1=a\nidle_timeout 7\n"
         "max_pipeline 3\nsocket_mode 0660\nsyslog yes\n";
  }
  DaemonConfig config;
  ASSERT_TRUE(LoadConfigFile(path, &config).ok());
  EXPECT_EQ(config.maps.size(), 1u);
  EXPECT_EQ(config.listeners.size(), 1u);
  EXPECT_EQ(config.idle_timeout_seconds, 7);
  EXPECT_EQ(config.max_pipeline, 3u);
  EXPECT_EQ(config.socket_mode, 0660u);
  EXPECT_TRUE(config.syslog);
  EXPECT_TRUE(ValidateConfig(config).ok());
  {
    std::ofstream f(path);
    f << "map a=inline:{x=1}\nidle_timeout -3\n";
  }
  DaemonConfig second;
  Status s = LoadConfigFile(path, &second);
  EXPECT_TRUE(s.IsConfigError());
  EXPECT_NE(s.message().find(path + ": line 2: bad idle_timeout"), std::string::npos) << s.message();
  EXPECT_TRUE(second.maps.empty()) << "a failed load changes nothing";
  std::remove(path.c_str());
  EXPECT_NE(LoadConfigFile(path, &second).message().find("open " + path), std::string::npos);
}

TEST(DaemonConfig, Validation) {
  DaemonConfig config;
  EXPECT_FALSE(ValidateConfig(config).ok());
  config.maps.push_back({"a", "inline:{x=1}"});
  ListenerSpec l;
  ASSERT_TRUE(ParseListenerSpec("tcp:127.0.0.1:1=b", &l).ok());
  config.listeners.push_back(l);
  EXPECT_NE(ValidateConfig(config).message().find("no defined map \"b\""), std::string::npos);
  config.maps.push_back({"b", "inline:{x=1}"});
  EXPECT_TRUE(ValidateConfig(config).ok());
  config.maps.push_back({"b", "inline:{x=2}"});
  EXPECT_NE(ValidateConfig(config).message().find("defined twice"), std::string::npos);
}

}  // namespace
}  // namespace mctable
