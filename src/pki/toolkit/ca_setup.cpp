#include "pki/toolkit/ca_setup.h"

#include <filesystem>
#include <stdexcept>

#include "pki/cert_info.h"
#include "pki/pem.h"
#include "pki/toolkit/ca_directory.h"
#include "pki/toolkit/certificate_builder.h"

namespace certgate::pki::toolkit {
namespace {

void check_settings(const CaOptions& options) {
  for (const auto* url : {&options.crl_url, &options.ocsp_url}) {
    if (!url->empty() && !is_absolute_uri(*url))
      throw std::runtime_error("not an absolute URL: '" + *url + "'");
  }
}

CertificateSpec ca_spec(const CaOptions& options, Profile profile, const CaSettings& issuer_settings) {
  CertificateSpec spec;
  spec.profile = profile;
  spec.common_name = options.name;
  spec.days = options.days;
  if (profile == Profile::intermediate_ca) spec.path_len = options.path_len;
  // Where to check this CA's own revocation is decided by its issuer.
  if (!issuer_settings.crl_url.empty()) spec.crl_urls.push_back(issuer_settings.crl_url);
  if (!issuer_settings.ocsp_url.empty()) spec.ocsp_urls.push_back(issuer_settings.ocsp_url);
  return spec;
}

std::string describe(const X509* cert) {
  return "CA certificate " + subject_dn(cert) + ", serial " + serial_hex(cert) + ", valid until " +
         not_after_rfc3339(cert);
}

std::string pem_of(const std::vector<const X509*>& certs) {
  std::string out;
  for (const X509* cert : certs)
    out += to_pem(cert);
  return out;
}

// Writes everything a fresh CA directory holds; the caller adds chain.pem/root.pem for intermediates.
Report write_ca_files(const CaPaths& paths, const X509* cert, const EVP_PKEY* key, const CaOptions& options) {
  write_file_atomic(paths.key(), private_key_pem(key), FileMode::secret);
  write_file_atomic(paths.cert(), to_pem(cert), FileMode::shared);
  save_index(paths, CaIndex{});
  write_crl_number(paths, 1);
  write_file_atomic(paths.settings(), settings_to_json({options.crl_url, options.ocsp_url}),
                    FileMode::shared);
  return {wrote(paths.key(), key_description(key) + " private key, mode 0600"),
          wrote(paths.cert(), describe(cert)), wrote(paths.index(), "empty certificate index"),
          wrote(paths.crl_number(), "next CRL number 1"),
          wrote(paths.settings(), "CRL URL '" + options.crl_url + "', OCSP URL '" + options.ocsp_url + "'")};
}

// A CA's pathLenConstraint counts the intermediates allowed below it; a new one must fit.
void check_parent_allows(const CertificateAuthority& parent, long path_len) {
  if (path_len < 0) throw std::runtime_error("--path-len must be 0 or more");
  const auto bc = basic_constraints(parent.cert.get());
  if (!bc || !bc->path_len) return;
  if (*bc->path_len == 0) {
    throw std::runtime_error(parent.paths.cert() + " has pathlen 0 and cannot issue intermediate CAs");
  }
  if (path_len >= *bc->path_len) {
    throw std::runtime_error("--path-len must be less than the parent's pathlen " +
                             std::to_string(*bc->path_len));
  }
}

void check_distinct(const std::string& dir, const std::string& parent_dir) {
  std::error_code ec;
  if (std::filesystem::weakly_canonical(dir, ec) == std::filesystem::weakly_canonical(parent_dir, ec)) {
    throw std::runtime_error("the intermediate's directory must differ from the parent's");
  }
}

}  // namespace

Report init_root_ca(const CaOptions& options) {
  check_settings(options);
  const CaPaths paths(options.dir);
  prepare_ca_directory(paths, options.force);
  const CaLock lock(paths);
  const auto key = generate_key(options.key_type);
  const auto cert =
      build_certificate(ca_spec(options, Profile::root_ca, {}), key.get(), Signer{nullptr, key.get()});
  return write_ca_files(paths, cert.get(), key.get(), options);
}

Report init_intermediate_ca(const CaOptions& options) {
  check_settings(options);
  check_distinct(options.dir, options.parent_dir);
  const auto parent = load_ca(options.parent_dir);
  check_can_issue(parent);
  check_parent_allows(parent, options.path_len);
  const CaPaths paths(options.dir);
  prepare_ca_directory(paths, options.force);
  const CaLock parent_lock(parent.paths);
  const CaLock lock(paths);

  const auto key = generate_key(options.key_type);
  const auto spec = ca_spec(options, Profile::intermediate_ca, parent.settings);
  const auto cert = build_certificate(spec, key.get(), Signer{parent.cert.get(), parent.key.get()});
  // Record it with the parent first, so the parent can always revoke what it signed.
  auto parent_index = load_index(parent.paths);
  parent_index.add(index_entry_for(cert.get(), profile_name(Profile::intermediate_ca)));
  save_index(parent.paths, parent_index);
  Report report{wrote(parent.paths.index(), "recorded serial " + serial_hex(cert.get()))};

  auto files = write_ca_files(paths, cert.get(), key.get(), options);
  report.insert(report.end(), files.begin(), files.end());
  std::vector<const X509*> chain{cert.get()};
  for (const auto& above : parent.chain)
    chain.push_back(above.get());
  const X509* root = parent.is_root() ? parent.cert.get() : parent.root.get();
  write_file_atomic(paths.chain(), pem_of(chain), FileMode::shared);
  write_file_atomic(paths.root(), to_pem(root), FileMode::shared);
  report.push_back(wrote(paths.chain(), std::to_string(chain.size()) + " intermediate(s), root excluded"));
  report.push_back(wrote(paths.root(), "root " + subject_dn(root)));
  return report;
}

}  // namespace certgate::pki::toolkit
