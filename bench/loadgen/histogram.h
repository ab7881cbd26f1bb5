// Log-linear latency histogram in the style of HdrHistogram: fixed memory, O(1) record, mergeable.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace certgate::bench {

// Values (nanoseconds here) below 2*kSub are stored exactly; every higher power of two [2^k, 2^(k+1)) is
// split into kSub equal buckets, so any recorded value is known to within 1/kSub (< 0.8 %) of itself.
// The full uint64 range fits in (64 - kSubBits + 1) * kSub = 7,424 counters (58 KiB per histogram).
class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  static constexpr size_t kBuckets = (64 - kSubBits + 1) * kSub;

  void record(uint64_t value) {
    ++counts_[index_of(value)];
    ++count_;
    sum_ += value;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }

  void merge(const Histogram& other) {
    for (size_t i = 0; i < kBuckets; ++i)
      counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_); }

  // Smallest value v such that at least `percent` % of the recorded values are <= v (reported as the
  // highest value equivalent to the bucket, clamped to the exact maximum).
  uint64_t percentile(double percent) const {
    if (count_ == 0) return 0;
    percent = std::clamp(percent, 0.0, 100.0);
    auto target = static_cast<uint64_t>(percent / 100.0 * static_cast<double>(count_) + 0.5);
    target = std::clamp<uint64_t>(target, 1, count_);
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= target) return std::min(highest_equivalent(i), max_);
    }
    return max_;
  }

  static size_t index_of(uint64_t v) {
    if (v < 2 * kSub) return static_cast<size_t>(v);
    const int msb = 63 - std::countl_zero(v);
    const int shift = msb - kSubBits;
    return static_cast<size_t>((static_cast<uint64_t>(shift) + 1) * kSub + ((v >> shift) - kSub));
  }

  static uint64_t highest_equivalent(size_t index) {
    if (index < 2 * kSub) return index;
    const uint64_t shift = index / kSub - 1;
    const uint64_t mantissa = index % kSub + kSub;
    return ((mantissa + 1) << shift) - 1;  // wraps to UINT64_MAX for the very last bucket, as intended
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = std::numeric_limits<uint64_t>::max();
  uint64_t max_ = 0;
};

}  // namespace certgate::bench
