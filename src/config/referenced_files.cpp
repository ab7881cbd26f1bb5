#include "config/referenced_files.h"

#include <algorithm>

namespace certgate::config {
namespace {

void add(std::vector<std::string>& out, const std::string& file) {
  if (!file.empty()) out.push_back(file);
}

void add_mtls(ReferencedFiles& out, const MtlsSettings& mtls) {
  add(out.reload, mtls.ca.file);
  if (mtls.crl_file) add(out.crl_files, mtls.crl_file->file);
}

void sort_unique(std::vector<std::string>& files) {
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
}

}  // namespace

ReferencedFiles referenced_files(const Config& cfg) {
  ReferencedFiles out;
  add(out.reload, cfg.file);
  for (const auto& listener : cfg.listeners) {
    for (const auto& pair : listener.certificates) {
      add(out.reload, pair.cert_file);
      add(out.reload, pair.key_file);
    }
  }
  add(out.reload, cfg.client_ca.file);
  add_mtls(out, cfg.mtls);
  for (const auto& consumer : cfg.consumers) {
    for (const auto& credential : consumer.credentials)
      add(out.reload, credential.ca.file);
  }
  for (const auto& route : cfg.routes) {
    add_mtls(out, route.mtls_overrides);
    add(out.reload, route.mtls.ca.file);
    add(out.crl_files, route.mtls.crl_file.file);
    add(out.reload, route.upstream_tls.custom_ca_file);
    add(out.reload, route.upstream_tls.client_cert_file);
    add(out.reload, route.upstream_tls.client_key_file);
  }
  add(out.reload, cfg.admin.token_file);
  add(out.reload, cfg.admin.client_ca_file);
  add(out.reload, cfg.admin.cert_file);
  add(out.reload, cfg.admin.key_file);
  add(out.reload, cfg.jwt.signing_key_file);
  add(out.reload, cfg.tls.ticket_keys_file);
  sort_unique(out.reload);
  sort_unique(out.crl_files);
  return out;
}

}  // namespace certgate::config
