// The vocabulary of the revocation check: a status per certificate, and a verdict for a whole path
// with how long it may be reused.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace certgate::revocation {

using WallClock = std::chrono::system_clock;

enum class Status : uint8_t { good, revoked, unknown };

struct Verdict {
  Status status = Status::unknown;
  std::string detail;  // why, for the log: "revoked by CRL file crls.pem (CN=issuing, serial 1A2B)"
  // The verdict may be reused until then (min over the answers it rests on); a network failure makes
  // it never reusable, so the next request asks again.
  WallClock::time_point valid_until{};
};

constexpr std::string_view to_string(Status status) {
  switch (status) {
    case Status::good:
      return "good";
    case Status::revoked:
      return "revoked";
    case Status::unknown:
      return "unknown";
  }
  return "unknown";
}

}  // namespace certgate::revocation
