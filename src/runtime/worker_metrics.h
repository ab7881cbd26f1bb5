// One worker's metrics (docs/operations.md): requests by route, status class and reason, request
// durations by route, handshakes, alerts, open connections per listener, and the last refusals for the
// status page. Only the worker's thread writes them (metrics/cell.h); the admin API reads and sums the
// blocks of all workers at scrape time. Labels stay bounded: a route's label slot comes from the
// Runtime (RouteRuntime::metrics_slot), never from anything a client sends.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/reason.h"
#include "metrics/cell.h"

namespace certgate::runtime {

// Route label slots: 0 is "no route", the last one collects routes beyond the cap ("other").
inline constexpr std::size_t kRouteSlots = 256;
inline constexpr std::size_t kNoRouteSlot = 0;
inline constexpr std::size_t kOverflowRouteSlot = kRouteSlots - 1;
// Room for every reason code (a static_assert in worker_metrics.cpp keeps it so).
inline constexpr std::size_t kReasonSlots = 48;
// Status classes: 0 for none (a tcp:// session, a client that left before an answer), then 1xx..5xx.
inline constexpr std::size_t kStatusClasses = 6;
inline constexpr std::size_t kListenerSlots = 64;
inline constexpr std::size_t kRefusalRing = 100;

struct RouteCounters {
  std::array<std::array<metrics::Cell, kReasonSlots>, kStatusClasses> requests;
  metrics::DurationHistogram duration;
};

// Handshake outcome labels, as indexes.
enum class HandshakeResult : std::size_t { ok, failed, count_ };
enum class TlsVersionLabel : std::size_t { none, tls1_2, tls1_3, other, count_ };

struct HandshakeCounters {
  std::array<std::array<std::array<metrics::Cell, 2>, static_cast<std::size_t>(TlsVersionLabel::count_)>,
             static_cast<std::size_t>(HandshakeResult::count_)>
      handshakes;  // [result][version][resumed]
  metrics::Cell alerts_sent;

  void count(HandshakeResult result, std::string_view version, bool resumed);
};

// A request the gateway refused or denied, for the status page.
struct Refusal {
  std::chrono::system_clock::time_point time;
  Reason reason = Reason::allowed;
  unsigned status = 0;
  std::string route;
  std::string host;
  std::string client;
  std::string subject;
};

class RefusalRing {
 public:
  // Worker thread, on the refusal path only (a lock no one else holds but a scrape).
  void push(Refusal refusal);
  std::vector<Refusal> snapshot() const;  // any thread, oldest first

 private:
  mutable std::mutex mutex_;
  std::deque<Refusal> entries_;
};

class WorkerMetrics {
 public:
  WorkerMetrics() = default;
  WorkerMetrics(const WorkerMetrics&) = delete;
  WorkerMetrics& operator=(const WorkerMetrics&) = delete;

  // Worker thread: one finished exchange.
  void count_request(std::size_t route_slot, unsigned status, Reason reason, std::uint64_t duration_micros) {
    auto& block = route(route_slot);
    block.requests[status_class(status)][reason_slot(reason)].add();
    block.duration.observe(duration_micros);
  }
  // Any thread: the route's block, or null when the worker has not counted for it yet.
  const RouteCounters* find_route(std::size_t slot) const {
    return slot < kRouteSlots ? routes_[slot].load(std::memory_order_acquire) : nullptr;
  }
  metrics::GaugeCell& open_connections(std::size_t listener) {
    return listeners_[listener < kListenerSlots ? listener : kListenerSlots - 1];
  }
  const metrics::GaugeCell& open_connections(std::size_t listener) const { return listeners_[listener]; }

  HandshakeCounters handshakes;
  RefusalRing refusals;

  static std::size_t status_class(unsigned status) {
    return status >= 100 && status < 600 ? status / 100 : 0;
  }
  static std::size_t reason_slot(Reason reason) {
    const auto i = static_cast<std::size_t>(reason);
    return i < kReasonSlots ? i : kReasonSlots - 1;
  }

 private:
  RouteCounters& route(std::size_t slot) {
    if (slot >= kRouteSlots) slot = kOverflowRouteSlot;
    if (auto* block = routes_[slot].load(std::memory_order_relaxed)) return *block;
    return allocate(slot);
  }
  RouteCounters& allocate(std::size_t slot);

  std::array<std::atomic<RouteCounters*>, kRouteSlots> routes_{};
  std::vector<std::unique_ptr<RouteCounters>> owned_;  // worker thread only
  std::array<metrics::GaugeCell, kListenerSlots> listeners_;
};

// Keeps a connection counted in its listener's open-connection gauge until it ends.
class OpenConnectionToken {
 public:
  OpenConnectionToken() = default;
  explicit OpenConnectionToken(metrics::GaugeCell& gauge) : gauge_(&gauge) { gauge_->add(1); }
  OpenConnectionToken(OpenConnectionToken&& other) noexcept : gauge_(std::exchange(other.gauge_, nullptr)) {}
  OpenConnectionToken& operator=(OpenConnectionToken&& other) noexcept {
    if (this != &other) {
      release();
      gauge_ = std::exchange(other.gauge_, nullptr);
    }
    return *this;
  }
  ~OpenConnectionToken() { release(); }

 private:
  void release() {
    if (gauge_) gauge_->add(-1);
    gauge_ = nullptr;
  }
  metrics::GaugeCell* gauge_ = nullptr;
};

}  // namespace certgate::runtime
