// Unit tests of the JWT assertion: ES256 signatures (verified back with OpenSSL), JWK and kid, key
// rotation across reloads, the claims, and the per-connection token cache.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ecdsa.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "config/config_error.h"
#include "jwt/assertion.h"
#include "jwt/jws.h"
#include "jwt/key_ring.h"
#include "jwt/signing_key.h"
#include "pki/toolkit/key_generator.h"

namespace jwt = certgate::jwt;
namespace pki = certgate::pki;
namespace tk = certgate::pki::toolkit;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

namespace {

std::string base64url_decode(std::string s) {
  for (auto& c : s) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (s.size() % 4)
    s.push_back('=');
  return certgate::base64_decode(s).value();
}

std::vector<std::string> split(const std::string& token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (auto dot = token.find('.'); dot != std::string::npos; dot = token.find('.', start)) {
    parts.push_back(token.substr(start, dot - start));
    start = dot + 1;
  }
  parts.push_back(token.substr(start));
  return parts;
}

// Verifies an ES256 compact JWS with OpenSSL: R || S back to DER, then EVP_DigestVerify.
bool verify_es256(EVP_PKEY* key, const std::string& token) {
  const auto parts = split(token);
  if (parts.size() != 3) return false;
  const auto raw = base64url_decode(parts[2]);
  if (raw.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  const std::string input = parts[0] + "." + parts[1];
  pki::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_len),
                                   reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  OPENSSL_free(der);
  return ok;
}

class KeyFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "certgate-jwt-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write_key(const std::string& name, tk::KeyType type = tk::KeyType::ec_p256) {
    const auto key = tk::generate_key(type);
    const auto path = dir_ + "/" + name;
    std::ofstream(path) << tk::private_key_pem(key.get());
    return path;
  }

  std::string dir_;
};

std::vector<std::string> kids(const jwt::KeyRing& ring) {
  std::vector<std::string> out;
  const auto jwks = nlohmann::json::parse(ring.jwks());
  for (const auto& k : jwks["keys"])
    out.push_back(k["kid"]);
  return out;
}

}  // namespace

TEST(Jws, ConvertsDerSignaturesToFixedSizeRAndS) {
  // SEQUENCE { INTEGER 0x01, INTEGER 0x00ff (leading zero: positive) }
  const std::string der("\x30\x07\x02\x01\x01\x02\x02\x00\xff", 9);
  const auto raw = jwt::ecdsa_der_to_jose(der, 4);
  ASSERT_TRUE(raw);
  EXPECT_EQ(*raw, std::string("\0\0\0\x01\0\0\0\xff", 8));
  EXPECT_FALSE(jwt::ecdsa_der_to_jose(der + "x", 4));  // trailing bytes
  EXPECT_FALSE(jwt::ecdsa_der_to_jose(der.substr(0, 5), 4));
  const std::string big("\x30\x08\x02\x01\x01\x02\x03\x01\x00\x00", 10);
  EXPECT_FALSE(jwt::ecdsa_der_to_jose(big, 2));  // S does not fit
}

TEST(Jws, SignsWhatOpenSslVerifies) {
  const auto key = jwt::SigningKey::generate();
  for (int i = 0; i < 20; ++i) {  // R or S with leading zero bytes happen: all must stay 32 bytes
    const auto token =
        jwt::sign_es256(key->key(), key->encoded_header(), R"({"n":)" + std::to_string(i) + "}");
    ASSERT_TRUE(verify_es256(key->key(), token)) << token;
  }
  const auto header = nlohmann::json::parse(base64url_decode(key->encoded_header()));
  EXPECT_EQ(header, (nlohmann::json{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", key->kid()}}));
}

TEST(SigningKey, PublishesAPublicJwkWithItsThumbprintAsKid) {
  const auto key = jwt::SigningKey::generate();
  const auto& jwk = key->public_jwk();
  EXPECT_EQ(jwk["kty"], "EC");
  EXPECT_EQ(jwk["crv"], "P-256");
  EXPECT_EQ(jwk["alg"], "ES256");
  EXPECT_EQ(jwk["use"], "sig");
  EXPECT_FALSE(jwk.contains("d"));  // never the private part
  EXPECT_EQ(base64url_decode(jwk["x"]).size(), 32u);
  EXPECT_EQ(base64url_decode(jwk["y"]).size(), 32u);
  EXPECT_EQ(jwk["kid"], key->kid());
  EXPECT_EQ(base64url_decode(key->kid()).size(), 32u);  // SHA-256
  EXPECT_NE(jwt::SigningKey::generate()->kid(), key->kid());
}

TEST_F(KeyFiles, LoadsP256AndRefusesOtherKeys) {
  const auto a = jwt::SigningKey::load(write_key("a.pem"));
  EXPECT_EQ(jwt::SigningKey::load(dir_ + "/a.pem")->kid(), a->kid());  // same key, same kid
  EXPECT_FALSE(a->generated());
  try {
    jwt::SigningKey::load(write_key("rsa.pem", tk::KeyType::rsa_2048));
    FAIL() << "an RSA key was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("is not an EC P-256 private key"));
  }
  EXPECT_THROW(jwt::SigningKey::load(write_key("p384.pem", tk::KeyType::ec_p384)), std::runtime_error);
  std::ofstream(dir_ + "/junk.pem") << "junk";
  EXPECT_THROW(jwt::SigningKey::load(dir_ + "/junk.pem"), std::runtime_error);
}

TEST_F(KeyFiles, RotationKeepsTheOldKeyPublishedForOneRotation) {
  certgate::config::JwtSettings settings;
  settings.signing_key_file = write_key("a.pem");
  const auto a = jwt::KeyRing::build(settings, nullptr);
  const auto kid_a = a->signing_key().kid();
  EXPECT_EQ(kids(*a), std::vector<std::string>{kid_a});

  const auto same = jwt::KeyRing::build(settings, a.get());  // reload, file unchanged
  EXPECT_EQ(kids(*same), std::vector<std::string>{kid_a});

  settings.signing_key_file = write_key("a.pem");  // the file now holds a new key
  const auto b = jwt::KeyRing::build(settings, same.get());
  const auto kid_b = b->signing_key().kid();
  EXPECT_NE(kid_b, kid_a);
  EXPECT_EQ(kids(*b), (std::vector<std::string>{kid_b, kid_a}));
  EXPECT_EQ(kids(*jwt::KeyRing::build(settings, b.get())), (std::vector<std::string>{kid_b, kid_a}));

  settings.signing_key_file = write_key("c.pem");
  const auto c = jwt::KeyRing::build(settings, b.get());
  EXPECT_EQ(kids(*c), (std::vector<std::string>{c->signing_key().kid(), kid_b}));  // a is gone
}

TEST_F(KeyFiles, GeneratedKeySurvivesReloads) {
  certgate::config::JwtSettings settings;
  const auto first = jwt::KeyRing::build(settings, nullptr);
  EXPECT_TRUE(first->signing_key().generated());
  const auto again = jwt::KeyRing::build(settings, first.get());
  EXPECT_EQ(again->signing_key().kid(), first->signing_key().kid());
  settings.signing_key_file = write_key("k.pem");
  const auto from_file = jwt::KeyRing::build(settings, again.get());
  EXPECT_EQ(kids(*from_file),
            (std::vector<std::string>{from_file->signing_key().kid(), first->signing_key().kid()}));
}

TEST_F(KeyFiles, UnusableKeyFileIsAConfigErrorAtItsLine) {
  certgate::config::JwtSettings settings;
  settings.signing_key_file = write_key("rsa.pem", tk::KeyType::rsa_2048);
  settings.signing_key_mark = {"/etc/certgate.yaml", 7};
  try {
    jwt::KeyRing::build(settings, nullptr);
    FAIL();
  } catch (const certgate::config::ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/etc/certgate.yaml:7: jwt.signing_key_file: "));
  }
}

TEST(Assertion, CarriesTheClaims) {
  const auto ring = jwt::KeyRing::build({}, nullptr);
  const std::vector<std::string> groups = {"admins", "ops"};
  jwt::AssertionClaims claims;
  claims.issuer = "https://app.test:8443";
  claims.audience = "app.test";
  claims.subject = "CN=alice,O=Example";
  claims.email = "alice@example.com";
  claims.groups = groups;
  claims.certificate_thumbprint = "thumb";
  claims.ttl = 120s;
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  const auto a = jwt::sign_assertion(*ring, claims, now);
  ASSERT_TRUE(verify_es256(ring->signing_key().key(), a.token));
  const auto payload = nlohmann::json::parse(base64url_decode(split(a.token)[1]));
  EXPECT_EQ(payload["iss"], "https://app.test:8443");
  EXPECT_EQ(payload["aud"], "app.test");
  EXPECT_EQ(payload["sub"], "CN=alice,O=Example");
  EXPECT_EQ(payload["email"], "alice@example.com");
  EXPECT_EQ(payload["groups"], (nlohmann::json{"admins", "ops"}));
  EXPECT_EQ(payload["iat"], 1'700'000'000);
  EXPECT_EQ(payload["exp"], 1'700'000'120);
  EXPECT_EQ(payload["cnf"], (nlohmann::json{{"x5t#S256", "thumb"}}));
  EXPECT_EQ(base64url_decode(payload["jti"]).size(), 16u);
  EXPECT_EQ(a.expires, now + 120s);

  claims.email = "";
  claims.groups = {};
  const auto bare =
      nlohmann::json::parse(base64url_decode(split(jwt::sign_assertion(*ring, claims, now).token)[1]));
  EXPECT_FALSE(bare.contains("email"));
  EXPECT_EQ(bare["groups"], nlohmann::json::array());
  EXPECT_NE(bare["jti"], payload["jti"]);
}

TEST(Assertion, CacheReusesATokenUntilItNearsExpiry) {
  const auto ring = jwt::KeyRing::build({}, nullptr);
  jwt::AssertionClaims claims;
  claims.issuer = "https://a.test";
  claims.audience = "a.test";
  claims.subject = "CN=a";
  claims.certificate_thumbprint = "t";
  claims.ttl = 300s;
  jwt::AssertionCache cache;
  const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  const std::string first = cache.get(*ring, claims, t0);
  EXPECT_EQ(cache.get(*ring, claims, t0 + 239s), first);  // more than a minute left
  const std::string refreshed = cache.get(*ring, claims, t0 + 240s);
  EXPECT_NE(refreshed, first);
  claims.subject = "CN=b";  // another client on the same connection
  EXPECT_NE(cache.get(*ring, claims, t0 + 241s), refreshed);
  const auto other_ring = jwt::KeyRing::build({}, nullptr);  // a reload
  claims.subject = "CN=a";
  const std::string a_again = cache.get(*ring, claims, t0 + 242s);
  EXPECT_NE(cache.get(*other_ring, claims, t0 + 242s), a_again);

  claims.ttl = 10s;  // short lifetimes refresh at half their life
  const std::string short_lived = cache.get(*ring, claims, t0);
  EXPECT_EQ(cache.get(*ring, claims, t0 + 4s), short_lived);
  EXPECT_NE(cache.get(*ring, claims, t0 + 5s), short_lived);
}
