#include "tls/upstream_tls.h"

#include <arpa/inet.h>

#include "config/config_error.h"
#include "pki/cert_info.h"
#include "pki/pem.h"

namespace certgate::tls {
namespace {

int context_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void load_custom_ca(SSL_CTX* ctx, const config::UpstreamTls& settings) {
  std::vector<pki::X509Ptr> certs;
  try {
    certs = pki::load_certificates(settings.custom_ca_file);
  } catch (const std::exception& e) {
    throw config::ConfigError(settings.mark, "tls_custom_ca_file: " + std::string(e.what()));
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  std::size_t cas = 0;
  for (const auto& cert : certs) {
    if (!pki::is_ca(cert.get())) continue;  // a server certificate pasted along is no trust anchor
    X509_STORE_add_cert(store, cert.get());
    ++cas;
  }
  if (cas == 0) {
    throw config::ConfigError(settings.mark, "tls_custom_ca_file " + settings.custom_ca_file +
                                                 " holds no CA certificate (basicConstraints CA:TRUE)");
  }
}

void load_client_certificate(SSL_CTX* ctx, const config::UpstreamTls& settings) {
  if (SSL_CTX_use_certificate_chain_file(ctx, settings.client_cert_file.c_str()) != 1) {
    throw config::ConfigError(settings.mark, "tls_client_cert_file " + settings.client_cert_file +
                                                 ": cannot read it: " + pki::take_openssl_errors());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, settings.client_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw config::ConfigError(settings.mark, "tls_client_key_file " + settings.client_key_file +
                                                 ": cannot read it: " + pki::take_openssl_errors());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    throw config::ConfigError(settings.mark, "tls_client_key_file " + settings.client_key_file +
                                                 " does not match tls_client_cert_file " +
                                                 settings.client_cert_file);
  }
}

}  // namespace

std::shared_ptr<UpstreamTls> UpstreamTls::build(const config::UpstreamTls& settings,
                                                const std::string& upstream_host) {
  std::shared_ptr<UpstreamTls> tls(new UpstreamTls());
  tls->ctx_.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX* ctx = tls->ctx_.get();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  tls->server_name_ = settings.server_name.empty() ? upstream_host : settings.server_name;
  tls->skip_verify_ = settings.skip_verify;
  unsigned char address[16];
  tls->is_ip_ = inet_pton(AF_INET, tls->server_name_.c_str(), address) == 1 ||
                inet_pton(AF_INET6, tls->server_name_.c_str(), address) == 1;
  if (!settings.custom_ca_file.empty()) {
    load_custom_ca(ctx, settings);
  } else {
    SSL_CTX_set_default_verify_paths(ctx);
  }
  SSL_CTX_set_verify(ctx, settings.skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  if (!settings.client_cert_file.empty()) load_client_certificate(ctx, settings);
  static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof(kAlpn));
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &UpstreamTls::on_new_session);
  SSL_CTX_set_ex_data(ctx, context_index(), tls.get());
  return tls;
}

UpstreamTls::~UpstreamTls() {
  if (last_session_) SSL_SESSION_free(last_session_);
}

pki::SslPtr UpstreamTls::new_connection() const {
  pki::SslPtr ssl(SSL_new(ctx_.get()));
  if (!ssl) return ssl;
  SSL_set_connect_state(ssl.get());
  // An IP address is no SNI (RFC 6066); it is checked against the certificate's IP SANs instead.
  if (!is_ip_) SSL_set_tlsext_host_name(ssl.get(), server_name_.c_str());
  if (!skip_verify_) {
    if (is_ip_) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), server_name_.c_str());
    } else {
      SSL_set1_host(ssl.get(), server_name_.c_str());
    }
  }
  std::lock_guard lock(mutex_);
  if (last_session_) SSL_set_session(ssl.get(), last_session_);
  return ssl;
}

int UpstreamTls::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<UpstreamTls*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), context_index()));
  if (!self) return 0;
  self->remember(session);
  return 1;  // the reference is ours now
}

void UpstreamTls::remember(SSL_SESSION* session) {
  std::lock_guard lock(mutex_);
  if (last_session_) SSL_SESSION_free(last_session_);
  last_session_ = session;
}

}  // namespace certgate::tls
