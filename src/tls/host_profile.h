// What the TLS layer must know about a host before and during the handshake: whether to ask for a client
// certificate, whether the handshake itself verifies it (reject_connection), which CA names to announce,
// and which session-resumption context its tickets belong to. Built per config generation (server/runtime).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pki/openssl_ptr.h"
#include "pki/trust_bundle.h"

namespace certgate::tls {

using SessionIdContext = std::array<unsigned char, 32>;  // SHA-256, = SSL_MAX_SID_CTX_LENGTH

struct HostProfile {
  bool request_client_cert = false;
  // reject_connection: the handshake verifies the chain against this bundle and aborts with an alert.
  std::shared_ptr<const pki::TrustBundle> handshake_trust;
  int max_verify_depth = 1;
  // reject_connection: mtls.allowed_signature_algorithms (OpenSSL NIDs; empty: any).
  std::vector<int> allowed_signature_algorithms;
  // send_ca_names: the DNs for CertificateRequest (SSL takes a copy per connection); null: none sent.
  std::shared_ptr<STACK_OF(X509_NAME)> ca_names;
  // Distinguishes the trust set: a ticket issued under one profile never resumes under another.
  std::string session_context;
  // A tls listener has no route for this SNI: the handshake fails (unrecognized_name).
  bool routable = true;

  // What tickets are bound to: SHA-256(session_context, SNI). Precomputed for the profile's own host.
  SessionIdContext session_id_context(std::string_view sni) const;

 private:
  friend class HostProfiles;
  void bind_to_host(std::string host);
  std::string host_;
  SessionIdContext host_context_{};
};

class HostProfiles {
 public:
  void add(std::string host, HostProfile profile);
  void set_no_sni(HostProfile profile);

  // Exact host first, then the "*.parent" wildcard; null when no route names the host.
  const HostProfile* find(std::string_view host) const;
  const HostProfile& no_sni() const { return no_sni_; }

 private:
  std::unordered_map<std::string, HostProfile> by_host_;
  HostProfile no_sni_;
};

// An owning copy of the subject DNs of `bundles`' certificates, without duplicates.
std::shared_ptr<STACK_OF(X509_NAME)> ca_names_of(const std::vector<const pki::TrustBundle*>& bundles);

}  // namespace certgate::tls
