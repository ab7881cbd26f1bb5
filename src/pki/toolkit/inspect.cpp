#include "pki/toolkit/inspect.h"

#include <vector>

#include "pki/cert_info.h"
#include "pki/pem.h"

namespace certgate::pki::toolkit {
namespace {

using nlohmann::ordered_json;

constexpr long kSecondsPerDay = 86400;

ordered_json san_json(const X509* cert) {
  ordered_json out = {{"dns", ordered_json::array()},
                      {"email", ordered_json::array()},
                      {"uri", ordered_json::array()},
                      {"ip", ordered_json::array()}};
  for (const auto& san : subject_alt_names(cert)) {
    switch (san.kind) {
      case SubjectAltName::Kind::dns:
        out["dns"].push_back(san.value);
        break;
      case SubjectAltName::Kind::email:
        out["email"].push_back(san.value);
        break;
      case SubjectAltName::Kind::uri:
        out["uri"].push_back(san.value);
        break;
      case SubjectAltName::Kind::ip:
        out["ip"].push_back(san.value);
        break;
      case SubjectAltName::Kind::other:
        break;
    }
  }
  return out;
}

ordered_json basic_constraints_json(const X509* cert) {
  const auto bc = basic_constraints(cert);
  if (!bc) return nullptr;
  return {{"ca", bc->ca},
          {"path_len", bc->path_len ? ordered_json(*bc->path_len) : ordered_json(nullptr)},
          {"critical", bc->critical}};
}

// Whole days until notAfter, rounded down; negative once expired.
long days_left(const X509* cert, std::time_t now) {
  const auto not_after = to_time_t(X509_get0_notAfter(cert));
  if (!not_after) return 0;
  const long seconds = static_cast<long>(*not_after - now);
  return seconds >= 0 ? seconds / kSecondsPerDay : -((-seconds + kSecondsPerDay - 1) / kSecondsPerDay);
}

std::string join(const ordered_json& list) {
  std::string out;
  for (const auto& item : list) {
    if (!out.empty()) out += ", ";
    out += item.get<std::string>();
  }
  return out.empty() ? "(none)" : out;
}

std::string san_text(const ordered_json& sans) {
  static const std::vector<std::pair<const char*, const char*>> prefixes = {
      {"dns", "DNS:"}, {"email", "email:"}, {"uri", "URI:"}, {"ip", "IP:"}};
  std::string out;
  for (const auto& [key, prefix] : prefixes) {
    for (const auto& value : sans.at(key)) {
      if (!out.empty()) out += ", ";
      out += prefix + value.get<std::string>();
    }
  }
  return out.empty() ? "(none)" : out;
}

std::string basic_constraints_text(const ordered_json& bc) {
  if (bc.is_null()) return "(none)";
  std::string out = bc.at("ca").get<bool>() ? "CA:TRUE" : "CA:FALSE";
  if (!bc.at("path_len").is_null()) out += ", pathlen:" + std::to_string(bc.at("path_len").get<long>());
  if (bc.at("critical").get<bool>()) out += " (critical)";
  return out;
}

std::string validity_text(const ordered_json& summary) {
  const long days = summary.at("days_left").get<long>();
  if (summary.at("expired").get<bool>()) return summary.at("not_after").get<std::string>() + " (expired)";
  return summary.at("not_after").get<std::string>() + " (" + std::to_string(days) + " days left)";
}

std::string line(const char* label, const std::string& value) {
  std::string out = label;
  out.resize(26, ' ');
  return out + value + "\n";
}

}  // namespace

ordered_json certificate_summary(const X509* cert, std::time_t now) {
  const auto not_after = to_time_t(X509_get0_notAfter(cert));
  const bool ku_critical = extension_critical(cert, NID_key_usage).value_or(false);
  return {{"subject", subject_dn(cert)},
          {"issuer", issuer_dn(cert)},
          {"serial", serial_hex(cert)},
          {"not_before", not_before_rfc3339(cert)},
          {"not_after", not_after_rfc3339(cert)},
          {"days_left", days_left(cert, now)},
          {"expired", !not_after || *not_after < now},
          {"self_signed", is_self_issued(cert)},
          {"key_type", public_key_description(cert)},
          {"signature_algorithm", signature_algorithm_name(cert)},
          {"basic_constraints", basic_constraints_json(cert)},
          {"key_usage", key_usage_names(cert)},
          {"key_usage_critical", ku_critical},
          {"extended_key_usage", extended_key_usage_names(cert)},
          {"subject_alt_names", san_json(cert)},
          {"sha256_fingerprint", sha256_fingerprint_hex(cert)},
          {"spki_sha256", spki_sha256_base64(cert)},
          {"subject_key_id", subject_key_id_hex(cert)},
          {"authority_key_id", authority_key_id_hex(cert)},
          {"crl_distribution_points", crl_distribution_point_urls(cert)},
          {"ocsp_urls", ocsp_urls(cert)}};
}

std::string summary_text(const ordered_json& s) {
  const auto text = [&](const char* key) { return s.at(key).get<std::string>(); };
  const auto key_usage =
      join(s.at("key_usage")) + (s.at("key_usage_critical").get<bool>() ? " (critical)" : "");
  return line("Subject:", text("subject")) + line("Issuer:", text("issuer")) +
         line("Serial:", text("serial")) + line("Not before:", text("not_before")) +
         line("Not after:", validity_text(s)) + line("Key:", text("key_type")) +
         line("Signature algorithm:", text("signature_algorithm")) +
         line("Basic constraints:", basic_constraints_text(s.at("basic_constraints"))) +
         line("Key usage:", key_usage) + line("Extended key usage:", join(s.at("extended_key_usage"))) +
         line("Subject alt names:", san_text(s.at("subject_alt_names"))) +
         line("SHA-256 fingerprint:", text("sha256_fingerprint")) +
         line("SPKI SHA-256:", text("spki_sha256")) + line("Subject key ID:", text("subject_key_id")) +
         line("Authority key ID:", text("authority_key_id")) +
         line("CRL distribution points:", join(s.at("crl_distribution_points"))) +
         line("OCSP URLs:", join(s.at("ocsp_urls")));
}

std::string inspect_certificates(const std::string& data, const std::string& what, bool json,
                                 std::time_t now) {
  std::vector<X509Ptr> certs;
  if (data.find("-----BEGIN") != std::string::npos) {
    certs = parse_certificates(data, what);
  } else {
    certs.push_back(parse_certificate_any(data, what));
  }
  ordered_json summaries = ordered_json::array();
  for (const auto& cert : certs)
    summaries.push_back(certificate_summary(cert.get(), now));
  if (json) return (certs.size() == 1 ? summaries.front() : summaries).dump(2) + "\n";
  if (certs.size() == 1) return summary_text(summaries.front());
  std::string out;
  for (std::size_t i = 0; i < certs.size(); ++i) {
    if (i > 0) out += "\n";
    out += "Certificate " + std::to_string(i + 1) + " of " + std::to_string(certs.size()) + "\n";
    out += summary_text(summaries[i]);
  }
  return out;
}

}  // namespace certgate::pki::toolkit
