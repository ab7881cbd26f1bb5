#include "auth/peer_certificate.h"

#include "auth/verified_chain_cache.h"

#include "common/base64.h"
#include "http/cert_formats.h"
#include "pki/cert_info.h"
#include "pki/pem.h"

namespace certgate::auth {
namespace {

// Certificate text ends up in HTTP headers: control characters must never reach them.
std::string header_safe(std::string text) {
  for (auto& c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return text;
}

}  // namespace

PeerCertificate::PeerCertificate(pki::X509Ptr leaf, pki::X509StackPtr intermediates)
    : leaf_(std::move(leaf)), intermediates_(std::move(intermediates)) {}

PeerCertificate PeerCertificate::from_connection(tls::ConnectionInfo& tls) {
  auto chain = tls.peer_chain();
  if (!chain.leaf) return {};
  PeerCertificate peer(std::move(chain.leaf), std::move(chain.intermediates));
  if (auto verified = tls.take_handshake_verification())
    peer.adopt(*verified->trust, verified->max_verify_depth, std::move(verified->outcome));
  return peer;
}

PeerCertificate PeerCertificate::unreadable(std::string detail) {
  PeerCertificate peer;
  peer.unreadable_ = true;
  pki::VerifyOutcome outcome;
  outcome.reason = Reason::invalid_certificate;
  outcome.detail = std::move(detail);
  peer.verified_.push_back({nullptr, 0, std::make_shared<const pki::VerifyOutcome>(std::move(outcome))});
  return peer;
}

const pki::VerifyOutcome& PeerCertificate::verify(const pki::TrustBundle& bundle, int max_verify_depth) {
  if (unreadable_) return *verified_.front().outcome;
  for (const auto& entry : verified_) {
    if (entry.bundle == &bundle && entry.max_verify_depth == max_verify_depth) return *entry.outcome;
  }
  // `certgate check --at` asks about another time: no cache then.
  std::optional<VerifiedChainCache::Key> key;
  if (!at_ && cache_) {
    key = VerifiedChainCache::key(bundle, max_verify_depth, leaf_digest(), intermediates_.get());
    if (auto cached = cache_->find(*key, std::time(nullptr))) {
      verified_.push_back({&bundle, max_verify_depth, std::move(cached)});
      return *verified_.back().outcome;
    }
  }
  pki::VerifyRequest request;
  request.leaf = leaf_.get();
  request.untrusted = intermediates_.get();
  request.max_verify_depth = max_verify_depth;
  request.at = at_;
  auto outcome = std::make_shared<const pki::VerifyOutcome>(pki::verify_client_chain(bundle, request));
  if (key) cache_->insert(*key, outcome);
  verified_.push_back({&bundle, max_verify_depth, std::move(outcome)});
  return *verified_.back().outcome;
}

const pki::Sha256& PeerCertificate::leaf_digest() {
  if (!leaf_digest_) {
    pki::Sha256 digest{};
    unsigned int len = 0;
    if (leaf_) X509_digest(leaf_.get(), pki::sha256(), digest.data(), &len);
    leaf_digest_ = digest;
  }
  return *leaf_digest_;
}

void PeerCertificate::adopt(const pki::TrustBundle& bundle, int max_verify_depth,
                            pki::VerifyOutcome outcome) {
  verified_.push_back(
      {&bundle, max_verify_depth, std::make_shared<const pki::VerifyOutcome>(std::move(outcome))});
}

const CertificateFacts& PeerCertificate::facts() {
  if (facts_) return *facts_;
  if (!leaf_) {
    facts_ = std::make_shared<const CertificateFacts>();
    return *facts_;
  }
  if (cache_) {
    facts_ = cache_->facts(leaf_digest());
    if (facts_) return *facts_;
  }
  auto f = std::make_shared<CertificateFacts>();
  f->subject_dn = header_safe(pki::subject_dn(leaf_.get()));
  f->issuer_dn = header_safe(pki::issuer_dn(leaf_.get()));
  f->serial = pki::serial_hex(leaf_.get());
  f->fingerprint = pki::hex_lower(leaf_digest().data(), leaf_digest().size());
  f->san = header_safe(pki::san_list(pki::subject_alt_names(leaf_.get())));
  f->not_after = pki::not_after_rfc3339(leaf_.get());
  f->not_after_time = pki::to_time_t(X509_get0_notAfter(leaf_.get())).value_or(0);
  if (cache_) cache_->remember(leaf_digest(), f);
  facts_ = std::move(f);
  return *facts_;
}

const CertificateAttributes& PeerCertificate::attributes() {
  if (!attributes_)
    attributes_ = std::make_unique<CertificateAttributes>(read_certificate_attributes(leaf_.get()));
  return *attributes_;
}

}  // namespace certgate::auth

namespace certgate::auth {

const CertificateForms& PeerCertificate::forms() {
  if (!forms_) {
    forms_ = std::make_unique<CertificateForms>();
    auto& f = *forms_;
    if (leaf_) {
      f.escaped_pem = http::escape_uri_component(pki::to_pem(leaf_.get()));
      f.escaped_chain_pem = f.escaped_pem;
      for (int i = 0; intermediates_ && i < sk_X509_num(intermediates_.get()); ++i)
        f.escaped_chain_pem +=
            http::escape_uri_component(pki::to_pem(sk_X509_value(intermediates_.get(), i)));
      f.der_base64 = base64_encode(pki::to_der(leaf_.get()));
      f.sha256_base64url = base64url_encode(pki::sha256_fingerprint_raw(leaf_.get()));
      for (auto& san : pki::subject_alt_names(leaf_.get())) {
        if (san.kind == pki::SubjectAltName::Kind::email && f.email.empty()) f.email = header_safe(san.value);
        if (san.kind == pki::SubjectAltName::Kind::uri)
          f.uri_sans.push_back(header_safe(std::move(san.value)));
        if (san.kind == pki::SubjectAltName::Kind::dns)
          f.dns_sans.push_back(header_safe(std::move(san.value)));
      }
      if (f.email.empty()) {
        const auto emails = pki::subject_attribute(leaf_.get(), NID_pkcs9_emailAddress);
        if (!emails.empty()) f.email = header_safe(emails.front());
      }
    }
  }
  return *forms_;
}

}  // namespace certgate::auth
