#include "config/units.h"

#include <cctype>
#include <charconv>
#include <limits>
#include <string>

namespace certgate::config {
namespace {

struct NumberAndUnit {
  uint64_t number = 0;
  std::string unit;  // lowercased
};

std::optional<NumberAndUnit> split_number(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  NumberAndUnit out;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out.number);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  for (const char* p = end; p != text.data() + text.size(); ++p) {
    out.unit.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(*p))));
  }
  return out;
}

std::optional<uint64_t> multiply(uint64_t value, uint64_t factor) {
  if (factor != 0 && value > std::numeric_limits<uint64_t>::max() / factor) return std::nullopt;
  return value * factor;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  auto parsed = split_number(text);
  if (!parsed) return std::nullopt;
  uint64_t factor_ms = 0;
  if (parsed->unit == "ms") {
    factor_ms = 1;
  } else if (parsed->unit.empty() || parsed->unit == "s") {
    factor_ms = 1000;
  } else if (parsed->unit == "m") {
    factor_ms = 60 * 1000;
  } else if (parsed->unit == "h") {
    factor_ms = 3600 * 1000;
  } else {
    return std::nullopt;
  }
  auto ms = multiply(parsed->number, factor_ms);
  if (!ms || *ms > static_cast<uint64_t>(std::numeric_limits<Duration::rep>::max())) return std::nullopt;
  return Duration(static_cast<Duration::rep>(*ms));
}

std::optional<std::size_t> parse_size(std::string_view text) {
  auto parsed = split_number(text);
  if (!parsed) return std::nullopt;
  uint64_t factor = 0;
  if (parsed->unit.empty() || parsed->unit == "b") {
    factor = 1;
  } else if (parsed->unit == "k" || parsed->unit == "kib" || parsed->unit == "kb") {
    factor = 1024;
  } else if (parsed->unit == "m" || parsed->unit == "mib" || parsed->unit == "mb") {
    factor = 1024 * 1024;
  } else {
    return std::nullopt;
  }
  auto bytes = multiply(parsed->number, factor);
  if (!bytes) return std::nullopt;
  return static_cast<std::size_t>(*bytes);
}

}  // namespace certgate::config
