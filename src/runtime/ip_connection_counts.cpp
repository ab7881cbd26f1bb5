#include "runtime/ip_connection_counts.h"

#include <utility>

namespace certgate::runtime {

IpConnectionCounts::Slot& IpConnectionCounts::Slot::operator=(Slot&& other) noexcept {
  if (this == &other) return *this;
  release();
  owner_ = std::exchange(other.owner_, nullptr);
  address_ = other.address_;
  return *this;
}

void IpConnectionCounts::Slot::release() {
  if (owner_) owner_->give_back(address_);
  owner_ = nullptr;
}

bool IpConnectionCounts::try_take(const net::asio::ip::address& address, std::size_t limit, Slot& slot) {
  {
    std::lock_guard lock(mutex_);
    auto& n = counts_[address];
    if (n >= limit) {
      if (n == 0) counts_.erase(address);
      return false;
    }
    ++n;
  }
  slot = Slot();
  slot.owner_ = this;
  slot.address_ = address;
  return true;
}

std::size_t IpConnectionCounts::count(const net::asio::ip::address& address) {
  std::lock_guard lock(mutex_);
  const auto it = counts_.find(address);
  return it == counts_.end() ? 0 : it->second;
}

void IpConnectionCounts::give_back(const net::asio::ip::address& address) {
  std::lock_guard lock(mutex_);
  const auto it = counts_.find(address);
  if (it == counts_.end()) return;
  if (--it->second == 0) counts_.erase(it);  // the map holds only addresses with connections
}

}  // namespace certgate::runtime
