// The CRLs of a crl_file whose issuer is not a CA of the trust bundle: typically the CRL of an
// intermediate that clients send in their chain (nginx and Envoy accept such files too). Such a CRL
// cannot be checked at load, because its issuer's certificate is not known yet. When a verified path
// holds a certificate with the CRL's issuer name, find() checks the CRL against that certificate (name,
// signature, cRLSign, supported features: VerifiedCrl::problem_with) and remembers the result per
// (certificate, CRL set), so each pair costs one signature verification per file load, not one per
// request. The certificate itself is trustworthy because the path it came in verified to the bundle.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pki/openssl_ptr.h"
#include "revocation/crl_set.h"

namespace certgate::revocation {

class IntermediateCrls {
 public:
  // `which` names the CRL in logs ("CRL #2 in crls.pem").
  void add(pki::X509CrlPtr crl, std::string which);
  std::size_t size() const { return pending_.size(); }

  // The newest CRL issued by `issuer` (a CA certificate of a verified path) that verifies with its key;
  // null when none does. Safe to call from any thread; lock-free once the pair has been checked.
  const VerifiedCrl* find(const X509* issuer, const std::string& source) const;

 private:
  struct Pending {
    pki::X509CrlPtr crl;
    std::string which;
  };
  struct Entry {
    pki::X509Ptr issuer;
    const VerifiedCrl* crl = nullptr;  // null: no CRL of this set verifies with the issuer's key
  };
  using Entries = std::vector<Entry>;

  bool names_any(const X509* issuer) const;
  const VerifiedCrl* check(const X509* issuer, const std::string& source) const;  // under mutex_

  std::vector<Pending> pending_;                                      // fixed after load
  mutable std::mutex mutex_;                                          // guards verified_ and entries_
  mutable std::vector<std::unique_ptr<const VerifiedCrl>> verified_;  // guarded by mutex_
  mutable std::shared_ptr<const Entries> entries_ = std::make_shared<const Entries>();  // guarded by mutex_
};

}  // namespace certgate::revocation
