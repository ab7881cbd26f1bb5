// Identity mapping (docs/identity-and-policy.md): which consumer a verified client
// certificate belongs to. First hit wins:
//   1. a credential whose subject_name is one of the certificate's subject names (each SAN value, then the
//      CN) and whose ca_file holds a CA of the verified chain;
//   2. the same with a credential without ca_file;
//   3. certificate_attribute == consumer_attribute;
//   4. default_consumer;
//   otherwise consumer_not_found. skip_consumer_lookup accepts any verified certificate instead, and
//   `anonymous` stands for a client without a valid certificate on an optional route.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/certificate_attributes.h"
#include "auth/decision.h"
#include "config/config.h"
#include "pki/openssl_ptr.h"

namespace certgate::auth {

// ASCII case-insensitive hashing and equality, usable with string_view keys (no allocation per lookup).
struct CaseInsensitiveHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept;
};
struct CaseInsensitiveEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept;
};

// The consumers of one config generation, indexed for lookups. Credential CA files are loaded once, here.
class ConsumerDirectory {
 public:
  // Throws config::ConfigError at a credential's ca_file line when it is not a readable CA bundle.
  explicit ConsumerDirectory(const std::vector<config::Consumer>& consumers);

  const std::vector<config::Consumer>& consumers() const { return consumers_; }

  struct CredentialHit {
    const config::Consumer* consumer;
    const config::Credential* credential;
    bool with_ca;
  };
  // Steps 1 and 2. `chain` is the verified chain, leaf first.
  std::optional<CredentialHit> find_credential(const CertificateAttributes& cert,
                                               std::span<const pki::X509Ptr> chain) const;
  // Step 3 for one certificate value. Case-insensitive when either side is an email.
  const config::Consumer* find_consumer(config::ConsumerAttribute attribute, std::string_view value,
                                        bool value_is_email) const;

 private:
  struct CredentialEntry {
    const config::Consumer* consumer;
    const config::Credential* credential;
    std::vector<pki::X509Ptr> cas;  // empty: any CA
  };
  using Index = std::unordered_map<std::string, std::vector<const config::Consumer*>, CaseInsensitiveHash,
                                   CaseInsensitiveEqual>;

  const CredentialEntry* credential_for(const SubjectName& name, std::span<const pki::X509Ptr> chain,
                                        bool with_ca) const;

  const std::vector<config::Consumer>& consumers_;
  std::unordered_map<std::string, std::vector<CredentialEntry>, CaseInsensitiveHash, CaseInsensitiveEqual>
      credentials_;
  Index by_username_;
  Index by_email_;
  Index by_custom_id_;
};

// The identity of a request on a route with an identity block. `cert` is null unless the client presented
// a certificate that verified (chain: its verified chain). nullopt: a valid certificate matched no
// consumer (consumer_not_found).
std::optional<Identity> identify(const config::IdentitySettings& settings, const ConsumerDirectory& directory,
                                 const CertificateAttributes* cert, std::span<const pki::X509Ptr> chain);

}  // namespace certgate::auth
