// What session resumption keeps across config generations: the ticket keys (tls.session_resumption:
// tickets) and the session cache (cache, the default). One per process, shared by every listener and
// worker, so a reload never invalidates the sessions clients hold.
#pragma once

#include "tls/session_cache.h"
#include "tls/ticket_keys.h"

namespace certgate::tls {

struct ResumptionState {
  TicketKeys ticket_keys;
  SessionCache session_cache;
};

}  // namespace certgate::tls
