#include "tls/host_profile.h"

#include "pki/digest.h"

#include "common/host_lookup.h"

namespace certgate::tls {
namespace {

SessionIdContext digest(std::string_view session_context, std::string_view sni) {
  SessionIdContext out{};
  unsigned int len = 0;
  pki::EvpMdCtxPtr md(EVP_MD_CTX_new());
  EVP_DigestInit_ex(md.get(), pki::sha256(), nullptr);
  EVP_DigestUpdate(md.get(), session_context.data(), session_context.size());
  EVP_DigestUpdate(md.get(), "\0", 1);
  EVP_DigestUpdate(md.get(), sni.data(), sni.size());
  EVP_DigestFinal_ex(md.get(), out.data(), &len);
  return out;
}

}  // namespace

SessionIdContext HostProfile::session_id_context(std::string_view sni) const {
  return sni == host_ ? host_context_ : digest(session_context, sni);
}

void HostProfile::bind_to_host(std::string host) {
  host_ = std::move(host);
  host_context_ = digest(session_context, host_);
}

void HostProfiles::add(std::string host, HostProfile profile) {
  profile.bind_to_host(host);
  by_host_[std::move(host)] = std::move(profile);
}

void HostProfiles::set_no_sni(HostProfile profile) {
  profile.bind_to_host("");
  no_sni_ = std::move(profile);
}

const HostProfile* HostProfiles::find(std::string_view host) const {
  return find_host(by_host_, host);
}

std::shared_ptr<STACK_OF(X509_NAME)> ca_names_of(const std::vector<const pki::TrustBundle*>& bundles) {
  std::shared_ptr<STACK_OF(X509_NAME)> names(
      sk_X509_NAME_new_null(), [](STACK_OF(X509_NAME) * s) { sk_X509_NAME_pop_free(s, X509_NAME_free); });
  for (const auto* bundle : bundles) {
    for (const auto& cert : bundle->certificates()) {
      const X509_NAME* subject = X509_get_subject_name(cert.get());
      bool seen = false;
      for (int i = 0; i < sk_X509_NAME_num(names.get()) && !seen; ++i)
        seen = X509_NAME_cmp(sk_X509_NAME_value(names.get(), i), subject) == 0;
      if (!seen) sk_X509_NAME_push(names.get(), X509_NAME_dup(subject));
    }
  }
  return names;
}

}  // namespace certgate::tls
