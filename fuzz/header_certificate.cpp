// Trusted-header certificate parsing (auth/header_certificate): the first input byte picks the format
// (escaped_pem, base64_der, xfcc), the rest is the header value a load balancer would send. A certificate
// that parses then goes through what a request does with it: verification against a trust bundle, the
// textual facts for headers and logs, the forwarded encodings and the policy attributes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/header_certificate.h"
#include "fuzz_check.h"
#include "fuzz_pki.h"
#include "pki/trust_bundle.h"

using certgate::config::CertificateHeaderFormat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto bundle = certgate::pki::TrustBundle::load(
      {.file = "", .inline_pem = certgate::fuzz::kCaPem, .mark = {"fuzz", 1}});
  if (size < 1) return 0;
  static constexpr CertificateHeaderFormat kFormats[] = {CertificateHeaderFormat::escaped_pem,
                                                         CertificateHeaderFormat::base64_der,
                                                         CertificateHeaderFormat::xfcc};
  const auto format = kFormats[data[0] % 3];
  const std::string_view value(reinterpret_cast<const char*>(data + 1), size - 1);
  auto peer = certgate::auth::certificate_from_header(value, format);
  if (!peer.present()) return 0;
  const auto& outcome = peer.verify(*bundle, 3);
  if (!peer.leaf()) {
    FUZZ_CHECK(!outcome.ok);  // an unreadable certificate never verifies
    return 0;
  }
  peer.facts();
  peer.leaf_digest();
  peer.forms();
  peer.attributes();
  return 0;
}
