// Times, through OpenSSL's EVP API (the path libssl itself takes), the asymmetric operations a server
// performs per full mutual-TLS TLS 1.3 handshake with an ECDSA P-256 certificate and X25519 key exchange:
//   1 x ECDSA P-256 sign    (server CertificateVerify)
//   2 x ECDSA P-256 verify  (client CertificateVerify; signature of the client certificate by its CA)
//   1 x X25519 key generation + 1 x X25519 derive (ephemeral key share, shared secret)
// Everything else a server does per handshake (hashing, HKDF, AEAD, parsing, allocation, syscalls) is
// overhead above this floor.
#include "crypto_floor.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "worker.h"

namespace certgate::bench {
namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "crypto-floor: %s failed\n", what);
  ERR_print_errors_fp(stderr);
  std::exit(2);
}

uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

// Times each operation as `iterations` calls, in CPU time of this thread (like the servers' CPU time, it
// excludes time the thread was not running). Rounds are interleaved across the operations so that a
// transient slowdown of the machine hits one round of every operation rather than every round of one;
// the best (lowest) round counts, since this is a floor. Returns microseconds per call.
std::vector<double> time_ops(int iterations, const std::vector<std::function<void()>>& ops) {
  constexpr int kRounds = 7;
  std::vector<double> best(ops.size(), 1e18);
  for (const auto& op : ops) {
    for (int i = 0; i < std::max(iterations / 10, 10); ++i)
      op();  // warm caches and provider lookups
  }
  for (int r = 0; r < kRounds; ++r) {
    for (size_t k = 0; k < ops.size(); ++k) {
      const uint64_t start = thread_cpu_ns();
      for (int i = 0; i < iterations; ++i)
        ops[k]();
      const double us = static_cast<double>(thread_cpu_ns() - start) / 1000.0 / iterations;
      best[k] = std::min(best[k], us);
    }
  }
  return best;
}

std::vector<unsigned char> sign(EVP_PKEY* key, const std::vector<unsigned char>& msg) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  if (md == nullptr || EVP_DigestSignInit_ex(md, nullptr, "SHA256", nullptr, nullptr, key, nullptr) != 1) {
    die("EVP_DigestSignInit_ex");
  }
  std::vector<unsigned char> sig(80);
  size_t len = sig.size();
  if (EVP_DigestSign(md, sig.data(), &len, msg.data(), msg.size()) != 1) die("EVP_DigestSign");
  sig.resize(len);
  EVP_MD_CTX_free(md);
  return sig;
}

void verify(EVP_PKEY* key, const std::vector<unsigned char>& sig, const std::vector<unsigned char>& msg) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  if (md == nullptr || EVP_DigestVerifyInit_ex(md, nullptr, "SHA256", nullptr, nullptr, key, nullptr) != 1) {
    die("EVP_DigestVerifyInit_ex");
  }
  if (EVP_DigestVerify(md, sig.data(), sig.size(), msg.data(), msg.size()) != 1) die("EVP_DigestVerify");
  EVP_MD_CTX_free(md);
}

EVP_PKEY* x25519_keygen() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &key) != 1)
    die("X25519 keygen");
  EVP_PKEY_CTX_free(ctx);
  return key;
}

void x25519_derive(EVP_PKEY* own, EVP_PKEY* peer) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr);
  unsigned char secret[32];
  size_t len = sizeof secret;
  if (ctx == nullptr || EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
      EVP_PKEY_derive(ctx, secret, &len) != 1) {
    die("X25519 derive");
  }
  EVP_PKEY_CTX_free(ctx);
}

// The same operations with the contexts set up once: the bare math, comparable to `openssl speed`.
struct Primitive {
  double sign_us, verify_us, keygen_us, derive_us;
};

Primitive time_primitives(int iterations, EVP_PKEY* key, EVP_PKEY* x_own, EVP_PKEY* x_peer) {
  unsigned char digest[32] = {1, 2, 3};
  unsigned char sig[80];
  size_t sig_len = sizeof sig;
  EVP_PKEY_CTX* sctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
  if (sctx == nullptr || EVP_PKEY_sign_init(sctx) != 1 ||
      EVP_PKEY_sign(sctx, sig, &sig_len, digest, 32) != 1) {
    die("EVP_PKEY_sign");
  }
  EVP_PKEY_CTX* vctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
  if (vctx == nullptr || EVP_PKEY_verify_init(vctx) != 1) die("EVP_PKEY_verify_init");
  EVP_PKEY_CTX* kctx = EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr);
  if (kctx == nullptr || EVP_PKEY_keygen_init(kctx) != 1) die("EVP_PKEY_keygen_init");
  EVP_PKEY_CTX* dctx = EVP_PKEY_CTX_new_from_pkey(nullptr, x_own, nullptr);
  if (dctx == nullptr || EVP_PKEY_derive_init(dctx) != 1 || EVP_PKEY_derive_set_peer(dctx, x_peer) != 1) {
    die("EVP_PKEY_derive_init");
  }
  Primitive p{};
  const auto t = time_ops(iterations, {[&] {
                                         unsigned char out[80];
                                         size_t len = sizeof out;
                                         if (EVP_PKEY_sign(sctx, out, &len, digest, 32) != 1)
                                           die("EVP_PKEY_sign");
                                       },
                                       [&] {
                                         if (EVP_PKEY_verify(vctx, sig, sig_len, digest, 32) != 1) {
                                           die("EVP_PKEY_verify");
                                         }
                                       },
                                       [&] {
                                         EVP_PKEY* k = nullptr;
                                         if (EVP_PKEY_keygen(kctx, &k) != 1) die("EVP_PKEY_keygen");
                                         EVP_PKEY_free(k);
                                       },
                                       [&] {
                                         unsigned char secret[32];
                                         size_t len = sizeof secret;
                                         if (EVP_PKEY_derive(dctx, secret, &len) != 1) die("EVP_PKEY_derive");
                                       }});
  p.sign_us = t[0];
  p.verify_us = t[1];
  p.keygen_us = t[2];
  p.derive_us = t[3];
  EVP_PKEY_CTX_free(sctx);
  EVP_PKEY_CTX_free(vctx);
  EVP_PKEY_CTX_free(kctx);
  EVP_PKEY_CTX_free(dctx);
  return p;
}

}  // namespace

int run_crypto_floor(int iterations, bool json) {
  iterations = std::max(iterations, 10);
  EVP_PKEY* server_key = EVP_EC_gen("P-256");
  EVP_PKEY* client_key = EVP_EC_gen("P-256");
  EVP_PKEY* ca_key = EVP_EC_gen("P-256");
  if (server_key == nullptr || client_key == nullptr || ca_key == nullptr) die("P-256 keygen");
  // CertificateVerify input: 64 spaces, context string, 0, transcript hash (SHA-384 for TLS_AES_256_GCM).
  std::vector<unsigned char> cert_verify(64 + 34 + 48, 0x20);
  // A client certificate's to-be-signed part is a few hundred bytes.
  std::vector<unsigned char> tbs(420, 0x5a);
  const auto client_sig = sign(client_key, cert_verify);
  const auto ca_sig = sign(ca_key, tbs);
  EVP_PKEY* peer_share = x25519_keygen();

  EVP_PKEY* own_share = x25519_keygen();
  const auto t = time_ops(
      iterations, {[&] { (void)sign(server_key, cert_verify); },
                   [&] { verify(client_key, client_sig, cert_verify); }, [&] { verify(ca_key, ca_sig, tbs); },
                   [&] { EVP_PKEY_free(x25519_keygen()); }, [&] { x25519_derive(own_share, peer_share); }});
  const double sign_us = t[0], verify_cv_us = t[1], verify_cert_us = t[2], keygen_us = t[3], derive_us = t[4];
  const double floor_us = sign_us + verify_cv_us + verify_cert_us + keygen_us + derive_us;
  const Primitive prim = time_primitives(iterations, server_key, own_share, peer_share);
  const double prim_floor_us = prim.sign_us + 2 * prim.verify_us + prim.keygen_us + prim.derive_us;

  if (json) {
    std::printf(
        "{\"openssl\":\"%s\",\"iterations\":%d,\"ecdsa_p256_sign_us\":%.1f,"
        "\"ecdsa_p256_verify_certificate_verify_us\":%.1f,\"ecdsa_p256_verify_certificate_us\":%.1f,"
        "\"x25519_keygen_us\":%.1f,\"x25519_derive_us\":%.1f,\"floor_us\":%.1f,"
        "\"primitive\":{\"ecdsa_p256_sign_us\":%.1f,\"ecdsa_p256_verify_us\":%.1f,\"x25519_keygen_us\":%.1f,"
        "\"x25519_derive_us\":%.1f,\"floor_us\":%.1f}}\n",
        OpenSSL_version(OPENSSL_VERSION), iterations, sign_us, verify_cv_us, verify_cert_us, keygen_us,
        derive_us, floor_us, prim.sign_us, prim.verify_us, prim.keygen_us, prim.derive_us, prim_floor_us);
  } else {
    std::printf(
        "crypto floor of a full mTLS TLS 1.3 handshake, server side (%s, best of 7 rounds x %d, thread CPU "
        "time)\n",
        OpenSSL_version(OPENSSL_VERSION), iterations);
    std::printf("  ECDSA P-256 sign (server CertificateVerify)        %8.1f us\n", sign_us);
    std::printf("  ECDSA P-256 verify (client CertificateVerify)      %8.1f us\n", verify_cv_us);
    std::printf("  ECDSA P-256 verify (client certificate signature)  %8.1f us\n", verify_cert_us);
    std::printf("  X25519 key generation                              %8.1f us\n", keygen_us);
    std::printf("  X25519 derive                                      %8.1f us\n", derive_us);
    std::printf("  crypto floor per handshake                         %8.1f us\n", floor_us);
    std::printf("bare primitives, contexts reused (comparable to `openssl speed`)\n");
    std::printf("  sign %.1f + 2 x verify %.1f + X25519 keygen %.1f + derive %.1f = %.1f us\n", prim.sign_us,
                prim.verify_us, prim.keygen_us, prim.derive_us, prim_floor_us);
  }
  EVP_PKEY_free(own_share);
  EVP_PKEY_free(peer_share);
  EVP_PKEY_free(server_key);
  EVP_PKEY_free(client_key);
  EVP_PKEY_free(ca_key);
  return 0;
}

}  // namespace certgate::bench
