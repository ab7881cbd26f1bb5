// Checks the connection caps against RLIMIT_NOFILE at start-up. An established connection may hold two
// descriptors (client and upstream), a handshaking one holds one, and the process needs some for
// itself (listeners, log files, CRL fetches, the event loops). When the caps need more than the soft
// limit allows, the soft limit is raised up to the hard limit; when even that is short, the caps are
// lowered to fit and a warning says so, instead of accept() failing with EMFILE under load.
#pragma once

#include <cstddef>
#include <string>

#include "runtime/connection_caps.h"

namespace certgate::server {

using runtime::ConnectionCaps;

// Descriptors kept aside for everything that is not a client connection (per process).
constexpr std::size_t kReservedDescriptors = 128;

// Descriptors the caps may need at most.
std::size_t descriptors_needed(const ConnectionCaps& caps);

// The caps that fit in `available` descriptors: unchanged when they fit; else handshakes get at most a
// quarter of what is left after the reserve, and established connections (two descriptors each) the rest.
ConnectionCaps fit_caps(const ConnectionCaps& wanted, std::size_t available);

// Raises the soft RLIMIT_NOFILE as needed (up to the hard limit) and returns the caps that fit, saying so
// when they had to be lowered: a warning for caps the config wrote, an info line for the defaults (the
// default max_connections is larger than most machines' fd limit, and a warning on every start would
// teach operators to ignore warnings).
ConnectionCaps apply_file_limit(const ConnectionCaps& wanted, bool written_in_config);

}  // namespace certgate::server
