// CRLs that have been checked against their issuer (name, signature, cRLSign, supported features),
// and the lookup of a certificate's status in them. Immutable once built, so workers read them
// without locks; a CRL file update builds a new CrlSet and swaps it in (revocation/crl_file.h).
#pragma once

#include <atomic>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pki/openssl_ptr.h"
#include "revocation/verdict.h"

namespace certgate::revocation {

// Clock skew tolerated for a CRL's thisUpdate and an OCSP response's thisUpdate/nextUpdate.
inline constexpr long kClockSkewSeconds = 300;

struct CertStatus {
  Status status = Status::unknown;
  std::string detail;
};

class VerifiedCrl {
 public:
  // Checks that `issuer` issued `crl` and that certgate can use it; the reason when not.
  static std::optional<std::string> problem_with(X509_CRL* crl, X509* issuer);
  // The part of problem_with() that does not depend on the issuer: CRL number, delta and indirect CRLs,
  // unknown critical extensions.
  static std::optional<std::string> unsupported_feature(X509_CRL* crl);
  // Call only after problem_with() returned nothing.
  VerifiedCrl(pki::X509CrlPtr crl, pki::X509Ptr issuer, std::string source);

  X509_CRL* crl() const { return crl_.get(); }
  X509* issuer() const { return issuer_.get(); }
  const std::string& source() const { return source_; }
  std::time_t this_update() const { return this_update_; }
  std::optional<std::time_t> next_update() const { return next_update_; }
  // True when this CRL was checked against a CA with the same name and key as `issuer`.
  bool issued_by(const X509* issuer) const;

  // The status of `cert` (issued by this CRL's issuer) at `now`. An expired CRL gives "unknown" and is
  // logged as a warning the first time only.
  CertStatus status_of(X509* cert, std::time_t now) const;

 private:
  pki::X509CrlPtr crl_;
  pki::X509Ptr issuer_;
  std::string source_;  // the file or URL, for logs
  std::time_t this_update_ = 0;
  std::optional<std::time_t> next_update_;
  bool only_user_certs_ = false;  // issuingDistributionPoint scope
  bool only_ca_certs_ = false;
  mutable std::atomic<bool> expiry_logged_{false};
};

class IntermediateCrls;

// Every CRL of one CRL file: at most one (the newest) per issuing CA.
class CrlSet {
 public:
  // Parses PEM (several CRLs allowed) or DER and checks each CRL against `issuers` (a trust bundle's
  // certificates). A CRL whose issuer name is none of theirs is kept for intermediates that clients send
  // (revocation/intermediate_crls.h) and logged as a warning. Throws std::runtime_error with the reason.
  static std::shared_ptr<const CrlSet> parse(const std::string& data,
                                             const std::vector<pki::X509Ptr>& issuers,
                                             const std::string& source);

  // The CRL covering certificates issued by `issuer` (a CA certificate of a verified path); null when
  // the set has none. Safe from any thread.
  const VerifiedCrl* find(const X509* issuer) const;
  std::size_t size() const;

  CrlSet();
  ~CrlSet();

 private:
  std::string source_;
  std::vector<std::unique_ptr<const VerifiedCrl>> crls_;  // issued by CAs of the trust bundle
  std::unique_ptr<IntermediateCrls> intermediates_;       // issued by other CAs
};

// Whether the CRL carries a CRL number (RFC 5280 5.2.3 requires one; certgate only warns).
bool has_crl_number(const X509_CRL* crl);

// All CRLs in `data`, PEM or DER; throws std::runtime_error when there is none or one is malformed.
std::vector<pki::X509CrlPtr> parse_crls_any(const std::string& data, const std::string& what);

}  // namespace certgate::revocation
