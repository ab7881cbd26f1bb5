#include "config/address_block.h"

#include <arpa/inet.h>

#include <charconv>
#include <string>

namespace certgate::config {

std::optional<std::array<unsigned char, 16>> mapped_address(std::string_view text) {
  const std::string s(text);
  std::array<unsigned char, 16> out{};
  if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) return out;
  unsigned char v4[4];
  if (inet_pton(AF_INET, s.c_str(), v4) != 1) return std::nullopt;
  out[10] = 0xff;
  out[11] = 0xff;
  std::copy(v4, v4 + 4, out.begin() + 12);
  return out;
}

std::optional<AddressBlock> parse_address_block(std::string_view text) {
  AddressBlock block;
  block.text = std::string(text);
  const auto slash = text.find('/');
  const auto address_text = text.substr(0, slash);
  const auto address = mapped_address(address_text);
  if (!address) return std::nullopt;
  const bool v4 = address_text.find(':') == std::string_view::npos;
  const int max_bits = v4 ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || bits < 0 ||
        bits > max_bits)
      return std::nullopt;
  }
  block.prefix_bits = v4 ? bits + 96 : bits;
  block.address = *address;
  // Host bits set ("10.1.2.3/8") are a typo as often as not: refuse them rather than guess.
  for (int i = block.prefix_bits; i < 128; ++i) {
    if (block.address[i / 8] & (0x80 >> (i % 8))) return std::nullopt;
  }
  return block;
}

bool block_contains(const AddressBlock& block, const std::array<unsigned char, 16>& address) {
  const int full_bytes = block.prefix_bits / 8;
  for (int i = 0; i < full_bytes; ++i) {
    if (block.address[i] != address[i]) return false;
  }
  const int rest = block.prefix_bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (block.address[full_bytes] & mask) == (address[full_bytes] & mask);
}

}  // namespace certgate::config
