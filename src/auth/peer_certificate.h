// The certificate a connection's client presented: its leaf, the intermediates it sent, and the
// verification result per trust bundle, computed on first use and cached for the connection's life.
// A keep-alive connection is verified once per trust bundle, however many requests it carries.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "auth/certificate_attributes.h"
#include "pki/chain_verifier.h"
#include "pki/openssl_ptr.h"
#include "pki/trust_bundle.h"
#include "revocation/verdict.h"

namespace certgate::auth {

// The textual forms used in upstream headers and logs, computed once per connection.
struct CertificateFacts {
  std::string subject_dn;
  std::string issuer_dn;
  std::string serial;
  std::string fingerprint;  // SHA-256, lowercase hex
  std::string san;
  std::string not_after;  // RFC 3339
};

class PeerCertificate {
 public:
  PeerCertificate() = default;
  PeerCertificate(pki::X509Ptr leaf, pki::X509StackPtr intermediates);

  // After the handshake: the client's leaf and intermediates (from the ticket on a resumed session).
  static PeerCertificate from_connection(SSL* ssl);

  bool present() const { return leaf_ != nullptr; }
  X509* leaf() const { return leaf_.get(); }
  STACK_OF(X509) * intermediates() const { return intermediates_.get(); }

  const pki::VerifyOutcome& verify(const pki::TrustBundle& bundle, int max_verify_depth);
  // Verify as of this time instead of now (`certgate check --at`).
  void set_verification_time(std::time_t at) { at_ = at; }
  // Takes a verification already done (reject_connection verifies in the handshake) into the cache.
  void adopt(const pki::TrustBundle& bundle, int max_verify_depth, pki::VerifyOutcome outcome);
  const CertificateFacts& facts();
  // For identity mapping and policy; only routes that use them pay for it. Requires present().
  const CertificateAttributes& attributes();

  // The revocation stage's memo (auth/revocation_stage.cpp): the last verdict for this connection, so
  // that keep-alive requests re-check revocation at the cost of a comparison.
  struct RevocationMemo {
    const void* route = nullptr;  // the route it was computed for
    uint64_t crl_version = 0;     // of that route's crl_file at the time
    revocation::Verdict verdict;
  };
  RevocationMemo& revocation_memo() { return revocation_memo_; }

 private:
  struct Cached {
    const pki::TrustBundle* bundle;
    int max_verify_depth;
    pki::VerifyOutcome outcome;
  };
  pki::X509Ptr leaf_;
  pki::X509StackPtr intermediates_;
  std::vector<Cached> verified_;
  std::optional<CertificateFacts> facts_;
  std::optional<CertificateAttributes> attributes_;
  std::optional<std::time_t> at_;
  RevocationMemo revocation_memo_;
};

}  // namespace certgate::auth
