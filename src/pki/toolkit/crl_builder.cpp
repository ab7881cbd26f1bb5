#include "pki/toolkit/crl_builder.h"

#include <openssl/pem.h>

#include <stdexcept>

#include "pki/toolkit/certificate_builder.h"
#include "pki/toolkit/serial_number.h"

namespace certgate::pki::toolkit {
namespace {

Asn1TimePtr time_at(std::time_t t, int days) {
  Asn1TimePtr out(ASN1_TIME_adj(nullptr, t, days, 0));
  if (!out) throw_openssl_error("cannot encode a time");
  return out;
}

void add_reason(X509_REVOKED* revoked, RevocationReason reason) {
  if (reason == RevocationReason::unspecified) return;
  Owned<ASN1_ENUMERATED, ASN1_ENUMERATED_free> code(ASN1_ENUMERATED_new());
  if (!code || !ASN1_ENUMERATED_set(code.get(), static_cast<long>(reason)) ||
      X509_REVOKED_add1_ext_i2d(revoked, NID_crl_reason, code.get(), 0, 0) != 1) {
    throw_openssl_error("cannot add a CRL reason code");
  }
}

void add_entry(X509_CRL* crl, const IndexEntry& entry) {
  Owned<X509_REVOKED, X509_REVOKED_free> revoked(X509_REVOKED_new());
  if (!revoked) throw_openssl_error("out of memory");
  const auto serial = serial_from_hex(entry.serial);
  const auto date = time_at(entry.revocation->time, 0);
  if (!X509_REVOKED_set_serialNumber(revoked.get(), serial.get()) ||
      !X509_REVOKED_set_revocationDate(revoked.get(), date.get())) {
    throw_openssl_error("cannot add serial " + entry.serial + " to the CRL");
  }
  add_reason(revoked.get(), entry.revocation->reason);
  if (!X509_CRL_add0_revoked(crl, revoked.get())) throw_openssl_error("out of memory");
  revoked.release();
}

void add_crl_extensions(X509_CRL* crl, const X509* ca_cert, std::uint64_t number) {
  Owned<ASN1_INTEGER, ASN1_INTEGER_free> crl_number(ASN1_INTEGER_new());
  if (!crl_number || !ASN1_INTEGER_set_uint64(crl_number.get(), number) ||
      X509_CRL_add1_ext_i2d(crl, NID_crl_number, crl_number.get(), 0, 0) != 1) {
    throw_openssl_error("cannot add the CRL number");
  }
  // Lets verifiers pick the right CA key when a CA has been re-keyed under the same name.
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(const_cast<X509*>(ca_cert));
  if (!ski) return;
  Owned<AUTHORITY_KEYID, AUTHORITY_KEYID_free> aki(AUTHORITY_KEYID_new());
  if (!aki || !(aki->keyid = ASN1_OCTET_STRING_dup(ski)) ||
      X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, aki.get(), 0, 0) != 1) {
    throw_openssl_error("cannot add the authority key identifier");
  }
}

}  // namespace

X509CrlPtr build_crl(const X509* ca_cert, const EVP_PKEY* ca_key, const std::vector<IndexEntry>& revoked,
                     const CrlSpec& spec) {
  ERR_clear_error();
  X509CrlPtr crl(X509_CRL_new());
  if (!crl) throw_openssl_error("out of memory");
  const std::time_t now = spec.now != 0 ? spec.now : std::time(nullptr);
  const auto this_update = time_at(now, 0);
  const auto next_update = time_at(now, spec.days);
  if (!X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) ||
      !X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca_cert)) ||
      !X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) ||
      !X509_CRL_set1_nextUpdate(crl.get(), next_update.get())) {
    throw_openssl_error("cannot fill in the CRL");
  }
  for (const auto& entry : revoked) {
    if (entry.revocation) add_entry(crl.get(), entry);
  }
  if (!X509_CRL_sort(crl.get())) throw_openssl_error("cannot sort the CRL");
  add_crl_extensions(crl.get(), ca_cert, spec.number);
  auto* key = const_cast<EVP_PKEY*>(ca_key);
  if (X509_CRL_sign(crl.get(), key, signature_digest(key)) <= 0) throw_openssl_error("cannot sign the CRL");
  return crl;
}

std::string crl_to_pem(const X509_CRL* crl) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_CRL(bio.get(), const_cast<X509_CRL*>(crl)) != 1)
    throw_openssl_error("cannot encode the CRL");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace certgate::pki::toolkit
