#include "tls/server_tls.h"

#include <openssl/pem.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "config/config_error.h"
#include "pki/cert_info.h"
#include "tls/handshake_verification.h"
#include "tls/ticket_chain.h"

namespace certgate::tls {
namespace {

// Mozilla "intermediate" TLS 1.2 suites (forward secret AEAD only); TLS 1.3 uses OpenSSL's defaults.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kGroups = "X25519:P-256:P-384";

int select_http11(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                  unsigned int inlen, void*) {
  static constexpr unsigned char kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};
  for (unsigned int i = 0; i < inlen;) {
    const unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == sizeof(kHttp11) && std::memcmp(in + i + 1, kHttp11, len) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

int on_ticket_generate(SSL* ssl, void*) {
  // A resumed session already carries the chain in its (duplicated) app data.
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  if (chain && sk_X509_num(chain) > 0) {
    const auto data = encode_ticket_chain(chain);
    SSL_SESSION_set1_ticket_appdata(SSL_get_session(ssl), data.data(), data.size());
  }
  return 1;
}

// Whether a decrypted ticket may resume this connection. OpenSSL compares the session id context for
// TLS 1.2 session resumption; checking it here as well covers TLS 1.3 tickets whatever the OpenSSL
// version does, so a ticket never crosses hosts or trust sets (nginx CVE-2025-23419).
bool may_resume(SSL* ssl, SSL_SESSION* session, STACK_OF(X509) * intermediates) {
  auto* info = static_cast<HandshakeInfo*>(SSL_get_app_data(ssl));
  if (!info || !info->profile) return false;
  unsigned int len = 0;
  const unsigned char* context = SSL_SESSION_get0_id_context(session, &len);
  if (len != info->session_id_context.size() ||
      std::memcmp(context, info->session_id_context.data(), len) != 0) {
    return false;
  }
  if (info->profile->handshake_trust) return verify_resumed_certificate(session, intermediates, *info);
  return true;
}

bool may_resume_ticket(SSL* ssl, SSL_SESSION* session) {
  void* data = nullptr;
  size_t data_len = 0;
  std::optional<pki::X509StackPtr> chain;
  if (SSL_SESSION_get0_ticket_appdata(session, &data, &data_len) == 1 && data_len > 0) {
    chain = decode_ticket_chain(data, data_len);
    if (!chain) return false;  // unreadable chain: do a full handshake instead
  }
  return may_resume(ssl, session, chain ? chain->get() : nullptr);
}

SSL_TICKET_RETURN on_ticket_decrypt(SSL* ssl, SSL_SESSION* session, const unsigned char*, size_t,
                                    SSL_TICKET_STATUS status, void*) {
  switch (status) {
    case SSL_TICKET_SUCCESS:
    case SSL_TICKET_SUCCESS_RENEW:
      if (!may_resume_ticket(ssl, session)) return SSL_TICKET_RETURN_IGNORE_RENEW;
      // TLS 1.3 tickets are single-use for clients (RFC 8446 C.4): without a fresh one, the client's next
      // connection is a full handshake. TLS 1.2 tickets are renewed only when their key is old.
      if (status == SSL_TICKET_SUCCESS_RENEW || SSL_version(ssl) >= TLS1_3_VERSION)
        return SSL_TICKET_RETURN_USE_RENEW;
      return SSL_TICKET_RETURN_USE;
    case SSL_TICKET_EMPTY:
    case SSL_TICKET_NO_DECRYPT:
      return SSL_TICKET_RETURN_IGNORE_RENEW;
    default:
      return SSL_TICKET_RETURN_IGNORE;
  }
}

int session_cache_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

SessionCache& session_cache_of(SSL_CTX* ctx) {
  return *static_cast<SessionCache*>(SSL_CTX_get_ex_data(ctx, session_cache_index()));
}

// The session of a full handshake (and, in TLS 1.3, of each new ticket): kept with the client's chain,
// which a reject_connection host re-verifies when the session comes back.
int on_session_new(SSL* ssl, SSL_SESSION* session) {
  session_cache_of(SSL_get_SSL_CTX(ssl)).store(session, SSL_get_peer_cert_chain(ssl));
  return 1;  // the cache keeps the reference OpenSSL handed over
}

SSL_SESSION* on_session_get(SSL* ssl, const unsigned char* id, int id_length, int* copy) {
  *copy = 0;  // the returned reference is OpenSSL's
  auto& cache = session_cache_of(SSL_get_SSL_CTX(ssl));
  auto found = cache.take(id, static_cast<std::size_t>(id_length), SSL_version(ssl) >= TLS1_3_VERSION);
  if (!found.session) return nullptr;
  // The session must belong to this host and trust set (OpenSSL 3.0 does not compare them for TLS 1.3).
  // Shown to the wrong host, it goes back: its own host may still resume it.
  if (!may_resume(ssl, found.session.get(), found.intermediates.get())) {
    cache.store(found.session.release(), found.intermediates.get());
    return nullptr;
  }
  return found.session.release();
}

void on_session_remove(SSL_CTX* ctx, SSL_SESSION* session) {
  unsigned int length = 0;
  const unsigned char* id = SSL_SESSION_get_id(session, &length);
  session_cache_of(ctx).remove(id, length);
}

long seconds(config::Duration d) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

// Reads the first host_name from the ClientHello's server_name extension (RFC 6066 section 3).
bool read_sni(SSL* ssl, std::string& sni) {
  const unsigned char* p = nullptr;
  size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) != 1) return true;  // no SNI
  if (len < 2) return false;
  const size_t list_len = (size_t(p[0]) << 8) | p[1];
  if (list_len + 2 != len) return false;
  for (size_t pos = 2; pos + 3 <= len;) {
    const unsigned type = p[pos];
    const size_t name_len = (size_t(p[pos + 1]) << 8) | p[pos + 2];
    pos += 3;
    if (pos + name_len > len) return false;
    if (type == TLSEXT_NAMETYPE_host_name) {
      if (name_len == 0 || name_len > 255) return false;
      sni.assign(reinterpret_cast<const char*>(p + pos), name_len);
      for (auto& c : sni) {
        if (c == '\0') return false;
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      if (sni.back() == '.') sni.pop_back();
      return true;
    }
    pos += name_len;
  }
  return true;
}

// "EC 256-bit", "RSA 2048-bit": what an operator can compare with `openssl x509 -text` / `openssl pkey
// -text`.
std::string key_description(const EVP_PKEY* key) {
  const char* type = EVP_PKEY_get0_type_name(key);
  return std::string(type ? type : "unknown") + " " + std::to_string(EVP_PKEY_get_bits(key)) + "-bit";
}

// The key is read on its own before it meets the certificate: SSL_CTX_use_PrivateKey_file reports a key
// that belongs to another certificate as a failure to load it, which sends operators after its encoding.
pki::EvpPkeyPtr load_private_key(const config::CertificateKeyPair& pair, X509* leaf) {
  const auto no_password = [](char*, int, int, void*) { return 0; };
  pki::BioPtr bio(BIO_new_file(pair.key_file.c_str(), "r"));
  pki::EvpPkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr) : nullptr);
  if (!key) {
    throw config::ConfigError(pair.key_mark,
                              "cannot load private key " + pair.key_file +
                                  " (an unencrypted PEM key is required): " + pki::take_openssl_errors());
  }
  if (X509_check_private_key(leaf, key.get()) == 1) return key;
  ERR_clear_error();
  const auto own = key_description(key.get());
  const auto certificate = key_description(X509_get0_pubkey(leaf));
  if (own == certificate) {
    throw config::ConfigError(pair.key_mark, "private key " + pair.key_file +
                                                 " is not the key of certificate " + pair.cert_file +
                                                 " (both are " + own + " keys, but different ones)");
  }
  throw config::ConfigError(pair.key_mark, "private key " + pair.key_file + " is an " + own +
                                               " key, but certificate " + pair.cert_file + " holds an " +
                                               certificate + " public key: they do not belong together");
}

HostProfile unknown_host_profile(config::ListenerProtocol protocol) {
  HostProfile profile;
  profile.session_context = "unknown-host";
  // An HTTPS listener answers 404 for an unknown host; a TLS listener has nowhere to send the bytes.
  profile.routable = protocol == config::ListenerProtocol::https;
  return profile;
}

}  // namespace

ServerTls::ServerTls(const config::Listener& listener, const config::TlsSettings& settings,
                     HostProfiles profiles, ResumptionState& resumption)
    : protocol_(listener.protocol),
      settings_(settings),
      resumption_(resumption),
      profiles_(std::move(profiles)),
      unknown_host_(unknown_host_profile(listener.protocol)) {
  for (const auto& pair : listener.certificates)
    certificates_.push_back(load_certificate(pair));
  // Earlier certificates win when two cover the same name.
  for (auto it = certificates_.rbegin(); it != certificates_.rend(); ++it) {
    for (const auto& name : it->names)
      by_name_[name] = it->ctx.get();
  }
}

std::vector<ServerTls::ServedChain> ServerTls::served_chains() const {
  std::vector<ServedChain> out;
  for (const auto& c : certificates_) {
    ServedChain served;
    served.leaf = SSL_CTX_get0_certificate(c.ctx.get());
    // Each context holds one certificate, so its current chain is that certificate's.
    SSL_CTX_get0_chain_certs(c.ctx.get(), &served.chain);
    out.push_back(served);
  }
  return out;
}

ServerTls::Certificate ServerTls::load_certificate(const config::CertificateKeyPair& pair) {
  Certificate out;
  out.ctx.reset(SSL_CTX_new(TLS_server_method()));
  SSL_CTX* ctx = out.ctx.get();
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, pair.cert_file.c_str()) != 1) {
    throw config::ConfigError(
        pair.cert_mark, "cannot load certificate " + pair.cert_file + ": " + pki::take_openssl_errors());
  }
  X509* leaf = SSL_CTX_get0_certificate(ctx);
  const auto key = load_private_key(pair, leaf);
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    throw config::ConfigError(pair.key_mark,
                              "cannot use private key " + pair.key_file + ": " + pki::take_openssl_errors());
  }
  for (const auto& san : pki::subject_alt_names(leaf)) {
    if (san.kind == pki::SubjectAltName::Kind::dns) out.names.push_back(san.value);
  }
  if (out.names.empty()) out.names = pki::subject_attribute(leaf, NID_commonName);
  for (auto& name : out.names) {
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }
  configure(ctx);
  return out;
}

void ServerTls::configure(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_security_level(ctx, 2);
  SSL_CTX_set_cipher_list(ctx, kTls12Ciphers);
  SSL_CTX_set1_groups_list(ctx, kGroups);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Record buffers are kept while a connection is busy and freed when it idles (Http1Connection::on_tick
  // calls SSL_free_buffers), instead of SSL_MODE_RELEASE_BUFFERS's malloc/free on every record.
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  switch (settings_.session_resumption) {
    case config::SessionResumption::cache:
      // SSL_OP_NO_TICKET: TLS 1.3 tickets carry only the session id, TLS 1.2 resumes by session id; the
      // sessions themselves live in the process-wide cache (tls/session_cache.h explains why).
      SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
      SSL_CTX_set_num_tickets(ctx, 1);
      SSL_CTX_set_timeout(ctx, seconds(settings_.session_lifetime));
      SSL_CTX_set_session_cache_mode(
          ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL | SSL_SESS_CACHE_NO_AUTO_CLEAR);
      SSL_CTX_set_ex_data(ctx, session_cache_index(), &resumption_.session_cache);
      SSL_CTX_sess_set_new_cb(ctx, on_session_new);
      SSL_CTX_sess_set_get_cb(ctx, on_session_get);
      SSL_CTX_sess_set_remove_cb(ctx, on_session_remove);
      break;
    case config::SessionResumption::tickets:
      // Stateless tickets, encrypted with the process-wide keys; a ticket lives as long as its key encrypts.
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
      SSL_CTX_set_num_tickets(ctx, 1);
      SSL_CTX_set_timeout(ctx, seconds(settings_.ticket_key_rotation));
      SSL_CTX_set_session_ticket_cb(ctx, on_ticket_generate, on_ticket_decrypt, nullptr);
      resumption_.ticket_keys.attach(ctx);
      break;
    case config::SessionResumption::off:
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
      SSL_CTX_set_num_tickets(ctx, 0);
      SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
      break;
  }
  SSL_CTX_set_client_hello_cb(ctx, on_client_hello, this);
  SSL_CTX_set_cert_verify_callback(ctx, verify_client_certificate, nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  // TLS endpoints carry an unknown protocol: no ALPN is negotiated for them.
  if (protocol_ == config::ListenerProtocol::https) SSL_CTX_set_alpn_select_cb(ctx, select_http11, nullptr);
}

SSL_CTX* ServerTls::context_for(const std::string& sni) const {
  if (!sni.empty()) {
    if (auto it = by_name_.find(sni); it != by_name_.end()) return it->second;
    if (auto dot = sni.find('.'); dot != std::string::npos) {
      if (auto it = by_name_.find("*" + sni.substr(dot)); it != by_name_.end()) return it->second;
    }
  }
  return certificates_.front().ctx.get();
}

pki::SslPtr ServerTls::new_connection(HandshakeInfo* info) const {
  pki::SslPtr ssl(SSL_new(certificates_.front().ctx.get()));
  if (ssl) {
    SSL_set_accept_state(ssl.get());
    SSL_set_app_data(ssl.get(), info);
  }
  return ssl;
}

int ServerTls::on_client_hello(SSL* ssl, int* alert, void* arg) {
  const auto* self = static_cast<const ServerTls*>(arg);
  auto* info = static_cast<HandshakeInfo*>(SSL_get_app_data(ssl));
  if (!read_sni(ssl, info->sni)) {
    *alert = SSL_AD_DECODE_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  SSL_CTX* ctx = self->context_for(info->sni);
  if (ctx != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, ctx);
  const HostProfile* profile =
      info->sni.empty() ? &self->profiles_.no_sni() : self->profiles_.find(info->sni);
  if (!profile) profile = &self->unknown_host_;
  info->profile = profile;
  if (!profile->routable) {
    info->rejection = std::make_unique<HandshakeRejection>(HandshakeRejection{
        Reason::unknown_host, "",
        info->sni.empty() ? "no SNI, and the listener has no default_host" : "no route for this SNI"});
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_CLIENT_HELLO_ERROR;
  }
  // Ask for a certificate only where a route uses mTLS: no browser prompt on public hosts. Resumed
  // sessions ask for none (TLS has no CertificateRequest then); their ticket is bound to this profile.
  int mode = SSL_VERIFY_NONE;
  if (profile->request_client_cert) {
    mode = SSL_VERIFY_PEER | (profile->handshake_trust ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
  }
  SSL_set_verify(ssl, mode, nullptr);
  if (profile->ca_names) SSL_set_client_CA_list(ssl, SSL_dup_CA_list(profile->ca_names.get()));
  info->session_id_context = profile->session_id_context(info->sni);
  SSL_set_session_id_context(ssl, info->session_id_context.data(),
                             static_cast<unsigned int>(info->session_id_context.size()));
  return SSL_CLIENT_HELLO_SUCCESS;
}

}  // namespace certgate::tls
