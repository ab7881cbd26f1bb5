// Session tickets do not carry the client's intermediate certificates, only its leaf. certgate
// stores the intermediates in the ticket's application data (encrypted and authenticated with the
// ticket) so a resumed connection is verified exactly like the full handshake was.
#pragma once

#include <optional>
#include <string>

#include "pki/openssl_ptr.h"

namespace certgate::tls {

std::string encode_ticket_chain(STACK_OF(X509) * chain);
// nullopt when the data is malformed; an empty stack when the client sent no intermediates.
std::optional<pki::X509StackPtr> decode_ticket_chain(const void* data, std::size_t size);

}  // namespace certgate::tls
