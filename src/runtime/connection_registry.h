// Every live connection of a worker, and every upstream exchange in flight, for three jobs that must not
// cost anything per request: deadlines (an entry stores a time point; the worker's tick enforces it),
// draining at shutdown, and the connection caps (which connections are still in their TLS handshake,
// oldest first). Intrusive lists: registering and leaving allocate nothing, and the counts are kept on
// the side because a list's own size() walks it (O(n) per accepted connection at 10,000 connections).
#pragma once

#include <boost/intrusive/list.hpp>
#include <chrono>

#include "runtime/ip_connection_counts.h"
#include "runtime/worker_metrics.h"

namespace certgate::runtime {

using Clock = std::chrono::steady_clock;

class ConnectionRegistry;
struct HandshakingTag;

using AutoUnlink = boost::intrusive::link_mode<boost::intrusive::auto_unlink>;
using HandshakingHook = boost::intrusive::list_base_hook<boost::intrusive::tag<HandshakingTag>, AutoUnlink>;

// Something with a deadline: a connection, or one request's exchange with its upstream (several per
// connection once a protocol multiplexes requests).
class Watched : public boost::intrusive::list_base_hook<AutoUnlink> {
 public:
  virtual ~Watched() = default;

  void arm(Clock::duration timeout) { deadline_ = Clock::now() + timeout; }
  void arm_until(Clock::time_point deadline) { deadline_ = deadline; }
  void disarm() { deadline_ = Clock::time_point::max(); }
  Clock::time_point deadline() const { return deadline_; }

  // Called by the tick once the deadline has passed (the deadline is cleared first).
  virtual void on_deadline() = 0;
  // Called once when the worker starts draining: idle connections close now, busy ones after
  // their current response.
  virtual void on_drain() {}
  // Called on every tick: a connection idle for a while gives its buffers back.
  virtual void on_tick(Clock::time_point /*now*/) {}

 private:
  friend class ConnectionRegistry;
  // The registry is going away first (frames destroyed with the io_context): nothing left to count down.
  virtual void forget_registry() {}
  Clock::time_point deadline_ = Clock::time_point::max();
};

class WatchedConnection : public Watched, public HandshakingHook {
 public:
  ~WatchedConnection() override;

  // Called when the connection, still in its TLS handshake, must make room for a newer one
  // (limits.max_handshaking_connections): it closes now.
  virtual void on_yield() = 0;

  bool handshaking() const { return HandshakingHook::is_linked(); }
  // Keeps the connection's place in limits.max_connections_per_ip until it ends.
  void hold(IpConnectionCounts::Slot slot) { ip_slot_ = std::move(slot); }
  // Keeps the connection counted in its listener's open-connection gauge until it ends.
  void hold(OpenConnectionToken token) { open_token_ = std::move(token); }

 private:
  friend class ConnectionRegistry;
  void forget_registry() override { registry_ = nullptr; }
  ConnectionRegistry* registry_ = nullptr;  // for the count; the hook unlinks itself
  bool yielded_ = false;                    // closing to make room: counted as neither state
  IpConnectionCounts::Slot ip_slot_;
  OpenConnectionToken open_token_;
};

class ConnectionRegistry {
 public:
  ConnectionRegistry() = default;
  ConnectionRegistry(const ConnectionRegistry&) = delete;
  ConnectionRegistry& operator=(const ConnectionRegistry&) = delete;
  // Connections that outlive the registry (frames destroyed with the io_context) must not count down.
  ~ConnectionRegistry() {
    for (auto& c : list_)
      c.forget_registry();
  }

  // A new connection starts in its handshake.
  void add(WatchedConnection& c) {
    list_.push_back(c);
    handshaking_list_.push_back(c);
    c.registry_ = this;
    ++size_;
    ++handshaking_;
  }
  // Something that is not a connection but has a deadline (an upstream exchange): watched, not counted.
  void watch(Watched& w) { list_.push_back(w); }
  // The handshake is over (or the connection has none): it counts as established from now on.
  void established(WatchedConnection& c) {
    if (!c.handshaking()) return;
    c.HandshakingHook::unlink();
    --handshaking_;
  }
  std::size_t size() const { return size_; }
  std::size_t handshaking() const { return handshaking_; }
  std::size_t established() const { return size_ - handshaking_ - yielded_; }
  bool empty() const { return size_ == 0; }

  // The connection longest in its handshake gives way: it leaves the handshake count at once (its
  // socket closes when its coroutine next runs). False when nothing is handshaking.
  bool yield_oldest_handshake() {
    if (handshaking_list_.empty()) return false;
    auto& oldest = handshaking_list_.front();
    established(oldest);
    oldest.yielded_ = true;
    ++yielded_;
    oldest.on_yield();
    return true;
  }

  void tick(Clock::time_point now) {
    for (auto& c : list_) {
      if (c.deadline() <= now) {
        c.disarm();
        c.on_deadline();
      }
      c.on_tick(now);
    }
  }

  void drain() {
    for (auto& c : list_)
      c.on_drain();
  }

 private:
  friend class WatchedConnection;
  boost::intrusive::list<Watched, boost::intrusive::constant_time_size<false>> list_;
  boost::intrusive::list<WatchedConnection, boost::intrusive::base_hook<HandshakingHook>,
                         boost::intrusive::constant_time_size<false>>
      handshaking_list_;
  std::size_t size_ = 0;
  std::size_t handshaking_ = 0;
  std::size_t yielded_ = 0;
};

inline WatchedConnection::~WatchedConnection() {
  if (!registry_) return;
  --registry_->size_;
  if (handshaking()) --registry_->handshaking_;
  if (yielded_) --registry_->yielded_;
}

}  // namespace certgate::runtime
