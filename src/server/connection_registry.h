// Every live connection of a worker, for two jobs that must not cost anything per request:
// deadlines (a connection stores a time point; the worker's tick enforces it) and draining at
// shutdown. An intrusive list: registering and leaving allocate nothing, and the count is kept on the
// side because the list's own size() walks it (O(n) per accepted connection at 10,000 connections).
#pragma once

#include <boost/intrusive/list.hpp>
#include <chrono>

namespace certgate::server {

using Clock = std::chrono::steady_clock;

class ConnectionRegistry;

class WatchedConnection
    : public boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
 public:
  virtual ~WatchedConnection();

  void arm(Clock::duration timeout) { deadline_ = Clock::now() + timeout; }
  void arm_until(Clock::time_point deadline) { deadline_ = deadline; }
  void disarm() { deadline_ = Clock::time_point::max(); }
  Clock::time_point deadline() const { return deadline_; }

  // Called by the tick once the deadline has passed (the deadline is cleared first).
  virtual void on_deadline() = 0;
  // Called once when the worker starts draining: idle connections close now, busy ones after
  // their current response.
  virtual void on_drain() = 0;
  // Called on every tick: a connection idle for a while gives its buffers back.
  virtual void on_tick(Clock::time_point /*now*/) {}

 private:
  friend class ConnectionRegistry;
  Clock::time_point deadline_ = Clock::time_point::max();
  ConnectionRegistry* registry_ = nullptr;  // for the count; the hook unlinks itself
};

class ConnectionRegistry {
 public:
  ConnectionRegistry() = default;
  ConnectionRegistry(const ConnectionRegistry&) = delete;
  ConnectionRegistry& operator=(const ConnectionRegistry&) = delete;
  // Connections that outlive the registry (frames destroyed with the io_context) must not count down.
  ~ConnectionRegistry() {
    for (auto& c : list_)
      c.registry_ = nullptr;
  }

  void add(WatchedConnection& c) {
    list_.push_back(c);
    c.registry_ = this;
    ++size_;
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

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
  boost::intrusive::list<WatchedConnection, boost::intrusive::constant_time_size<false>> list_;
  std::size_t size_ = 0;
};

inline WatchedConnection::~WatchedConnection() {
  if (registry_) --registry_->size_;
}

}  // namespace certgate::server
