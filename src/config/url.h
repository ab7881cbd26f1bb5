// The two URL shapes the config uses: a route's `from` and its `to`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace certgate::config {

struct FromUrl {
  std::string host;  // lowercased; may start with "*." for a wildcard
  std::optional<uint16_t> port;
  std::string path_prefix;  // "/" at least
};

// Parses `https://host[:port][/path]` or `tls://host[:port]`. Returns the reason on failure.
std::optional<FromUrl> parse_from_url(std::string_view text, std::string& reason);

// Parses `http://host:port[/base]`, `tcp://host:port` or `echo://`. Returns the reason on failure.
std::optional<Upstream> parse_to_url(std::string_view text, std::string& reason);

// Splits "host:port" / "[v6]:port"; the port is required.
bool split_host_port(std::string_view text, std::string& host, uint16_t& port);

}  // namespace certgate::config
