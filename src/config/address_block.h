// `trusted_proxies` entries: "10.0.0.0/8", "2001:db8::/32", or a single address. Pure parsing and matching.
#pragma once

#include <optional>
#include <string_view>

#include "config/config.h"

namespace certgate::config {

std::optional<AddressBlock> parse_address_block(std::string_view text);

// `address` is 16 bytes of IPv6, IPv4 given IPv4-mapped (::ffff:a.b.c.d), as the blocks store it.
bool block_contains(const AddressBlock& block, const std::array<unsigned char, 16>& address);

// The 16-byte form of a textual address (IPv4, IPv6 or IPv4-mapped IPv6); nullopt when malformed.
std::optional<std::array<unsigned char, 16>> mapped_address(std::string_view text);

}  // namespace certgate::config
