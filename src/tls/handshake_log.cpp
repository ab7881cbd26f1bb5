#include "tls/handshake_log.h"

#include <spdlog/spdlog.h>

#include "tls/handshake_verification.h"

namespace certgate::tls {
namespace {

// OpenSSL refused the handshake itself because a reject_connection host got no certificate.
bool refused_for_missing_certificate(const HandshakeInfo& info, const TlsStream& stream) {
  return info.profile && info.profile->handshake_trust &&
         ERR_GET_LIB(stream.last_error_code()) == ERR_LIB_SSL &&
         ERR_GET_REASON(stream.last_error_code()) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE;
}

}  // namespace

void log_handshake_failure(std::string_view client, const HandshakeInfo& info, const TlsStream& stream,
                           const net::error_code& ec) {
  if (info.rejection) {
    const auto& r = *info.rejection;
    if (r.reason == Reason::unknown_host) {
      spdlog::info("handshake rejected {} sni={} reason=unknown_host alert={} detail=\"{}\"", client,
                   info.sni, SSL_AD_UNRECOGNIZED_NAME, r.detail);
    } else {
      spdlog::info("handshake rejected {} sni={} subject=\"{}\" reason={} alert={} detail=\"{}\"", client,
                   info.sni, r.subject, to_string(r.reason), alert_for(r.reason), r.detail);
    }
    return;
  }
  if (refused_for_missing_certificate(info, stream)) {
    const bool tls13 = SSL_version(stream.ssl()) == TLS1_3_VERSION;
    spdlog::info("handshake rejected {} sni={} subject=\"\" reason=no_certificate alert={} detail=\"{}\"",
                 client, info.sni, tls13 ? SSL_AD_CERTIFICATE_REQUIRED : SSL_AD_HANDSHAKE_FAILURE,
                 "the client sent no certificate");
    return;
  }
  spdlog::debug("{} sni={} TLS handshake failed: {}", client, info.sni,
                stream.last_error().empty() ? ec.message() : stream.last_error());
}

}  // namespace certgate::tls
