#include "revocation/crl_set.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "pki/cert_info.h"
#include "pki/pem.h"
#include "revocation/intermediate_crls.h"

namespace certgate::revocation {
namespace {

// Extensions a CRL may mark critical that certgate understands.
bool handled_critical_extension(int nid) {
  return nid == NID_issuing_distribution_point || nid == NID_authority_key_identifier;
}

// RFC 5280 5.2.3: a CRL number is never a critical extension. A CRL without one is accepted (see
// has_crl_number): certgate does not use the number, and Debian's cfssl 1.2 issues CRLs without it.
std::optional<std::string> crl_number_problem(X509_CRL* crl) {
  int critical = -1;
  auto* number = static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, &critical, nullptr));
  ASN1_INTEGER_free(number);
  if (critical == -1) {
    ERR_clear_error();
    return std::nullopt;
  }
  if (critical == 1)
    return std::string("the CRL number extension is marked critical (RFC 5280 section 5.2.3)");
  if (!number) return std::string("the CRL number extension is malformed or repeated");
  return std::nullopt;
}

std::string reason_name(const X509_REVOKED* entry) {
  static constexpr const char* kNames[] = {
      "unspecified",   "keyCompromise",        "cACompromise",    "affiliationChanged",
      "superseded",    "cessationOfOperation", "certificateHold", "",
      "removeFromCRL", "privilegeWithdrawn",   "aACompromise"};
  auto* code =
      static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nullptr, nullptr));
  if (!code) return "unspecified";
  const long value = ASN1_ENUMERATED_get(code);
  ASN1_ENUMERATED_free(code);
  if (value >= 0 && value < static_cast<long>(std::size(kNames)) && kNames[value][0] != '\0')
    return kNames[value];
  return "reason " + std::to_string(value);
}

std::string time_text(const std::optional<std::time_t>& t) {
  return t ? pki::rfc3339(*t) : std::string("?");
}

}  // namespace

bool has_crl_number(const X509_CRL* crl) {
  return X509_CRL_get_ext_by_NID(crl, NID_crl_number, -1) >= 0;
}

std::optional<std::string> VerifiedCrl::problem_with(X509_CRL* crl, X509* issuer) {
  const std::string issuer_name = pki::subject_dn(issuer);
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
    return "the CRL is issued by '" + pki::name_rfc2253(X509_CRL_get_issuer(crl)) + "', not by '" +
           issuer_name + "'";
  }
  if (!pki::is_ca(issuer)) return "'" + issuer_name + "' is not a CA (basicConstraints CA:TRUE)";
  if ((X509_get_key_usage(issuer) & KU_CRL_SIGN) == 0)
    return "'" + issuer_name + "' may not sign CRLs (its keyUsage lacks cRLSign)";
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  if (!key || X509_CRL_verify(crl, key) != 1) {
    ERR_clear_error();
    return "the CRL signature does not verify with the key of '" + issuer_name + "'";
  }
  return unsupported_feature(crl);
}

std::optional<std::string> VerifiedCrl::unsupported_feature(X509_CRL* crl) {
  if (auto problem = crl_number_problem(crl)) return problem;
  for (int i = 0; i < X509_CRL_get_ext_count(crl); ++i) {
    X509_EXTENSION* ext = X509_CRL_get_ext(crl, i);
    const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
    if (nid == NID_delta_crl) return std::string("delta CRLs are not supported");
    if (X509_EXTENSION_get_critical(ext) && !handled_critical_extension(nid))
      return std::string("the CRL has an unsupported critical extension");
  }
  if (auto* idp = static_cast<ISSUING_DIST_POINT*>(
          X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, nullptr, nullptr))) {
    const bool partial = idp->indirectCRL > 0 || idp->onlysomereasons != nullptr || idp->onlyattr > 0;
    ISSUING_DIST_POINT_free(idp);
    if (partial) return std::string("indirect CRLs and CRLs limited to some reasons are not supported");
  }
  ERR_clear_error();
  return std::nullopt;
}

VerifiedCrl::VerifiedCrl(pki::X509CrlPtr crl, pki::X509Ptr issuer, std::string source)
    : crl_(std::move(crl)), issuer_(std::move(issuer)), source_(std::move(source)) {
  this_update_ = pki::to_time_t(X509_CRL_get0_lastUpdate(crl_.get())).value_or(0);
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl_.get())) next_update_ = pki::to_time_t(next);
  if (auto* idp = static_cast<ISSUING_DIST_POINT*>(
          X509_CRL_get_ext_d2i(crl_.get(), NID_issuing_distribution_point, nullptr, nullptr))) {
    only_user_certs_ = idp->onlyuser > 0;
    only_ca_certs_ = idp->onlyCA > 0;
    ISSUING_DIST_POINT_free(idp);
  }
  // OpenSSL sorts the revoked list on the first lookup (under a lock); do it now, so that lookups from
  // the workers only read.
  pki::Asn1IntegerPtr zero(ASN1_INTEGER_new());
  X509_REVOKED* ignored = nullptr;
  X509_CRL_get0_by_serial(crl_.get(), &ignored, zero.get());
  ERR_clear_error();
}

bool VerifiedCrl::issued_by(const X509* issuer) const {
  if (issuer == issuer_.get()) return true;
  return X509_NAME_cmp(X509_get_subject_name(issuer), X509_get_subject_name(issuer_.get())) == 0 &&
         EVP_PKEY_eq(X509_get0_pubkey(issuer), X509_get0_pubkey(issuer_.get())) == 1;
}

CertStatus VerifiedCrl::status_of(X509* cert, std::time_t now) const {
  const bool cert_is_ca = pki::is_ca(cert);
  if ((only_user_certs_ && cert_is_ca) || (only_ca_certs_ && !cert_is_ca)) {
    return {Status::unknown, "the CRL " + source_ + " does not cover " +
                                 (cert_is_ca ? "CA certificates" : "end-entity certificates")};
  }
  if (this_update_ > now + kClockSkewSeconds) {
    return {Status::unknown,
            "the CRL " + source_ + " is not valid yet (thisUpdate " + time_text(this_update_) + ")"};
  }
  if (next_update_ && *next_update_ < now) {
    if (!expiry_logged_.exchange(true, std::memory_order_relaxed)) {
      spdlog::warn(
          "CRL from '{}' ({}) expired at {} (nextUpdate); the certificates it covers have revocation status "
          "unknown until it is replaced",
          pki::subject_dn(issuer_.get()), source_, time_text(next_update_));
    }
    return {Status::unknown, "the CRL " + source_ + " is past its nextUpdate " + time_text(next_update_)};
  }
  X509_REVOKED* entry = nullptr;
  if (X509_CRL_get0_by_cert(crl_.get(), &entry, cert) == 1 && entry) {
    const auto since = pki::to_time_t(X509_REVOKED_get0_revocationDate(entry));
    return {Status::revoked, "serial " + pki::serial_hex(cert) + " is revoked by the CRL " + source_ + " (" +
                                 reason_name(entry) + ", since " + time_text(since) + ")"};
  }
  ERR_clear_error();
  return {Status::good, {}};
}

std::vector<pki::X509CrlPtr> parse_crls_any(const std::string& data, const std::string& what) {
  if (data.find("-----BEGIN") != std::string::npos) return pki::parse_crls(data, what);
  ERR_clear_error();
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  pki::X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(data.size())));
  if (!crl) {
    const auto detail = pki::take_openssl_errors();
    throw std::runtime_error(what + " is neither a PEM nor a DER CRL" +
                             (detail.empty() ? "" : " (" + detail + ")"));
  }
  std::vector<pki::X509CrlPtr> out;
  out.push_back(std::move(crl));
  return out;
}

CrlSet::CrlSet() : intermediates_(std::make_unique<IntermediateCrls>()) {}
CrlSet::~CrlSet() = default;

std::size_t CrlSet::size() const {
  return crls_.size() + intermediates_->size();
}

std::shared_ptr<const CrlSet> CrlSet::parse(const std::string& data, const std::vector<pki::X509Ptr>& issuers,
                                            const std::string& source) {
  auto set = std::make_shared<CrlSet>();
  set->source_ = source;
  auto crls = parse_crls_any(data, source);
  for (std::size_t i = 0; i < crls.size(); ++i) {
    X509_CRL* crl = crls[i].get();
    const std::string which = crls.size() > 1 ? "CRL #" + std::to_string(i + 1) + " in " + source : source;
    const std::string issuer_name = pki::name_rfc2253(X509_CRL_get_issuer(crl));
    if (!has_crl_number(crl)) {
      spdlog::warn(
          "{} (issuer '{}') has no CRL number (RFC 5280 section 5.2.3); accepted, certgate does not "
          "use it",
          which, issuer_name);
    }
    X509* issuer = nullptr;
    std::optional<std::string> problem;
    for (const auto& candidate : issuers) {
      if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(candidate.get())) != 0) continue;
      problem = VerifiedCrl::problem_with(crl, candidate.get());
      if (!problem) {
        issuer = candidate.get();
        break;
      }
    }
    if (!issuer && !problem) {
      // Not a CA of the bundle: possibly an intermediate that clients send; its signature is checked when
      // one does. What does not depend on the issuer is checked now, so a CRL certgate can never use is
      // still a config error.
      if (auto problem = VerifiedCrl::unsupported_feature(crl))
        throw std::runtime_error(which + ": " + *problem);
      spdlog::warn(
          "{} is issued by '{}', which is not a CA of the trust bundle: it is not verified now and "
          "applies only to paths in which a client sends a CA certificate of that name whose key "
          "verifies it",
          which, issuer_name);
      set->intermediates_->add(std::move(crls[i]), which);
      continue;
    }
    if (!issuer) throw std::runtime_error(which + ": " + *problem);
    auto verified = std::make_unique<VerifiedCrl>(std::move(crls[i]), pki::share(issuer), source);
    // Two CRLs from one CA: the newer one wins.
    bool replaced = false;
    for (auto& existing : set->crls_) {
      if (existing->issued_by(issuer)) {
        if (verified->this_update() >= existing->this_update()) existing = std::move(verified);
        replaced = true;
        break;
      }
    }
    if (!replaced) set->crls_.push_back(std::move(verified));
  }
  return set;
}

const VerifiedCrl* CrlSet::find(const X509* issuer) const {
  for (const auto& crl : crls_) {
    if (crl->issued_by(issuer)) return crl.get();
  }
  return intermediates_->find(issuer, source_);
}

}  // namespace certgate::revocation
