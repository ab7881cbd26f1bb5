// `pki inspect`: a certificate's identity, validity and extensions as text for people or JSON for scripts.
// Both renderings come from one summary, so they always agree.
#pragma once

#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

#include "pki/openssl_ptr.h"

namespace certgate::pki::toolkit {

// Stable snake_case keys (documented in docs/pki.md); insertion-ordered so the text form is stable too.
nlohmann::ordered_json certificate_summary(const X509* cert, std::time_t now);

std::string summary_text(const nlohmann::ordered_json& summary);

// Inspects every certificate in `data` (one PEM or DER certificate, or a PEM bundle). JSON output is an
// object for a single certificate and an array for a bundle. Throws std::runtime_error if there is none.
std::string inspect_certificates(const std::string& data, const std::string& what, bool json,
                                 std::time_t now);

}  // namespace certgate::pki::toolkit
