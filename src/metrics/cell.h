// Counters and gauges that one thread writes and any thread may read. The writer is always the same
// thread (a worker counting into its own block), so an increment is a relaxed load and store: a plain
// add on x86, no locked instruction and no cache line shared with another writer. A scrape reads the
// cells from another thread with relaxed loads and sums the blocks of every worker.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace certgate::metrics {

class Cell {
 public:
  void add(std::uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A gauge of one writer thread (open connections): up and down by that thread only.
class GaugeCell {
 public:
  void add(std::int64_t n) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::int64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Request durations in microseconds, with fixed upper bounds (kDurationBounds). The buckets are not
// cumulative here; the exposition adds them up at scrape time, so a sample costs one bucket search and
// three increments.
inline constexpr std::array<std::uint64_t, 15> kDurationBoundsMicros = {
    250,     500,     1'000,   2'500,     5'000,     10'000,    25'000,    50'000,
    100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};

class DurationHistogram {
 public:
  static constexpr std::size_t kBuckets = kDurationBoundsMicros.size() + 1;  // the last is +Inf

  void observe(std::uint64_t micros) {
    std::size_t i = 0;
    while (i < kDurationBoundsMicros.size() && micros > kDurationBoundsMicros[i])
      ++i;
    buckets_[i].add();
    sum_micros_.add(micros);
    count_.add();
  }
  std::uint64_t bucket(std::size_t i) const { return buckets_[i].get(); }
  std::uint64_t sum_micros() const { return sum_micros_.get(); }
  std::uint64_t count() const { return count_.get(); }

 private:
  std::array<Cell, kBuckets> buckets_;
  Cell sum_micros_;
  Cell count_;
};

}  // namespace certgate::metrics
