// Connections per client address across all workers, for limits.max_connections_per_ip. Shared by the
// workers (SO_REUSEPORT spreads one address's connections over all of them), so a mutex guards the map;
// it is only touched when the limit is set, once when a connection opens and once when it closes.
#pragma once

#include <cstddef>
#include <mutex>
#include <unordered_map>

#include "net/asio.h"

namespace certgate::runtime {

class IpConnectionCounts {
 public:
  // One connection's place in its address's count, given back when the connection ends.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept { *this = std::move(other); }
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }

   private:
    friend class IpConnectionCounts;
    void release();
    IpConnectionCounts* owner_ = nullptr;
    net::asio::ip::address address_;
  };

  // Takes a place for `address`; false when it already has `limit` connections.
  bool try_take(const net::asio::ip::address& address, std::size_t limit, Slot& slot);
  std::size_t count(const net::asio::ip::address& address);

 private:
  void give_back(const net::asio::ip::address& address);

  std::mutex mutex_;
  std::unordered_map<net::asio::ip::address, std::size_t> counts_;
};

}  // namespace certgate::runtime
