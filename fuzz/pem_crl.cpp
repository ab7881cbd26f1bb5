// PEM and CRL parsing (pki/pem, revocation/crl_set): certificate bundles, PEM-or-DER certificates, and CRL
// files checked against a CA (fuzz_pki.h) as a crl_file is at load and on every update. A CRL that the
// CA verifiably issued is then asked for the status of the CA's client certificate.
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "fuzz_pki.h"
#include "pki/pem.h"
#include "revocation/crl_set.h"

namespace {

struct Pki {
  std::vector<certgate::pki::X509Ptr> issuers =
      certgate::pki::parse_certificates(certgate::fuzz::kCaPem, "ca");
  certgate::pki::X509Ptr leaf = certgate::pki::parse_certificate_any(certgate::fuzz::kLeafPem, "leaf");
};

void crl_file(const Pki& pki, const std::string& text) {
  const auto set = certgate::revocation::CrlSet::parse(text, pki.issuers, "crl.pem");
  FUZZ_CHECK(set->size() >= 1);
  if (const auto* crl = set->find(pki.issuers.front().get())) {
    // Before, during and long after the CRL's validity: the expired case is a warning path of its own.
    for (std::time_t now : {std::time_t{0}, std::time(nullptr), std::time_t{1} << 40})
      crl->status_of(pki.leaf.get(), now);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Pki pki;
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 4) {
      case 0:
        certgate::pki::parse_certificates(text, "bundle.pem");
        break;
      case 1:
        certgate::pki::parse_certificate_any(text, "cert");
        break;
      case 2:
        certgate::revocation::parse_crls_any(text, "crl.pem");
        break;
      default:
        crl_file(pki, text);
    }
  } catch (const std::runtime_error&) {
    // The documented refusal of a malformed or unusable file.
  }
  return 0;
}
