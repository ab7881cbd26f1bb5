// The Prometheus text exposition format (version 0.0.4), written by hand: a family header (HELP, TYPE)
// and its samples, with label values escaped. Used only at scrape time, so it favours clarity over
// speed.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace certgate::metrics {

using Label = std::pair<std::string_view, std::string_view>;

class TextWriter {
 public:
  // Starts a family: "# HELP name help" and "# TYPE name type" (counter, gauge, histogram).
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, std::initializer_list<Label> labels, std::uint64_t value);
  void sample(std::string_view name, std::initializer_list<Label> labels, std::int64_t value);
  void sample(std::string_view name, std::initializer_list<Label> labels, double value);
  // A histogram's samples: cumulative _bucket lines (bounds in seconds), _sum and _count.
  // `buckets`: per-bucket (not cumulative) counts, the last one +Inf.
  template <std::size_t N>
  void histogram(std::string_view name, std::initializer_list<Label> labels,
                 const std::array<std::uint64_t, N - 1>& bounds_micros,
                 const std::array<std::uint64_t, N>& buckets, std::uint64_t sum_micros) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < N; ++i) {
      cumulative += buckets[i];
      bucket_line(name, labels, i + 1 < N ? format_seconds(bounds_micros[i]) : std::string("+Inf"),
                  cumulative);
    }
    sample(std::string(name) + "_sum", labels, static_cast<double>(sum_micros) / 1e6);
    sample(std::string(name) + "_count", labels, cumulative);
  }

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void labels(std::initializer_list<Label> labels, std::string_view extra_name = {},
              std::string_view extra_value = {});
  void bucket_line(std::string_view name, std::initializer_list<Label> labels, const std::string& le,
                   std::uint64_t value);
  static std::string format_seconds(std::uint64_t micros);

  std::string out_;
};

// A label value as the format wants it: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view value);

}  // namespace certgate::metrics
