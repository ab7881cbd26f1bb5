#include "auth/identity.h"

#include "pki/trust_bundle.h"

namespace certgate::auth {
namespace {

char fold(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

Identity consumer_identity(const config::Consumer& consumer, IdentityMatch match) {
  Identity id;
  id.consumer = &consumer;
  id.match = match;
  id.groups = consumer.groups;
  id.groups_header = consumer.groups_header;
  return id;
}

// The certificate's values of `attribute`, and whether they are emails.
std::span<const std::string> values_of(const CertificateAttributes& cert,
                                       config::CertificateAttribute attribute) {
  switch (attribute) {
    case config::CertificateAttribute::subject:
      return cert.dn_group;  // the subject DN, as a one-element list
    case config::CertificateAttribute::common_name:
      return cert.common_names;
    case config::CertificateAttribute::email:
      return cert.emails;
    case config::CertificateAttribute::san_dns:
      return cert.san_dns;
    case config::CertificateAttribute::san_uri:
      return cert.san_uris;
    case config::CertificateAttribute::none:
      break;
  }
  return {};
}

}  // namespace

std::size_t CaseInsensitiveHash::operator()(std::string_view s) const noexcept {
  std::size_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : s) {
    h ^= static_cast<unsigned char>(fold(c));
    h *= 1099511628211ull;
  }
  return h;
}

bool CaseInsensitiveEqual::operator()(std::string_view a, std::string_view b) const noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (fold(a[i]) != fold(b[i])) return false;
  }
  return true;
}

ConsumerDirectory::ConsumerDirectory(const std::vector<config::Consumer>& consumers) : consumers_(consumers) {
  std::unordered_map<std::string, std::shared_ptr<const pki::TrustBundle>> ca_files;  // each file read once
  for (const auto& consumer : consumers_) {
    by_username_[consumer.username].push_back(&consumer);
    if (!consumer.email.empty()) by_email_[consumer.email].push_back(&consumer);
    if (!consumer.custom_id.empty()) by_custom_id_[consumer.custom_id].push_back(&consumer);
    for (const auto& credential : consumer.credentials) {
      CredentialEntry entry{&consumer, &credential, {}};
      if (!credential.ca.empty()) {
        // Loaded like any trust bundle, so a ca_file without CA:TRUE is refused here too.
        auto& bundle = ca_files[credential.ca.file];
        if (!bundle) bundle = pki::TrustBundle::load(credential.ca);
        for (const auto& ca : bundle->certificates())
          entry.cas.push_back(pki::share(ca.get()));
      }
      credentials_[credential.subject_name].push_back(std::move(entry));
    }
  }
}

const ConsumerDirectory::CredentialEntry* ConsumerDirectory::credential_for(
    const SubjectName& name, std::span<const pki::X509Ptr> chain, bool with_ca) const {
  const auto it = credentials_.find(std::string_view(name.value));
  if (it == credentials_.end()) return nullptr;
  for (const auto& entry : it->second) {
    if (!name.email && entry.credential->subject_name != name.value) continue;  // only emails ignore case
    if (entry.cas.empty() != !with_ca) continue;
    if (!with_ca) return &entry;
    for (std::size_t i = 1; i < chain.size(); ++i) {  // the CAs of the verified chain, not the leaf
      for (const auto& ca : entry.cas) {
        if (X509_cmp(chain[i].get(), ca.get()) == 0) return &entry;
      }
    }
  }
  return nullptr;
}

std::optional<ConsumerDirectory::CredentialHit> ConsumerDirectory::find_credential(
    const CertificateAttributes& cert, std::span<const pki::X509Ptr> chain) const {
  if (credentials_.empty()) return std::nullopt;
  for (const bool with_ca : {true, false}) {
    for (const auto& name : cert.subject_names) {
      if (const auto* entry = credential_for(name, chain, with_ca))
        return CredentialHit{entry->consumer, entry->credential, with_ca};
    }
  }
  return std::nullopt;
}

const config::Consumer* ConsumerDirectory::find_consumer(config::ConsumerAttribute attribute,
                                                         std::string_view value, bool value_is_email) const {
  const Index& index = attribute == config::ConsumerAttribute::username ? by_username_
                       : attribute == config::ConsumerAttribute::email  ? by_email_
                                                                        : by_custom_id_;
  const auto it = index.find(value);
  if (it == index.end()) return nullptr;
  const bool ignore_case = value_is_email || attribute == config::ConsumerAttribute::email;
  for (const auto* consumer : it->second) {
    const auto& candidate = attribute == config::ConsumerAttribute::username ? consumer->username
                            : attribute == config::ConsumerAttribute::email  ? consumer->email
                                                                             : consumer->custom_id;
    if (ignore_case || candidate == value) return consumer;
  }
  return nullptr;
}

std::optional<Identity> identify(const config::IdentitySettings& settings, const ConsumerDirectory& directory,
                                 const CertificateAttributes* cert, std::span<const pki::X509Ptr> chain) {
  const auto& consumers = directory.consumers();
  if (!cert) {
    if (!settings.anonymous) return Identity{};
    auto id = consumer_identity(consumers[*settings.anonymous], IdentityMatch::anonymous);
    id.anonymous = true;
    return id;
  }
  if (settings.skip_consumer_lookup) {
    Identity id;
    id.match = IdentityMatch::skip_lookup;
    if (settings.authenticated_group_by == config::GroupBy::common_name) {
      id.groups = cert->cn_groups;
      id.groups_header = cert->cn_groups_header;
    } else {
      id.groups = cert->dn_group;
      id.groups_header = cert->subject;
    }
    return id;
  }
  if (const auto hit = directory.find_credential(*cert, chain)) {
    auto id = consumer_identity(*hit->consumer,
                                hit->with_ca ? IdentityMatch::credential_with_ca : IdentityMatch::credential);
    id.credential = hit->credential->subject_name;
    return id;
  }
  const bool emails = settings.certificate_attribute == config::CertificateAttribute::email;
  for (const auto& value : values_of(*cert, settings.certificate_attribute)) {
    if (const auto* consumer = directory.find_consumer(settings.consumer_attribute, value, emails))
      return consumer_identity(*consumer, IdentityMatch::attribute);
  }
  if (settings.default_consumer)
    return consumer_identity(consumers[*settings.default_consumer], IdentityMatch::default_consumer);
  return std::nullopt;
}

}  // namespace certgate::auth
