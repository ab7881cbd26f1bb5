#include "revocation/ocsp.h"

#include "pki/cert_info.h"
#include "revocation/crl_set.h"

namespace certgate::revocation {
namespace {

OcspAnswer unusable(std::string why) {
  OcspAnswer a;
  a.detail = std::move(why);
  ERR_clear_error();
  return a;
}

std::string time_text(const ASN1_GENERALIZEDTIME* t) {
  if (!t) return "none";
  auto value = pki::to_time_t(t);
  return value ? pki::rfc3339(*value) : "invalid";
}

}  // namespace

pki::OcspCertIdPtr make_cert_id(const X509* cert, const X509* issuer) {
  return pki::OcspCertIdPtr(OCSP_cert_to_id(EVP_sha1(), cert, issuer));
}

std::string der_of(const OCSP_CERTID* id) {
  unsigned char* out = nullptr;
  const int len = i2d_OCSP_CERTID(const_cast<OCSP_CERTID*>(id), &out);
  if (len <= 0) return {};
  std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
  OPENSSL_free(out);
  return der;
}

std::string make_request(const OCSP_CERTID* id) {
  pki::OcspRequestPtr request(OCSP_REQUEST_new());
  OCSP_CERTID* copy = OCSP_CERTID_dup(id);
  if (!request || !copy || !OCSP_request_add0_id(request.get(), copy)) {
    OCSP_CERTID_free(copy);
    return {};
  }
  unsigned char* out = nullptr;
  const int len = i2d_OCSP_REQUEST(request.get(), &out);
  if (len <= 0) return {};
  std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
  OPENSSL_free(out);
  return der;
}

OcspAnswer read_response(const std::string& der, const OCSP_CERTID* id, X509* issuer, X509_STORE* store) {
  ERR_clear_error();
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  pki::OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!response) return unusable("the answer is not an OCSP response");
  const int response_status = OCSP_response_status(response.get());
  if (response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return unusable(std::string("the responder answered '") + OCSP_response_status_str(response_status) +
                    "'");
  }
  pki::OcspBasicResponsePtr basic(OCSP_response_get1_basic(response.get()));
  if (!basic) return unusable("the OCSP response has no basic response");

  // The issuer is trusted as a signer (it comes from the verified path); any other signer must be a
  // responder the issuer delegated, which OpenSSL path-validates and checks for id-kp-OCSPSigning.
  pki::X509StackPtr signers(sk_X509_new_null());
  if (!signers || !sk_X509_push(signers.get(), pki::share(issuer).release()))
    return unusable("out of memory");
  if (OCSP_basic_verify(basic.get(), signers.get(), store, OCSP_TRUSTOTHER) <= 0) {
    return unusable("the OCSP response is not signed by the issuer or a responder it authorized (" +
                    pki::take_openssl_errors() + ")");
  }
  int status = -1;
  int reason = -1;
  ASN1_GENERALIZEDTIME* revoked_at = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
  if (OCSP_resp_find_status(basic.get(), const_cast<OCSP_CERTID*>(id), &status, &reason, &revoked_at,
                            &this_update, &next_update) != 1) {
    return unusable("the OCSP response does not cover the certificate");
  }
  if (OCSP_check_validity(this_update, next_update, kClockSkewSeconds, -1) != 1) {
    return unusable("the OCSP response is not current (thisUpdate " + time_text(this_update) +
                    ", nextUpdate " + time_text(next_update) + ")");
  }
  OcspAnswer a;
  a.usable = true;
  if (next_update) a.next_update = pki::to_time_t(next_update);
  switch (status) {
    case V_OCSP_CERTSTATUS_GOOD:
      a.status = Status::good;
      break;
    case V_OCSP_CERTSTATUS_REVOKED:
      a.status = Status::revoked;
      a.detail = std::string("OCSP: revoked (") + (reason >= 0 ? OCSP_crl_reason_str(reason) : "no reason") +
                 ", since " + time_text(revoked_at) + ")";
      break;
    default:
      a.status = Status::unknown;
      a.detail = "OCSP: the responder does not know the certificate";
      break;
  }
  ERR_clear_error();
  return a;
}

}  // namespace certgate::revocation
