// Every live connection of a worker, for two jobs that must not cost anything per request:
// deadlines (a connection stores a time point; the worker's tick enforces it) and draining at
// shutdown. An intrusive list: registering and leaving allocate nothing.
#pragma once

#include <boost/intrusive/list.hpp>
#include <chrono>

namespace certgate::server {

using Clock = std::chrono::steady_clock;

class WatchedConnection
    : public boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
 public:
  virtual ~WatchedConnection() = default;

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
  Clock::time_point deadline_ = Clock::time_point::max();
};

class ConnectionRegistry {
 public:
  void add(WatchedConnection& c) { list_.push_back(c); }
  std::size_t size() const { return list_.size(); }
  bool empty() const { return list_.empty(); }

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
  boost::intrusive::list<WatchedConnection, boost::intrusive::constant_time_size<false>> list_;
};

}  // namespace certgate::server
