#include "revocation/intermediate_crls.h"

#include <spdlog/spdlog.h>

#include "pki/cert_info.h"

namespace certgate::revocation {

void IntermediateCrls::add(pki::X509CrlPtr crl, std::string which) {
  // OpenSSL sorts the revoked list on the first lookup (under a lock); do it now, so that lookups from
  // the workers only read (the VerifiedCrls made later share this X509_CRL).
  pki::Asn1IntegerPtr zero(ASN1_INTEGER_new());
  X509_REVOKED* ignored = nullptr;
  X509_CRL_get0_by_serial(crl.get(), &ignored, zero.get());
  ERR_clear_error();
  pending_.push_back({std::move(crl), std::move(which)});
}

bool IntermediateCrls::names_any(const X509* issuer) const {
  const X509_NAME* name = X509_get_subject_name(issuer);
  for (const auto& p : pending_) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(p.crl.get()), name) == 0) return true;
  }
  return false;
}

const VerifiedCrl* IntermediateCrls::find(const X509* issuer, const std::string& source) const {
  // Most paths never meet one of these CRLs: a few name comparisons and no lock.
  if (pending_.empty() || !names_any(issuer)) return nullptr;
  const auto lookup = [issuer](const Entries& entries) -> const Entry* {
    for (const auto& e : entries) {
      if (X509_cmp(e.issuer.get(), issuer) == 0) return &e;
    }
    return nullptr;
  };
  // One lock for readers too: only paths through an intermediate these CRLs name get here, once per
  // verification that is not cached. (GCC 12's std::atomic<std::shared_ptr> guards its pointer with a lock
  // bit that ThreadSanitizer cannot see, so it reported a race here that a plain mutex does not have.)
  std::lock_guard lock(mutex_);
  if (const Entry* e = lookup(*entries_)) return e->crl;
  const VerifiedCrl* crl = check(issuer, source);
  auto next = std::make_shared<Entries>();
  next->reserve(entries_->size() + 1);
  for (const auto& e : *entries_)
    next->push_back({pki::share(e.issuer.get()), e.crl});
  next->push_back({pki::share(const_cast<X509*>(issuer)), crl});
  entries_ = std::move(next);
  return crl;
}

const VerifiedCrl* IntermediateCrls::check(const X509* issuer, const std::string& source) const {
  auto* cert = const_cast<X509*>(issuer);  // OpenSSL's verify functions take non-const pointers
  const X509_NAME* name = X509_get_subject_name(issuer);
  const Pending* best = nullptr;
  std::time_t best_update = 0;
  for (const auto& p : pending_) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(p.crl.get()), name) != 0) continue;
    if (auto problem = VerifiedCrl::problem_with(p.crl.get(), cert)) {
      spdlog::warn(
          "{} names '{}' as its issuer but cannot be used for the certificate with that name "
          "(serial {}) that a client sent: {}; that certificate's CRL status comes from other "
          "sources",
          p.which, pki::subject_dn(issuer), pki::serial_hex(issuer), *problem);
      continue;
    }
    const std::time_t update = pki::to_time_t(X509_CRL_get0_lastUpdate(p.crl.get())).value_or(0);
    if (!best || update >= best_update) {
      best = &p;
      best_update = update;
    }
  }
  if (!best) return nullptr;
  X509_CRL_up_ref(best->crl.get());
  verified_.push_back(
      std::make_unique<const VerifiedCrl>(pki::X509CrlPtr(best->crl.get()), pki::share(cert), source));
  spdlog::info(
      "{} verified with the key of '{}' (serial {}), a CA certificate a client sent; it now "
      "applies to the certificates that CA issued",
      best->which, pki::subject_dn(issuer), pki::serial_hex(issuer));
  return verified_.back().get();
}

}  // namespace certgate::revocation
