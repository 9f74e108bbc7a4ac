// Ketama and modula placement, following the facts of twemproxy's
// src/hashkit/nc_ketama.c, nc_modula.c and src/nc_conf.c (server names)
// as described in continuum.h.
#include "memcache/continuum.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace mctable {
namespace {

constexpr uint32_t kKetamaPointsPerServer = 160;
constexpr uint32_t kKetamaPointsPerName = 4;

// Points of one server.  The expression keeps twemproxy's types: single
// precision throughout, the tiny addend in double, the sum back to float.
uint32_t KetamaPoints(uint32_t weight, uint32_t total_weight, uint32_t live_servers) {
  float pct = static_cast<float>(weight) / static_cast<float>(total_weight);
  float scaled = pct * static_cast<float>(kKetamaPointsPerServer) / 4.0f *
                 static_cast<float>(live_servers);
  float sum = static_cast<float>(static_cast<double>(scaled) + 0.0000000001);
  return static_cast<uint32_t>(std::floor(sum) * 4.0f);
}

}  // namespace

void Continuum::Build(Distribution distribution, const std::vector<ServerPoint>& servers,
                      const std::vector<bool>& live) {
  distribution_ = distribution;
  points_.clear();
  values_.clear();
  uint32_t live_servers = 0, total_weight = 0;
  for (size_t i = 0; i < servers.size(); ++i) {
    if (!live[i]) continue;
    ++live_servers;
    total_weight += servers[i].weight;
  }
  if (live_servers == 0) return;
  if (distribution == Distribution::kModula) {
    // twemproxy sorts its servers by name (shorter names first) when it
    // checks its configuration, and modula keeps that order.
    std::vector<uint32_t> order(servers.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      const std::string& x = servers[a].name;
      const std::string& y = servers[b].name;
      return x.size() != y.size() ? x.size() < y.size() : x < y;
    });
    for (uint32_t i : order)
      if (live[i])
        for (uint32_t w = 0; w < servers[i].weight; ++w) points_.push_back({0, i});
    return;
  }
  std::string point_name;
  for (size_t i = 0; i < servers.size(); ++i) {
    if (!live[i]) continue;
    uint32_t points = KetamaPoints(servers[i].weight, total_weight, live_servers);
    for (uint32_t n = 0; n < points / kKetamaPointsPerName; ++n) {
      point_name = servers[i].name;
      point_name += '-';
      point_name += std::to_string(n);
      std::array<uint8_t, 16> d = Md5Digest(point_name);
      for (uint32_t word = 0; word < kKetamaPointsPerName; ++word) {
        const uint8_t* b = d.data() + 4 * word;
        uint32_t value = uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 |
                         uint32_t{b[3]} << 24;
        points_.push_back({value, static_cast<uint32_t>(i)});
      }
    }
  }
  std::sort(points_.begin(), points_.end(), [](const Point& a, const Point& b) {
    return a.value != b.value ? a.value < b.value : a.server < b.server;
  });
  values_.clear();
  for (const Point& p : points_) values_.push_back(p.value);
}

size_t Continuum::ServerFor(uint32_t hash) const {
  if (distribution_ == Distribution::kModula) return points_[hash % points_.size()].server;
  return points_[FirstPointFor(hash)].server;
}

size_t Continuum::FirstPointFor(uint32_t hash) const {
  // The first point >= hash (a lower bound written without branches on the
  // data: every key takes this path, and its hash is random), wrapping.
  const uint32_t* base = values_.data();
  size_t n = values_.size();
  while (n > 1) {
    size_t half = n / 2;
    base = base[half - 1] < hash ? base + half : base;
    n -= half;
  }
  size_t first = static_cast<size_t>(base - values_.data()) + (*base < hash);
  return first == points_.size() ? 0 : first;
}

void Continuum::CopiesFor(uint32_t hash, size_t copies, size_t server_count,
                          std::vector<size_t>* out) const {
  out->clear();
  if (distribution_ == Distribution::kModula) {
    const size_t first = ServerFor(hash);
    out->push_back(first);
    // The next servers in list order, wrapping.
    for (size_t k = 1; out->size() < copies && k < server_count; ++k) {
      size_t s = (first + k) % server_count;
      if (std::find(out->begin(), out->end(), s) == out->end()) out->push_back(s);
    }
    return;
  }
  // The key's point (ServerFor's), then the next distinct servers met
  // walking on from it.
  const size_t start = FirstPointFor(hash), n = points_.size();
  out->push_back(points_[start].server);
  for (size_t k = start + 1, walked = 1; out->size() < copies && walked < n; ++k, ++walked) {
    if (k == n) k = 0;  // wrapping, without a division per point
    size_t s = points_[k].server;
    if (std::find(out->begin(), out->end(), s) == out->end()) out->push_back(s);
  }
}

std::string TwemproxyPointName(const Endpoint& endpoint) {
  if (endpoint.kind == Endpoint::Kind::kUnix) return endpoint.path + ":";
  // twemproxy reads the port as a decimal number: "011211" is 11211 too.
  const std::string& port = endpoint.service;
  bool numeric = !port.empty() && port.size() <= 9 &&
                 std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (numeric && std::stoul(port) == 11211) return endpoint.host;
  return endpoint.host + ":" + port;
}

}  // namespace mctable
