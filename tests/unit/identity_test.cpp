// Identity mapping (auth/identity.h): every step of the lookup order, table-driven over real certificates
// built with the PKI toolkit (two CAs, leaves with SAN / CN variants), plus consumer ids and config errors
// of the consumers list and the identity block.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "auth/certificate_attributes.h"
#include "auth/identity.h"
#include "config/config_error.h"
#include "config/identity_loader.h"
#include "pki/pem.h"
#include "pki/toolkit/certificate_builder.h"
#include "pki/toolkit/key_generator.h"

using namespace certgate;
namespace tk = certgate::pki::toolkit;
using Kind = pki::SubjectAltName::Kind;

namespace {

struct Issued {
  pki::X509Ptr cert;
  pki::EvpPkeyPtr key;
};

Issued issue(tk::Profile profile, const std::string& cn, std::vector<pki::SubjectAltName> sans,
             const Issued* issuer) {
  Issued out;
  out.key = tk::generate_key(tk::KeyType::ec_p256);
  tk::CertificateSpec spec;
  spec.profile = profile;
  spec.common_name = cn;
  spec.sans = std::move(sans);
  tk::Signer signer{nullptr, out.key.get()};  // self-signed unless an issuer is given
  if (issuer) signer = {issuer->cert.get(), issuer->key.get()};
  out.cert = tk::build_certificate(spec, out.key.get(), signer);
  return out;
}

// Two roots (each written to a file, as a credential's ca_file) and the leaves the tests present.
class IdentityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern = (std::filesystem::temp_directory_path() / "certgate-identity-XXXXXX").string();
    dir_ = new std::filesystem::path(mkdtemp(pattern.data()));
    ca1_ = new Issued(issue(tk::Profile::root_ca, "ca1", {}, nullptr));
    ca2_ = new Issued(issue(tk::Profile::root_ca, "ca2", {}, nullptr));
    std::ofstream(*dir_ / "ca1.pem") << pki::to_pem(ca1_->cert.get());
    std::ofstream(*dir_ / "ca2.pem") << pki::to_pem(ca2_->cert.get());
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete ca1_;
    delete ca2_;
  }

  static std::string ca_file(const char* name) { return (*dir_ / name).string(); }

  // A leaf under ca1 or ca2, with its attributes and the chain a successful verification would return.
  struct Presented {
    Issued leaf;
    auth::CertificateAttributes attributes;
    std::vector<pki::X509Ptr> chain;
  };
  static Presented present(const std::string& cn, std::vector<pki::SubjectAltName> sans, int ca = 1) {
    const Issued* issuer = ca == 1 ? ca1_ : ca2_;
    Presented p;
    p.leaf = issue(tk::Profile::client, cn, std::move(sans), issuer);
    p.attributes = auth::read_certificate_attributes(p.leaf.cert.get());
    p.chain.push_back(pki::share(p.leaf.cert.get()));
    p.chain.push_back(pki::share(issuer->cert.get()));
    return p;
  }

  static inline std::filesystem::path* dir_ = nullptr;
  static inline Issued* ca1_ = nullptr;
  static inline Issued* ca2_ = nullptr;
};

config::Consumer consumer(std::string username, std::vector<config::Credential> credentials = {},
                          std::string email = "", std::string custom_id = "") {
  config::Consumer c;
  c.username = username;
  c.id = config::consumer_uuid(username);
  c.email = std::move(email);
  c.custom_id = std::move(custom_id);
  c.credentials = std::move(credentials);
  c.groups = {username + "-group"};
  c.groups_header = c.groups.front();
  return c;
}

config::Credential credential(std::string subject_name, std::string ca_file = "") {
  config::Credential c;
  c.subject_name = std::move(subject_name);
  c.ca.file = std::move(ca_file);
  return c;
}

// The consumers every table case uses.
std::vector<config::Consumer> directory_consumers(const std::string& ca1, const std::string& ca2) {
  return {
      consumer("alice", {credential("alice.example.test", ca1)}, "Alice@Example.com", "emp-1"),
      consumer("alice-ca2", {credential("alice.example.test", ca2)}),
      consumer("any-ca", {credential("alice.example.test"), credential("shared.test")}),
      consumer("by-cn", {credential("cn-only")}),
      consumer("by-email", {credential("Mail@Example.com")}),
      consumer("Case", {credential("CaseSensitive")}),
      consumer("carol", {}, "carol@example.com", "spiffe://example.test/carol"),
      consumer("dave", {}, "", "dave.example.test"),
      consumer("fallback"),
      consumer("guest"),
  };
}

struct Case {
  const char* name;
  const char* cn;
  std::vector<pki::SubjectAltName> sans;
  int ca;
  config::CertificateAttribute attribute;
  config::ConsumerAttribute consumer_attribute;
  bool with_default;
  const char* expected;  // username, or nullptr: consumer_not_found
  auth::IdentityMatch match;
  const char* credential;  // X-Credential-Identifier, or ""
};

using CA = config::CertificateAttribute;
using UA = config::ConsumerAttribute;
using M = auth::IdentityMatch;

const std::vector<Case> kCases = {
    {"credential with the chain's CA (ca1)",
     "x",
     {{Kind::dns, "alice.example.test"}},
     1,
     CA::common_name,
     UA::username,
     false,
     "alice",
     M::credential_with_ca,
     "alice.example.test"},
    {"same subject name under the other CA (ca2)",
     "x",
     {{Kind::dns, "alice.example.test"}},
     2,
     CA::common_name,
     UA::username,
     false,
     "alice-ca2",
     M::credential_with_ca,
     "alice.example.test"},
    {"credential without ca_file: any CA",
     "x",
     {{Kind::dns, "shared.test"}},
     2,
     CA::common_name,
     UA::username,
     false,
     "any-ca",
     M::credential,
     "shared.test"},
    {"SAN values come before the CN",
     "cn-only",
     {{Kind::dns, "shared.test"}},
     1,
     CA::common_name,
     UA::username,
     false,
     "any-ca",
     M::credential,
     "shared.test"},
    {"the CN is a subject name too",
     "cn-only",
     {{Kind::dns, "nothing.test"}},
     1,
     CA::common_name,
     UA::username,
     false,
     "by-cn",
     M::credential,
     "cn-only"},
    {"every CA-bound credential before any unbound one",
     "cn-only",
     {{Kind::dns, "shared.test"}, {Kind::dns, "alice.example.test"}},
     1,
     CA::common_name,
     UA::username,
     false,
     "alice",
     M::credential_with_ca,
     "alice.example.test"},
    {"an email SAN matches a credential ignoring case",
     "x",
     {{Kind::email, "mail@example.COM"}},
     1,
     CA::none,
     UA::username,
     false,
     "by-email",
     M::credential,
     "Mail@Example.com"},
    {"other subject names are exact",
     "casesensitive",
     {},
     1,
     CA::none,
     UA::username,
     false,
     nullptr,
     M::none,
     ""},
    {"common_name -> username",
     "carol",
     {},
     1,
     CA::common_name,
     UA::username,
     false,
     "carol",
     M::attribute,
     ""},
    {"common_name -> username is exact",
     "Carol",
     {},
     1,
     CA::common_name,
     UA::username,
     false,
     nullptr,
     M::none,
     ""},
    {"email -> email ignores case",
     "x",
     {{Kind::email, "ALICE@example.com"}},
     1,
     CA::email,
     UA::email,
     false,
     "alice",
     M::attribute,
     ""},
    {"email: any SAN email",
     "x",
     {{Kind::email, "nobody@example.com"}, {Kind::email, "carol@example.com"}},
     1,
     CA::email,
     UA::email,
     false,
     "carol",
     M::attribute,
     ""},
    {"san_uri -> custom_id",
     "x",
     {{Kind::uri, "spiffe://example.test/carol"}},
     1,
     CA::san_uri,
     UA::custom_id,
     false,
     "carol",
     M::attribute,
     ""},
    {"san_dns -> custom_id, second value",
     "x",
     {{Kind::dns, "a.test"}, {Kind::dns, "dave.example.test"}},
     1,
     CA::san_dns,
     UA::custom_id,
     false,
     "dave",
     M::attribute,
     ""},
    {"subject -> username", "guest", {}, 1, CA::subject, UA::username, false, nullptr, M::none, ""},
    {"certificate_attribute none: no automatic match",
     "carol",
     {},
     1,
     CA::none,
     UA::username,
     false,
     nullptr,
     M::none,
     ""},
    {"default_consumer when nothing matched",
     "nobody",
     {},
     1,
     CA::common_name,
     UA::username,
     true,
     "fallback",
     M::default_consumer,
     ""},
    {"a match wins over default_consumer",
     "carol",
     {},
     1,
     CA::common_name,
     UA::username,
     true,
     "carol",
     M::attribute,
     ""},
    {"consumer_not_found",
     "nobody",
     {{Kind::dns, "nobody.test"}},
     2,
     CA::common_name,
     UA::username,
     false,
     nullptr,
     M::none,
     ""},
};

TEST_F(IdentityTest, LookupOrder) {
  const auto consumers = directory_consumers(ca_file("ca1.pem"), ca_file("ca2.pem"));
  const auth::ConsumerDirectory directory(consumers);
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    const auto p = present(c.cn, c.sans, c.ca);
    config::IdentitySettings settings;
    settings.certificate_attribute = c.attribute;
    settings.consumer_attribute = c.consumer_attribute;
    if (c.with_default) settings.default_consumer = 8;  // fallback
    const auto identity = auth::identify(settings, directory, &p.attributes, p.chain);
    if (!c.expected) {
      EXPECT_FALSE(identity.has_value());
      continue;
    }
    ASSERT_TRUE(identity.has_value());
    ASSERT_NE(identity->consumer, nullptr);
    EXPECT_EQ(identity->consumer->username, c.expected);
    EXPECT_EQ(identity->match, c.match);
    EXPECT_EQ(identity->credential, c.credential);
    EXPECT_FALSE(identity->anonymous);
    EXPECT_EQ(identity->groups_header, std::string(c.expected) + "-group");
  }
}

TEST_F(IdentityTest, SubjectAttributeIsTheRfc2253Dn) {
  std::vector<config::Consumer> consumers = {consumer("CN=dn-user")};
  const auth::ConsumerDirectory directory(consumers);
  const auto p = present("dn-user", {});
  config::IdentitySettings settings;
  settings.certificate_attribute = CA::subject;
  const auto identity = auth::identify(settings, directory, &p.attributes, p.chain);
  ASSERT_TRUE(identity && identity->consumer);
  EXPECT_EQ(identity->consumer->username, "CN=dn-user");
}

TEST_F(IdentityTest, AnonymousOnlyWithoutAValidCertificate) {
  const auto consumers = directory_consumers(ca_file("ca1.pem"), ca_file("ca2.pem"));
  const auth::ConsumerDirectory directory(consumers);
  config::IdentitySettings settings;
  settings.anonymous = 9;  // guest
  auto identity = auth::identify(settings, directory, nullptr, {});
  ASSERT_TRUE(identity && identity->consumer);
  EXPECT_EQ(identity->consumer->username, "guest");
  EXPECT_TRUE(identity->anonymous);
  EXPECT_EQ(identity->match, M::anonymous);

  settings.anonymous.reset();
  identity = auth::identify(settings, directory, nullptr, {});
  ASSERT_TRUE(identity.has_value());  // no consumer, but not an error: the policy decides
  EXPECT_EQ(identity->consumer, nullptr);
  EXPECT_FALSE(identity->anonymous);

  settings.anonymous = 9;  // a valid certificate that matches nothing is not anonymous
  const auto p = present("nobody", {});
  EXPECT_FALSE(auth::identify(settings, directory, &p.attributes, p.chain).has_value());
}

TEST_F(IdentityTest, SkipConsumerLookupGroups) {
  const std::vector<config::Consumer> consumers;
  const auth::ConsumerDirectory directory(consumers);
  const auto p = present("svc-a", {{Kind::dns, "ignored.test"}});
  config::IdentitySettings settings;
  settings.skip_consumer_lookup = true;
  auto identity = auth::identify(settings, directory, &p.attributes, p.chain);
  ASSERT_TRUE(identity.has_value());
  EXPECT_EQ(identity->consumer, nullptr);
  EXPECT_EQ(identity->match, M::skip_lookup);
  EXPECT_EQ(identity->groups_header, "svc-a");
  ASSERT_EQ(identity->groups.size(), 1u);

  settings.authenticated_group_by = config::GroupBy::distinguished_name;
  identity = auth::identify(settings, directory, &p.attributes, p.chain);
  ASSERT_TRUE(identity.has_value());
  EXPECT_EQ(identity->groups_header, "CN=svc-a");
}

TEST(CertificateAttributes, EmailsFallBackToTheSubjectAndAreLowercase) {
  auth::CertificateAttributes a;
  auto key = tk::generate_key(tk::KeyType::ec_p256);
  pki::X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("svc"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "emailAddress", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Ops@Example.COM"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  a = auth::read_certificate_attributes(cert.get());
  EXPECT_EQ(a.emails, std::vector<std::string>{"ops@example.com"});
  EXPECT_TRUE(a.san_emails.empty());
  EXPECT_EQ(a.common_names, std::vector<std::string>{"svc"});
  EXPECT_EQ(a.subject, "emailAddress=Ops@Example.COM,CN=svc");
  EXPECT_EQ(a.spki_hash.size(), 44u);
}

TEST(ConsumerId, IsUuidV5OfTheUsername) {
  // Python: uuid.uuid5(uuid.UUID("696270c7-e9cd-4c6c-bd7e-8b3ac0ad1e9b"), "alice")
  EXPECT_EQ(config::consumer_uuid("alice"), "7aaf81cf-17dc-5ca1-b515-a9678b092f61");
  EXPECT_EQ(config::consumer_uuid("bob"), "265cfd23-7833-5850-b676-86b6d431a317");
}

// --- config errors: file:line of the offending key ------------------------------------------------------

struct ConfigCase {
  const char* name;
  const char* consumers;  // YAML of the consumers list
  const char* identity;   // YAML of the identity block ("" for none)
  const char* mode;
  int line;  // expected line (1-based) of the error, 0: no error
  const char* words;
};

const std::vector<ConfigCase> kConfigCases = {
    {"valid", "- username: alice\n  groups: [a, b]\n", "anonymous: alice\n", "optional", 0, ""},
    {"unknown consumer key", "- username: alice\n  nickname: al\n", "", "required", 2, "nickname"},
    {"username required", "- email: a@example.com\n", "", "required", 1, "username"},
    {"duplicate username", "- username: alice\n- username: alice\n", "", "required", 2, "already used"},
    {"duplicate custom_id", "- username: a\n  custom_id: x\n- username: b\n  custom_id: x\n", "", "required",
     4, "custom_id"},
    {"duplicate email ignoring case", "- username: a\n  email: A@x.test\n- username: b\n  email: a@X.test\n",
     "", "required", 4, "email"},
    {"bad id", "- username: a\n  id: not-a-uuid\n", "", "required", 2, "UUID"},
    {"duplicate id", "- username: a\n  id: 7aaf81cf-17dc-5ca1-b515-a9678b092f61\n- username: alice\n", "",
     "required", 3, "id"},
    {"group with a comma", "- username: a\n  groups: [\"x,y\"]\n", "", "required", 2, "','"},
    {"bad email", "- username: a\n  email: nobody\n", "", "required", 2, "name@domain"},
    {"duplicate credential",
     "- username: a\n  credentials: [{subject_name: s}]\n- username: b\n  credentials:\n    - subject_name: "
     "s\n",
     "", "required", 5, "already defined"},
    {"credential without subject_name", "- username: a\n  credentials:\n    - ca_file: x.pem\n", "",
     "required", 3, "subject_name"},
    {"missing credential ca_file",
     "- username: a\n  credentials:\n    - subject_name: s\n      ca_file: no.pem\n", "", "required", 4,
     "no.pem"},
    {"unknown anonymous", "- username: a\n", "anonymous: nobody\n", "optional", 1, "nobody"},
    {"unknown default_consumer", "- username: a\n", "default_consumer: nobody\n", "required", 1, "nobody"},
    {"anonymous on a required route", "- username: a\n", "anonymous: a\n", "required", 1, "optional"},
    {"bad certificate_attribute", "- username: a\n", "certificate_attribute: serial\n", "required", 1,
     "serial"},
    {"bad consumer_attribute", "- username: a\n", "consumer_attribute: group\n", "required", 1, "group"},
    {"group_by without skip", "- username: a\n", "authenticated_group_by: CN\n", "required", 1,
     "skip_consumer_lookup"},
    {"skip with default_consumer", "- username: a\n", "skip_consumer_lookup: true\ndefault_consumer: a\n",
     "required", 2, "no effect"},
    {"identity on an off route", "- username: a\n", "default_consumer: a\n", "off", 1, "mode off"},
    {"unknown identity key", "- username: a\n", "consumer_by: username\n", "required", 1, "consumer_by"},
};

TEST(IdentityConfig, ErrorsCarryTheLine) {
  for (const auto& c : kConfigCases) {
    SCOPED_TRACE(c.name);
    const config::YamlReader r("/etc/certgate/test.yaml");
    try {
      const auto consumers = config::read_consumers(r, YAML::Load(c.consumers));
      if (*c.identity) {
        config::Route route;
        route.from = "https://app.test";
        route.mtls.mode = std::string(c.mode) == "off"        ? config::MtlsMode::off
                          : std::string(c.mode) == "optional" ? config::MtlsMode::optional
                                                              : config::MtlsMode::required;
        config::read_identity(r, YAML::Load(c.identity), route, consumers);
      }
      EXPECT_EQ(c.line, 0) << "expected an error";
    } catch (const config::ConfigError& e) {
      EXPECT_EQ(e.mark().line, c.line) << e.what();
      EXPECT_EQ(e.mark().file, "/etc/certgate/test.yaml");
      EXPECT_NE(std::string(e.what()).find(c.words), std::string::npos) << e.what();
    }
  }
}

}  // namespace
