// What the handshake callbacks learn about one connection, for the session that owns it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/reason.h"
#include "pki/chain_verifier.h"
#include "tls/host_profile.h"

namespace certgate::tls {

// Why the gateway aborted a handshake (reject_connection, or an SNI a tls listener has no route for).
struct HandshakeRejection {
  Reason reason = Reason::invalid_certificate;
  std::string subject;  // the client certificate's subject DN, when there was one
  std::string detail;   // the verifier's words
};

struct HandshakeInfo {
  std::string sni;  // lowercased; empty when the client sent none
  const HostProfile* profile = nullptr;
  SessionIdContext session_id_context{};  // what this connection's tickets are bound to
  // reject_connection: the verification done during the handshake (full or resumed), so requests
  // need not repeat it.
  // Both on the heap: set only by reject_connection routes, and this struct lives as long as the connection.
  std::unique_ptr<pki::VerifyOutcome> verified;
  std::unique_ptr<HandshakeRejection> rejection;
};

}  // namespace certgate::tls
