// Parsing of the small value languages used in the config: durations and byte sizes.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "config/config.h"

namespace certgate::config {

// "500ms", "5s", "2m", "1h"; a bare number means seconds.
std::optional<Duration> parse_duration(std::string_view text);

// "65536", "64KiB", "1MiB" (also "64k", "1m", case-insensitive).
std::optional<std::size_t> parse_size(std::string_view text);

}  // namespace certgate::config
