// ServerList; see server_list.h.
#include "table/sql/server_list.h"

#include <unistd.h>

namespace mctable {

std::vector<std::string> SplitHostList(std::string_view hosts) {
  std::vector<std::string> names;
  const std::string_view separators = " \t\r\n,";
  size_t pos = 0;
  while ((pos = hosts.find_first_not_of(separators, pos)) != std::string_view::npos) {
    size_t end = hosts.find_first_of(separators, pos);
    if (end == std::string_view::npos) end = hosts.size();
    names.emplace_back(hosts.substr(pos, end - pos));
    pos = end;
  }
  if (names.empty()) names.emplace_back("localhost");
  return names;
}

ServerList::ServerList(std::vector<ServerAddress> servers, int retry_interval_seconds,
                       int idle_interval_seconds)
    : retry_interval_(retry_interval_seconds),
      idle_interval_(idle_interval_seconds),
      random_(static_cast<unsigned>(std::random_device{}()) ^ static_cast<unsigned>(::getpid())) {
  for (ServerAddress& address : servers) servers_.push_back(Server{std::move(address)});
}

bool ServerList::Eligible(const Server& server, bool active, std::time_t now) const {
  if (active) return server.state == State::kActive;
  if (server.state == State::kUntried) return true;
  return server.state == State::kFailed && now >= server.retry_at;
}

size_t ServerList::PickRandom(bool active, ServerAddress::Kind kind, std::time_t now) {
  size_t count = 0;
  for (const Server& server : servers_)
    if (server.address.kind == kind && Eligible(server, active, now)) ++count;
  if (count == 0) return kNone;
  size_t chosen = count == 1 ? 0 : std::uniform_int_distribution<size_t>(0, count - 1)(random_);
  for (size_t i = 0; i < servers_.size(); ++i) {
    const Server& server = servers_[i];
    if (server.address.kind == kind && Eligible(server, active, now) && chosen-- == 0) return i;
  }
  return kNone;
}

size_t ServerList::PickConnected(std::time_t now, std::vector<size_t>* to_close) {
  to_close->clear();
  for (size_t i = 0; i < servers_.size(); ++i) {
    Server& server = servers_[i];
    if (server.state == State::kActive && now - server.last_used >= idle_interval_) {
      server.state = State::kUntried;
      to_close->push_back(i);
    }
  }
  for (ServerAddress::Kind kind :
       {ServerAddress::Kind::kUnix, ServerAddress::Kind::kInet, ServerAddress::Kind::kUri}) {
    size_t i = PickRandom(true, kind, now);
    if (i != kNone) return i;
  }
  return kNone;
}

size_t ServerList::PickToConnect(std::time_t now) {
  for (ServerAddress::Kind kind :
       {ServerAddress::Kind::kUnix, ServerAddress::Kind::kInet, ServerAddress::Kind::kUri}) {
    size_t i = PickRandom(false, kind, now);
    if (i != kNone) return i;
  }
  return kNone;
}

void ServerList::Connected(size_t i, std::time_t now) {
  servers_[i].state = State::kActive;
  servers_[i].last_used = now;
}

void ServerList::Failed(size_t i, std::time_t now) {
  servers_[i].state = State::kFailed;
  servers_[i].retry_at = now + retry_interval_;
}

void ServerList::Closed(size_t i) { servers_[i].state = State::kUntried; }

long ServerList::SecondsUntilRetry(std::time_t now) const {
  long wait = -1;
  for (const Server& server : servers_) {
    if (server.state != State::kFailed) return 0;
    long left = server.retry_at > now ? static_cast<long>(server.retry_at - now) : 0;
    if (wait < 0 || left < wait) wait = left;
  }
  return wait < 0 ? 0 : wait;
}

}  // namespace mctable
