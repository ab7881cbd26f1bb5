#include "pki/toolkit/leaf_issuance.h"

#include <stdexcept>

#include "pki/cert_info.h"
#include "pki/pem.h"
#include "pki/toolkit/ca_directory.h"

namespace certgate::pki::toolkit {
namespace {

struct OutputPaths {
  std::string cert;
  std::string key;
  std::string chain;  // "" when the CA is a root: the leaf alone is the chain to send
};

OutputPaths output_paths(const LeafOptions& options, const CertificateAuthority& ca) {
  const auto& prefix = options.out_prefix;
  return {prefix + ".pem", prefix + ".key", ca.is_root() ? std::string() : prefix + "-chain.pem"};
}

std::string default_common_name(const LeafOptions& options) {
  if (!options.common_name.empty()) return options.common_name;
  if (!options.dns.empty()) return options.dns.front();
  return options.ips.empty() ? std::string() : options.ips.front();
}

void check_options(const LeafOptions& options) {
  if (options.profile == Profile::server && options.dns.empty() && options.ips.empty()) {
    throw std::runtime_error("a server certificate needs at least one --dns or --ip");
  }
  if (options.profile == Profile::client && options.common_name.empty()) {
    throw std::runtime_error("a client certificate needs --cn");
  }
}

CertificateSpec leaf_spec(const LeafOptions& options, const CaSettings& settings) {
  CertificateSpec spec;
  spec.profile = options.profile;
  spec.common_name = default_common_name(options);
  spec.organization = options.organization;
  spec.days = options.days;
  for (const auto& v : options.dns)
    spec.sans.push_back({SubjectAltName::Kind::dns, v});
  for (const auto& v : options.emails)
    spec.sans.push_back({SubjectAltName::Kind::email, v});
  for (const auto& v : options.uris)
    spec.sans.push_back({SubjectAltName::Kind::uri, v});
  for (const auto& v : options.ips)
    spec.sans.push_back({SubjectAltName::Kind::ip, v});
  if (!settings.crl_url.empty()) spec.crl_urls.push_back(settings.crl_url);
  if (!settings.ocsp_url.empty()) spec.ocsp_urls.push_back(settings.ocsp_url);
  return spec;
}

std::string describe(const X509* cert, Profile profile) {
  const auto sans = san_list(subject_alt_names(cert));
  return profile_name(profile) + " certificate " + subject_dn(cert) + ", serial " + serial_hex(cert) +
         (sans.empty() ? "" : ", " + sans) + ", valid until " + not_after_rfc3339(cert);
}

Report write_outputs(const OutputPaths& out, const X509* cert, const EVP_PKEY* key,
                     const CertificateAuthority& ca, Profile profile) {
  write_file_atomic(out.key, private_key_pem(key), FileMode::secret);
  write_file_atomic(out.cert, to_pem(cert), FileMode::shared);
  Report report{wrote(out.key, key_description(key) + " private key, mode 0600"),
                wrote(out.cert, describe(cert, profile))};
  if (!out.chain.empty()) {
    std::string chain = to_pem(cert);
    for (const auto& intermediate : ca.chain)
      chain += to_pem(intermediate.get());
    write_file_atomic(out.chain, chain, FileMode::shared);
    report.push_back(
        wrote(out.chain, "leaf + " + std::to_string(ca.chain.size()) + " intermediate(s), root excluded"));
  }
  if (ASN1_TIME_compare(X509_get0_notAfter(cert), X509_get0_notAfter(ca.cert.get())) == 0) {
    report.push_back("note: validity shortened to the CA's own expiry, " + not_after_rfc3339(cert));
  }
  return report;
}

}  // namespace

Report issue_leaf(const LeafOptions& options) {
  check_options(options);
  const auto ca = load_ca(options.ca_dir);
  check_can_issue(ca);
  const auto out = output_paths(options, ca);
  check_can_write({out.cert, out.key, out.chain.empty() ? out.cert : out.chain}, options.force);
  const auto spec = leaf_spec(options, ca.settings);

  const CaLock lock(ca.paths);
  const auto key = generate_key(options.key_type);
  const auto cert = build_certificate(spec, key.get(), Signer{ca.cert.get(), ca.key.get()});
  // Record before handing the certificate out, so everything in circulation can be revoked.
  auto index = load_index(ca.paths);
  index.add(index_entry_for(cert.get(), profile_name(options.profile)));
  save_index(ca.paths, index);

  Report report{wrote(ca.paths.index(), "recorded serial " + serial_hex(cert.get()))};
  const auto files = write_outputs(out, cert.get(), key.get(), ca, options.profile);
  report.insert(report.end(), files.begin(), files.end());
  return report;
}

}  // namespace certgate::pki::toolkit
