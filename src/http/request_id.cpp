#include "http/request_id.h"

#include <openssl/rand.h>

#include <bit>
#include <stdexcept>

namespace certgate::http {

RequestIdGenerator::RequestIdGenerator() {
  // An all-zero state would only ever produce zeros; RAND_bytes never returns one in practice, but a
  // forced bit makes it impossible.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(state_.data()), sizeof(state_)) != 1)
    throw std::runtime_error("RAND_bytes failed: no entropy for request ids");
  state_[0] |= 1;
}

RequestIdGenerator::RequestIdGenerator(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d)
    : state_{a, b, c, d | 1} {}

// xoshiro256** (Blackman and Vigna, 2018).
std::uint64_t RequestIdGenerator::step() {
  const std::uint64_t result = std::rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = std::rotl(state_[3], 45);
  return result;
}

std::string RequestIdGenerator::next() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = step();
    for (int i = 15; i >= 0; --i, bits >>= 4)
      id[static_cast<std::size_t>(half * 16 + i)] = kHex[bits & 0xf];
  }
  return id;
}

bool is_acceptable_request_id(std::string_view value) {
  if (value.empty() || value.size() > kMaxRequestIdLength) return false;
  for (unsigned char c : value) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string choose_request_id(std::string_view incoming, bool trusted_proxy, RequestIdGenerator& generator) {
  if (trusted_proxy && is_acceptable_request_id(incoming)) return std::string(incoming);
  return generator.next();
}

}  // namespace certgate::http
