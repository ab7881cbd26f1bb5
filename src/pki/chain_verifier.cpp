#include "pki/chain_verifier.h"

#include "pki/cert_info.h"
#include "pki/certificate_policy.h"

namespace certgate::pki {
namespace {

// RFC 5280 4.1.2.5: "the period of time from notBefore through notAfter, inclusive". OpenSSL's
// X509_cmp_time treats the notAfter second itself as expired (documented "earlier than, or equal to");
// this callback accepts exactly that second. It sees every error and passes all others through.
int verify_callback(int ok, X509_STORE_CTX* ctx) {
  if (ok || X509_STORE_CTX_get_error(ctx) != X509_V_ERR_CERT_HAS_EXPIRED) return ok;
  const X509* cert = X509_STORE_CTX_get_current_cert(ctx);
  const std::time_t at = X509_VERIFY_PARAM_get_time(X509_STORE_CTX_get0_param(ctx));
  if (cert && ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert), at) == 0) {
    X509_STORE_CTX_set_error(ctx, X509_V_OK);
    return 1;
  }
  return ok;
}

}  // namespace

Reason reason_for_verify_error(int x509_error) {
  switch (x509_error) {
    case X509_V_OK:
      return Reason::allowed;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
      return Reason::expired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
      return Reason::not_yet_valid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
      return Reason::untrusted_issuer;
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
      return Reason::depth_exceeded;
    case X509_V_ERR_INVALID_PURPOSE:
      return Reason::bad_purpose;
    case X509_V_ERR_CERT_REVOKED:
      return Reason::revoked;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
      return Reason::revocation_unknown;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
      return Reason::bad_signature;
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL:
    case X509_V_ERR_CA_MD_TOO_WEAK:
      return Reason::weak_key;
    default:
      return Reason::invalid_certificate;
  }
}

VerifyOutcome verify_client_chain(const TrustBundle& bundle, const VerifyRequest& request) {
  VerifyOutcome out;
  if (!request.leaf) {
    out.reason = Reason::no_certificate;
    out.detail = "no client certificate";
    return out;
  }
  // OpenSSL accepts a CA certificate as an end entity; a client identity must not be a CA.
  if (is_ca(request.leaf)) {
    out.reason = Reason::ca_as_leaf;
    out.detail = "the client certificate is a CA (basicConstraints CA:TRUE)";
    return out;
  }
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), bundle.store(), request.leaf, request.untrusted) != 1) {
    out.detail = "cannot set up verification: " + take_openssl_errors();
    return out;
  }
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  // OpenSSL's depth counts intermediates only; ours counts the issuers above the leaf.
  X509_VERIFY_PARAM_set_depth(param, request.max_verify_depth - 1);
  X509_VERIFY_PARAM_set_auth_level(param, 2);  // >= 112-bit keys, no SHA-1 signatures
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  // An explicit time, so the callback compares notAfter with the very instant OpenSSL used.
  X509_STORE_CTX_set_time(ctx.get(), 0, request.at ? *request.at : std::time(nullptr));
  X509_STORE_CTX_set_verify_cb(ctx.get(), verify_callback);

  const int rc = X509_verify_cert(ctx.get());
  const int err = X509_STORE_CTX_get_error(ctx.get());
  // The path as built: complete to the anchor when accepted, as far as OpenSSL got when not
  // (`certgate check` and the log show it).
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; i < sk_X509_num(chain); ++i)
    out.chain.push_back(share(sk_X509_value(chain, i)));
  if (rc == 1 && err == X509_V_OK) {
    // certgate's policy on the path OpenSSL accepted (pki/certificate_policy.h).
    if (auto violation = check_client_chain(chain)) {
      out.reason = violation->violation.reason;
      out.policy_rule = violation->violation.rule;
      out.error_depth = violation->depth;
      out.detail = std::string(violation->violation.message) + " at depth " +
                   std::to_string(violation->depth) + " (" +
                   subject_dn(sk_X509_value(chain, violation->depth)) + ")";
      ERR_clear_error();
      return out;
    }
    out.ok = true;
    out.reason = Reason::allowed;
    return out;
  }
  out.reason = reason_for_verify_error(err);
  out.error_depth = X509_STORE_CTX_get_error_depth(ctx.get());
  out.detail = X509_verify_cert_error_string(err);
  // OpenSSL refuses to take an issuer for a leaf whose extensions it could not parse (malformed or
  // duplicate) and then reports a missing issuer; name the real cause.
  if ((X509_get_extension_flags(request.leaf) & EXFLAG_INVALID) != 0 &&
      out.reason == Reason::untrusted_issuer) {
    out.reason = Reason::invalid_certificate;
    out.error_depth = 0;
    out.detail = "the client certificate has a malformed or duplicate extension (" + out.detail + ")";
    ERR_clear_error();
    return out;
  }
  if (X509* bad = X509_STORE_CTX_get_current_cert(ctx.get())) {
    out.detail += " at depth " + std::to_string(out.error_depth) + " (" + subject_dn(bad) + ")";
  }
  ERR_clear_error();
  return out;
}

}  // namespace certgate::pki
