// Unit tests of the certificate forwarding formats: URL-escaped PEM (nginx), base64, XFCC (Envoy),
// trusted_proxies address blocks, certificates read from a trusted header, and their config blocks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "auth/header_certificate.h"
#include "common/base64.h"
#include "config/address_block.h"
#include "config/config_error.h"
#include "config/loader.h"
#include "http/cert_formats.h"
#include "http/header_rules.h"
#include "http/xfcc.h"
#include "pki/cert_info.h"
#include "pki/pem.h"
#include "pki/toolkit/certificate_builder.h"
#include "pki/toolkit/key_generator.h"
#include "proxy/cert_forwarding.h"

namespace cfg = certgate::config;
namespace http = certgate::http;
namespace pki = certgate::pki;
namespace tk = certgate::pki::toolkit;
using ::testing::HasSubstr;

namespace {

// nginx's NGX_ESCAPE_URI_COMPONENT table (src/core/ngx_string.c): a set bit means "escape".
constexpr uint32_t kNginxUriComponent[] = {0xffffffff, 0xfc009fff, 0x78000001, 0xb8000001,
                                           0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff};

struct Issued {
  pki::EvpPkeyPtr ca_key;
  pki::X509Ptr ca;
  pki::EvpPkeyPtr key;
  pki::X509Ptr leaf;
};

Issued issue(std::vector<pki::SubjectAltName> sans = {}) {
  Issued out;
  out.ca_key = tk::generate_key(tk::KeyType::ec_p256);
  tk::CertificateSpec ca_spec;
  ca_spec.profile = tk::Profile::root_ca;
  ca_spec.common_name = "Formats Root";
  out.ca = tk::build_certificate(ca_spec, out.ca_key.get(), tk::Signer{nullptr, out.ca_key.get()});
  out.key = tk::generate_key(tk::KeyType::ec_p256);
  tk::CertificateSpec spec;
  spec.profile = tk::Profile::client;
  spec.common_name = "Alice, \"the\" tester";
  spec.sans = std::move(sans);
  out.leaf = tk::build_certificate(spec, out.key.get(), tk::Signer{out.ca.get(), out.ca_key.get()});
  return out;
}

std::string fingerprint(const X509* cert) {
  return pki::sha256_fingerprint_hex(cert);
}

}  // namespace

// --- URL-escaped PEM ------------------------------------------------------------------------------------

TEST(EscapeUriComponent, MatchesNginxTableForEveryByte) {
  for (int c = 0; c < 256; ++c) {
    const std::string in(1, static_cast<char>(c));
    const bool nginx_escapes = kNginxUriComponent[c >> 5] & (1u << (c & 0x1f));
    const auto out = http::escape_uri_component(in);
    if (nginx_escapes) {
      char expected[4];
      std::snprintf(expected, sizeof(expected), "%%%02X", c);
      EXPECT_EQ(out, expected) << "byte " << c;
    } else {
      EXPECT_EQ(out, in) << "byte " << c;
    }
  }
}

TEST(EscapeUriComponent, EscapesPemLikeNginx) {
  EXPECT_EQ(http::escape_uri_component("-----BEGIN CERTIFICATE-----\nMIIB+a/z=\n"),
            "-----BEGIN%20CERTIFICATE-----%0AMIIB%2Ba%2Fz%3D%0A");
}

TEST(UnescapePercent, RoundTripsAndRejectsBrokenEscapes) {
  const std::string all = [] {
    std::string s;
    for (int c = 0; c < 256; ++c)
      s.push_back(static_cast<char>(c));
    return s;
  }();
  EXPECT_EQ(http::unescape_percent(http::escape_uri_component(all)), all);
  EXPECT_EQ(http::unescape_percent("a%2fb%2Fc+d"), "a/b/c+d");  // '+' is not a space here
  EXPECT_FALSE(http::unescape_percent("%"));
  EXPECT_FALSE(http::unescape_percent("abc%2"));
  EXPECT_FALSE(http::unescape_percent("%zz"));
}

// --- base64 ---------------------------------------------------------------------------------------------

TEST(Base64, EncodesAndDecodesStrictly) {
  EXPECT_EQ(certgate::base64_encode(""), "");
  EXPECT_EQ(certgate::base64_encode("f"), "Zg==");
  EXPECT_EQ(certgate::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(certgate::base64_decode("Zg=="), "f");
  EXPECT_EQ(certgate::base64_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(certgate::base64_decode("+/+/"), std::string("\xfb\xff\xbf", 3));
  EXPECT_FALSE(certgate::base64_decode("Zg"));     // padding required
  EXPECT_FALSE(certgate::base64_decode("Zg=a"));   // '=' inside
  EXPECT_FALSE(certgate::base64_decode(" Zg=="));  // whitespace
  EXPECT_FALSE(certgate::base64_decode("Z==="));   // too much padding
  EXPECT_FALSE(certgate::base64_decode("-_-_"));   // base64url alphabet
  EXPECT_EQ(certgate::base64url_encode("\xfb\xff\xbf\x01"), "-_-_AQ");
}

// --- XFCC -----------------------------------------------------------------------------------------------

TEST(Xfcc, QuotesAsEnvoyDocuments) {
  std::string e;
  http::append_xfcc_pair(e, "By", "spiffe://gw.example/ns");
  http::append_xfcc_pair(e, "Hash", "abc");
  http::append_xfcc_pair(e, "Subject", "CN=a", true);
  http::append_xfcc_pair(e, "URI", "https://x.example/?a=b");
  http::append_xfcc_pair(e, "DNS", "say \"hi\"; ok");
  EXPECT_EQ(e,
            "By=spiffe://gw.example/ns;Hash=abc;Subject=\"CN=a\";URI=\"https://x.example/?a=b\";"
            "DNS=\"say \\\"hi\\\"; ok\"");
}

TEST(Xfcc, ParsesWhatItWritesIncludingBackslashes) {
  const std::string tricky = R"(CN=Bob\+Smith,O=Example\, Inc.,OU=say \"x\")";
  std::string first, second;
  http::append_xfcc_pair(first, "Hash", "11");
  http::append_xfcc_pair(first, "Subject", tricky, true);
  http::append_xfcc_pair(second, "Hash", "22");
  http::append_xfcc_pair(second, "URI", "");
  http::append_xfcc_pair(second, "DNS", "a,b");
  const auto parsed = http::parse_xfcc(first + "," + second);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ(*http::xfcc_value((*parsed)[0], "subject"), tricky);
  EXPECT_EQ(*http::xfcc_value((*parsed)[0], "HASH"), "11");
  EXPECT_EQ(*http::xfcc_value((*parsed)[1], "URI"), "");
  EXPECT_EQ(*http::xfcc_value((*parsed)[1], "DNS"), "a,b");
  EXPECT_EQ(http::xfcc_value((*parsed)[1], "Cert"), nullptr);
}

// Found by fuzz/xfcc.cpp: a value ending in a space was written unquoted and read back without it.
TEST(Xfcc, QuotesValuesThatStartOrEndWithWhitespace) {
  std::string e;
  http::append_xfcc_pair(e, "DNS", "a.test ");
  http::append_xfcc_pair(e, "URI", "\tspiffe://x");
  http::append_xfcc_pair(e, "By", "in side");
  EXPECT_EQ(e, "DNS=\"a.test \";URI=\"\tspiffe://x\";By=in side");
  const auto parsed = http::parse_xfcc(e);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*http::xfcc_value((*parsed)[0], "DNS"), "a.test ");
  EXPECT_EQ(*http::xfcc_value((*parsed)[0], "URI"), "\tspiffe://x");
  EXPECT_EQ(*http::xfcc_value((*parsed)[0], "By"), "in side");
}

TEST(Xfcc, AcceptsEnvoyOutputAndJoinedLines) {
  // Envoy's documented example, and the unquoted '=' Envoy leaves in URI values.
  const auto parsed = http::parse_xfcc(
      "By=http://frontend.lyft.com;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;"
      "Subject=\"/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client\";URI=http://testclient.lyft.com, "
      "By=http://backend.lyft.com;URI=http://a/?x=y");
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ(*http::xfcc_value((*parsed)[0], "Subject"), "/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client");
  EXPECT_EQ(*http::xfcc_value((*parsed)[1], "By"), "http://backend.lyft.com");
  EXPECT_EQ(*http::xfcc_value((*parsed)[1], "URI"), "http://a/?x=y");
  EXPECT_TRUE(http::parse_xfcc("")->empty());
}

TEST(Xfcc, RejectsMalformedValues) {
  EXPECT_FALSE(http::parse_xfcc("Hash"));  // no '='
  EXPECT_FALSE(http::parse_xfcc("=x"));    // no key
  EXPECT_FALSE(http::parse_xfcc("Subject=\"unterminated"));
  EXPECT_FALSE(http::parse_xfcc("Subject=\"a\"b"));  // text after the closing quote
  EXPECT_FALSE(http::parse_xfcc("Hash=a\"b"));       // stray quote
  EXPECT_FALSE(http::parse_xfcc("Hash=1;"));         // empty pair
}

TEST(Xfcc, ElementCarriesEnvoyKeysInEnvoyOrder) {
  auto issued = issue({{pki::SubjectAltName::Kind::uri, "spiffe://example.test/alice"},
                       {pki::SubjectAltName::Kind::dns, "alice.example.test"},
                       {pki::SubjectAltName::Kind::dns, "b.example.test"}});
  pki::X509StackPtr chain(sk_X509_new_null());
  sk_X509_push(chain.get(), pki::share(issued.ca.get()).release());
  certgate::auth::PeerCertificate peer(pki::share(issued.leaf.get()), std::move(chain));
  cfg::XfccSettings all;
  all.chain = true;
  const std::vector<std::string> by = {"spiffe://gw.test/a", "spiffe://gw.test/b"};
  const auto element = certgate::proxy::xfcc_element(all, peer, by);
  const auto parsed = http::parse_xfcc(element);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 1u);
  std::vector<std::string> keys;
  for (const auto& pair : parsed->front())
    keys.push_back(pair.key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"By", "By", "Hash", "Cert", "Chain", "Subject", "URI", "DNS", "DNS"}));
  const auto& e = parsed->front();
  EXPECT_EQ(*http::xfcc_value(e, "Hash"), fingerprint(issued.leaf.get()));
  EXPECT_EQ(http::unescape_percent(*http::xfcc_value(e, "Cert")), pki::to_pem(issued.leaf.get()));
  EXPECT_EQ(http::unescape_percent(*http::xfcc_value(e, "Chain")),
            pki::to_pem(issued.leaf.get()) + pki::to_pem(issued.ca.get()));
  EXPECT_EQ(*http::xfcc_value(e, "Subject"), pki::subject_dn(issued.leaf.get()));
  EXPECT_EQ(*http::xfcc_value(e, "URI"), "spiffe://example.test/alice");
  // RFC 2253 writes the subject as CN=Alice\, \"the\" tester; XFCC escapes each '\' and '"' again.
  EXPECT_THAT(element, HasSubstr(R"(;Subject="CN=Alice\\, \\\"the\\\" tester";)"));

  cfg::XfccSettings minimal;
  minimal.cert = minimal.chain = minimal.subject = minimal.uri = minimal.dns = false;
  EXPECT_EQ(certgate::proxy::xfcc_element(minimal, peer, {}), "Hash=" + fingerprint(issued.leaf.get()));
}

// --- trusted_proxies ------------------------------------------------------------------------------------

TEST(AddressBlock, ParsesAndMatchesBothFamilies) {
  const auto v4 = cfg::parse_address_block("10.0.0.0/8");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(cfg::block_contains(*v4, *cfg::mapped_address("10.200.3.4")));
  EXPECT_FALSE(cfg::block_contains(*v4, *cfg::mapped_address("11.0.0.1")));
  EXPECT_TRUE(cfg::block_contains(*v4, *cfg::mapped_address("::ffff:10.1.1.1")));  // a dual-stack socket
  const auto host = cfg::parse_address_block("127.0.0.1");
  ASSERT_TRUE(host);
  EXPECT_TRUE(cfg::block_contains(*host, *cfg::mapped_address("127.0.0.1")));
  EXPECT_FALSE(cfg::block_contains(*host, *cfg::mapped_address("127.0.0.2")));
  EXPECT_FALSE(cfg::block_contains(*host, *cfg::mapped_address("::1")));
  const auto v6 = cfg::parse_address_block("2001:db8::/33");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(cfg::block_contains(*v6, *cfg::mapped_address("2001:db8:7fff::1")));
  EXPECT_FALSE(cfg::block_contains(*v6, *cfg::mapped_address("2001:db8:8000::1")));
  const auto any = cfg::parse_address_block("0.0.0.0/0");
  ASSERT_TRUE(any);
  EXPECT_TRUE(cfg::block_contains(*any, *cfg::mapped_address("192.0.2.1")));
  EXPECT_FALSE(cfg::block_contains(*any, *cfg::mapped_address("2001:db8::1")));
}

TEST(AddressBlock, RejectsGarbageAndHostBits) {
  for (const char* bad : {"", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.1/8", "::1/129",
                          "host.example", "10.0.0.0/8x", "1.2.3.4.5"}) {
    EXPECT_FALSE(cfg::parse_address_block(bad)) << bad;
  }
}

// --- certificates from a trusted header -----------------------------------------------------------------

TEST(HeaderCertificate, ReadsEveryFormat) {
  auto issued = issue();
  const auto pem = pki::to_pem(issued.leaf.get()) + pki::to_pem(issued.ca.get());
  const auto der = pki::to_der(issued.leaf.get());
  const auto want = fingerprint(issued.leaf.get());
  using F = cfg::CertificateHeaderFormat;

  auto a = certgate::auth::certificate_from_header(http::escape_uri_component(pem), F::escaped_pem);
  ASSERT_TRUE(a.leaf());
  EXPECT_EQ(fingerprint(a.leaf()), want);
  EXPECT_EQ(sk_X509_num(a.intermediates()), 1);

  auto b = certgate::auth::certificate_from_header(certgate::base64_encode(der), F::base64_der);
  ASSERT_TRUE(b.leaf());
  EXPECT_EQ(fingerprint(b.leaf()), want);
  // RFC 9440 colons, a chain after a comma, URL-escaped (Traefik)
  const auto list =
      ":" + certgate::base64_encode(der) + ":, " + certgate::base64_encode(pki::to_der(issued.ca.get()));
  auto c = certgate::auth::certificate_from_header(http::escape_uri_component(list), F::base64_der);
  ASSERT_TRUE(c.leaf());
  EXPECT_EQ(fingerprint(c.leaf()), want);
  EXPECT_EQ(sk_X509_num(c.intermediates()), 1);

  std::string element;
  http::append_xfcc_pair(element, "Hash", "ignored");
  http::append_xfcc_pair(element, "Cert", http::escape_uri_component(pki::to_pem(issued.leaf.get())), true);
  auto d = certgate::auth::certificate_from_header("Hash=first;Cert=\"garbage\"," + element, F::xfcc);
  ASSERT_TRUE(d.leaf());  // the last element counts
  EXPECT_EQ(fingerprint(d.leaf()), want);
}

TEST(HeaderCertificate, EmptyIsNoCertificateAndGarbageIsUnreadable) {
  using F = cfg::CertificateHeaderFormat;
  for (auto f : {F::escaped_pem, F::base64_der, F::xfcc}) {
    EXPECT_FALSE(certgate::auth::certificate_from_header("", f).present());
    EXPECT_FALSE(certgate::auth::certificate_from_header("  ", f).present());
  }
  auto issued = issue();
  auto bundle = pki::TrustBundle::load(cfg::CaSource{"", pki::to_pem(issued.ca.get()), {}});
  for (auto [value, format] : std::vector<std::pair<std::string, F>>{
           {"not a certificate", F::escaped_pem},
           {"%ZZ", F::escaped_pem},
           {"-----BEGIN%20CERTIFICATE-----%0AAAAA%0A-----END%20CERTIFICATE-----%0A", F::escaped_pem},
           {"Zm9vYmFy", F::base64_der},
           {"not base64!", F::base64_der},
           {certgate::base64_encode(pki::to_der(issued.leaf.get()) + "x"), F::base64_der},
           {"Hash=abc", F::xfcc},
           {"Cert=\"unterminated", F::xfcc}}) {
    auto peer = certgate::auth::certificate_from_header(value, format);
    EXPECT_TRUE(peer.present()) << value;
    EXPECT_EQ(peer.leaf(), nullptr) << value;
    const auto& outcome = peer.verify(*bundle, 1);
    EXPECT_FALSE(outcome.ok) << value;
    EXPECT_EQ(outcome.reason, certgate::Reason::invalid_certificate) << value;
    EXPECT_FALSE(outcome.detail.empty()) << value;
  }
}

// --- header hygiene -------------------------------------------------------------------------------------

TEST(StripRequestHeaders, RemovesConfiguredNamesInAnyCase) {
  http::Fields f;
  f.insert("ssl-client-cert", "spoofed");
  f.insert("SSL-Client-Cert", "spoofed");
  f.insert("X-Lb-Cert", "spoofed");
  f.insert("X-Forwarded-Client-Cert", "spoofed");
  f.insert("X-Kept", "yes");
  const std::string_view also[] = {"Ssl-Client-Cert", "x-lb-cert", ""};
  http::strip_request_headers(f, {.also = also});
  std::vector<std::string> left;
  for (const auto& field : f)
    left.emplace_back(field.name_string());
  EXPECT_EQ(left, std::vector<std::string>{"X-Kept"});
}

// --- config ---------------------------------------------------------------------------------------------

namespace {

// The loader only checks that listener files are readable; they are read by the runtime.
class ForwardingConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "certgate-fwd-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    std::ofstream(dir_ + "/server.pem") << "x";
    std::ofstream(dir_ + "/server.key") << "x";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string config_with(const std::string& top, const std::string& headers) const {
    return "listeners:\n  - address: 127.0.0.1:8443\n    certificates:\n"
           "      - {cert_file: server.pem, key_file: server.key}\n" +
           top + "routes:\n  - from: https://a.test\n    to: echo://\n    mtls: {mode: off}\n" +
           (headers.empty() ? "" : "    headers:\n" + headers);
  }
  cfg::Config load(const std::string& text) const {
    return cfg::load_config_text(text, dir_ + "/certgate.yaml");
  }
  std::string error_of(const std::string& text) const {
    try {
      load(text);
    } catch (const cfg::ConfigError& e) {
      return e.what();
    }
    return "";
  }

  std::string dir_;
};

}  // namespace

TEST_F(ForwardingConfig, ReadsRouteHeadersAndGlobals) {
  const auto c = load(config_with(
      "jwt: {issuer: https://gw.example, ttl: 2m}\ntrusted_proxies: [10.0.0.0/8, \"::1\"]\n"
      "client_certificate_header: {name: ssl-client-cert, format: xfcc}\n",
      "      client_cert: [escaped_pem, cloudflare, xfcc]\n      escaped_pem_header: ssl-client-cert\n"
      "      xfcc: {mode: append_forward, details: [chain, dns]}\n      jwt_assertion: true\n"));
  const auto& h = c.routes.at(0).headers;
  EXPECT_TRUE(h.identity);
  EXPECT_TRUE(h.escaped_pem);
  EXPECT_EQ(h.escaped_pem_header, "ssl-client-cert");
  EXPECT_TRUE(h.cloudflare);
  ASSERT_TRUE(h.xfcc);
  EXPECT_EQ(h.xfcc->mode, cfg::XfccMode::append_forward);
  EXPECT_FALSE(h.xfcc->cert);
  EXPECT_TRUE(h.xfcc->chain);
  EXPECT_FALSE(h.xfcc->subject);
  EXPECT_TRUE(h.xfcc->dns);
  EXPECT_TRUE(h.jwt_assertion);
  EXPECT_EQ(h.jwt_ttl, std::chrono::minutes(2));  // the global jwt.ttl
  EXPECT_TRUE(c.jwt.configured);
  EXPECT_EQ(c.jwt.issuer, "https://gw.example");
  ASSERT_EQ(c.trusted_proxies.size(), 2u);
  EXPECT_EQ(c.trusted_proxies[1].text, "::1");
  ASSERT_TRUE(c.client_certificate_header);
  EXPECT_EQ(c.client_certificate_header->format, cfg::CertificateHeaderFormat::xfcc);

  const auto d = load(config_with("", "      client_cert: [xfcc]\n"));
  ASSERT_TRUE(d.routes.at(0).headers.xfcc);
  EXPECT_EQ(d.routes.at(0).headers.xfcc->mode, cfg::XfccMode::sanitize_set);
  EXPECT_TRUE(d.routes.at(0).headers.xfcc->cert);
  EXPECT_FALSE(d.routes.at(0).headers.xfcc->chain);
  EXPECT_FALSE(d.jwt.configured);
}

TEST_F(ForwardingConfig, RefusesInconsistentBlocksWithTheirLine) {
  EXPECT_THAT(
      error_of(config_with("", "      client_cert: [escaped_pem, pem]\n")),
      HasSubstr(
          "certgate.yaml:10: headers.client_cert entries are escaped_pem, cloudflare or xfcc (got 'pem')"));
  EXPECT_THAT(error_of(config_with("", "      xfcc: {mode: sanitize}\n")),
              HasSubstr("headers.xfcc needs xfcc in headers.client_cert"));
  EXPECT_THAT(error_of(config_with("", "      client_cert: [xfcc]\n      xfcc: {mode: forward}\n")),
              HasSubstr("headers.xfcc.mode must be sanitize, forward_only, append_forward or sanitize_set"));
  EXPECT_THAT(error_of(config_with("", "      escaped_pem_header: ssl-client-cert\n")),
              HasSubstr("needs escaped_pem in headers.client_cert"));
  EXPECT_THAT(error_of(config_with("", "      client_cert: [escaped_pem]\n      escaped_pem_header: Host\n")),
              HasSubstr("cannot be Host"));
  EXPECT_THAT(
      error_of(config_with("", "      client_cert: [escaped_pem]\n      escaped_pem_header: \"a b\"\n")),
      HasSubstr("is not a valid header name"));
  EXPECT_THAT(error_of(config_with("", "      jwt_ttl: 1m\n")),
              HasSubstr("headers.jwt_ttl needs jwt_assertion"));
  EXPECT_THAT(error_of(config_with("jwt: {ttl: 500ms}\n", "")), HasSubstr("jwt.ttl must be at least 1s"));
  EXPECT_THAT(error_of(config_with("jwt: {signing_key_file: missing.pem}\n", "")),
              HasSubstr("does not exist"));
  EXPECT_THAT(error_of(config_with("client_certificate_header: {name: x-cert}\n", "")),
              HasSubstr("client_certificate_header needs trusted_proxies"));
  EXPECT_THAT(error_of(config_with("trusted_proxies: [10.0.0.1/8]\n", "")),
              HasSubstr("trusted_proxies entry '10.0.0.1/8' is not an address or CIDR block"));
  EXPECT_THAT(error_of(config_with("trusted_proxies: 10.0.0.0/8\n", "")), HasSubstr("must be a list"));
  EXPECT_THAT(error_of(config_with(
                  "trusted_proxies: [10.0.0.0/8]\nclient_certificate_header: {name: x, format: der}\n", "")),
              HasSubstr("client_certificate_header.format must be escaped_pem, base64_der or xfcc"));
  EXPECT_THAT(error_of(config_with("", "      client_cert: [xfcc]\n      xfcc: {details: [cert, hash]}\n")),
              HasSubstr("headers.xfcc.details entries are cert, chain, subject, uri or dns (got 'hash')"));
}
