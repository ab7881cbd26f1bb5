#include "config/identity_loader.h"
#include "common/text.h"

#include <openssl/evp.h>

#include <array>
#include <map>
#include <set>

namespace certgate::config {
namespace {

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

// 8-4-4-4-12 hex digits.
bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

std::array<unsigned char, 16> uuid_bytes(std::string_view text) {
  std::array<unsigned char, 16> out{};
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < text.size() && n < out.size(); ++i) {
    if (text[i] == '-') continue;
    out[n++] = static_cast<unsigned char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16));
    ++i;
  }
  return out;
}

// Consumer fields end up in upstream headers: no control characters, and (for groups) no list separator.
std::string header_value(const YamlReader& r, const YAML::Node& node, std::string_view what,
                         bool allow_comma = true) {
  auto value = r.scalar(node, what);
  if (value.empty()) r.fail(node, std::string(what) + " must not be empty");
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) r.fail(node, std::string(what) + " must not contain control characters");
    if (c == ',' && !allow_comma)
      r.fail(node, std::string(what) + " must not contain ',' (X-Consumer-Groups is a comma-separated list)");
  }
  if (value.front() == ' ' || value.back() == ' ')
    r.fail(node, std::string(what) + " must not start or end with a space");
  return value;
}

Credential read_credential(const YamlReader& r, const YAML::Node& node) {
  r.expect_map(node, "a credential", {"subject_name", "ca_file"});
  Credential c;
  c.mark = r.mark(node);
  const auto subject = node["subject_name"];
  if (!subject) r.fail(node, "a credential needs 'subject_name' (a SAN value or the CN of the certificate)");
  c.subject_name = header_value(r, subject, "subject_name");
  if (const auto ca = node["ca_file"]) {
    c.ca.mark = r.mark(ca);
    c.ca.file = r.readable_file(ca, "ca_file");
  }
  return c;
}

Consumer read_consumer(const YamlReader& r, const YAML::Node& node) {
  r.expect_map(node, "a consumer", {"id", "username", "email", "custom_id", "groups", "credentials"});
  Consumer c;
  c.mark = r.mark(node);
  const auto username = node["username"];
  if (!username) r.fail(node, "a consumer needs 'username'");
  c.username = header_value(r, username, "username");
  if (const auto id = node["id"]) {
    c.id = ascii_lower(r.scalar(id, "id"));
    if (!is_uuid(c.id))
      r.fail(id, "id must be a UUID like 6f1c2e0a-3b7d-4c41-9a55-0d3e8f7b1a2c (got '" + c.id + "')");
  } else {
    c.id = consumer_uuid(c.username);
  }
  if (const auto email = node["email"]) {
    c.email = header_value(r, email, "email");
    const auto at = c.email.find('@');
    if (at == 0 || at == std::string::npos || at + 1 == c.email.size())
      r.fail(email, "email must look like name@domain (got '" + c.email + "')");
  }
  if (const auto custom_id = node["custom_id"]) c.custom_id = header_value(r, custom_id, "custom_id");
  if (const auto groups = node["groups"]) {
    r.expect_sequence(groups, "groups");
    for (const auto& g : groups) {
      c.groups.push_back(header_value(r, g, "a group", /*allow_comma=*/false));
      c.groups_header += (c.groups_header.empty() ? "" : ", ") + c.groups.back();
    }
  }
  if (const auto credentials = node["credentials"]) {
    r.expect_sequence(credentials, "credentials");
    for (const auto& item : credentials)
      c.credentials.push_back(read_credential(r, item));
  }
  return c;
}

// Two consumers must never be reachable by the same name, or a lookup would depend on list order.
class UniquenessCheck {
 public:
  explicit UniquenessCheck(const YamlReader& r) : r_(r) {}

  void add(const YAML::Node& node, const Consumer& c) {
    unique(usernames_, c.username, node["username"], "username '" + c.username + "'", c);
    unique(ids_, c.id, node["id"] ? node["id"] : node["username"], "id " + c.id, c);
    if (!c.custom_id.empty())
      unique(custom_ids_, c.custom_id, node["custom_id"], "custom_id '" + c.custom_id + "'", c);
    if (!c.email.empty()) unique(emails_, ascii_lower(c.email), node["email"], "email '" + c.email + "'", c);
    const auto credentials = node["credentials"];
    for (std::size_t i = 0; i < c.credentials.size(); ++i) {
      const auto& cred = c.credentials[i];
      const auto key = cred.subject_name + '\n' + cred.ca.file;
      const auto [it, inserted] = credentials_.emplace(key, cred.mark.line);
      if (!inserted) {
        r_.fail(credentials[i], "a credential for subject_name '" + cred.subject_name + "'" +
                                    (cred.ca.file.empty() ? "" : " and ca_file " + cred.ca.file) +
                                    " is already defined at line " + std::to_string(it->second));
      }
    }
  }

 private:
  void unique(std::map<std::string, int>& seen, const std::string& key, const YAML::Node& at,
              const std::string& what, const Consumer& c) {
    const auto [it, inserted] = seen.emplace(key, c.mark.line);
    if (!inserted)
      r_.fail(at,
              "consumer " + what + " is already used by the consumer at line " + std::to_string(it->second));
  }

  const YamlReader& r_;
  std::map<std::string, int> usernames_, ids_, custom_ids_, emails_, credentials_;
};

CertificateAttribute certificate_attribute(const YamlReader& r, const YAML::Node& node) {
  const auto text = r.scalar(node, "certificate_attribute");
  if (text == "subject") return CertificateAttribute::subject;
  if (text == "common_name") return CertificateAttribute::common_name;
  if (text == "email") return CertificateAttribute::email;
  if (text == "san_dns") return CertificateAttribute::san_dns;
  if (text == "san_uri") return CertificateAttribute::san_uri;
  if (text == "none") return CertificateAttribute::none;
  r.fail(node, "certificate_attribute must be subject, common_name, email, san_dns, san_uri or none (got '" +
                   text + "')");
}

ConsumerAttribute consumer_attribute(const YamlReader& r, const YAML::Node& node) {
  const auto text = r.scalar(node, "consumer_attribute");
  if (text == "username") return ConsumerAttribute::username;
  if (text == "email") return ConsumerAttribute::email;
  if (text == "custom_id") return ConsumerAttribute::custom_id;
  r.fail(node, "consumer_attribute must be username, email or custom_id (got '" + text + "')");
}

GroupBy group_by(const YamlReader& r, const YAML::Node& node) {
  const auto text = r.scalar(node, "authenticated_group_by");
  if (text == "CN" || text == "cn") return GroupBy::common_name;
  if (text == "DN" || text == "dn") return GroupBy::distinguished_name;
  r.fail(node, "authenticated_group_by must be CN or DN (got '" + text + "')");
}

}  // namespace

std::string consumer_uuid(std::string_view username) {
  const auto ns = uuid_bytes(kConsumerIdNamespace);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr);
  EVP_DigestUpdate(ctx, ns.data(), ns.size());
  EVP_DigestUpdate(ctx, username.data(), username.size());
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  md[6] = static_cast<unsigned char>((md[6] & 0x0f) | 0x50);  // version 5
  md[8] = static_cast<unsigned char>((md[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(digits[md[i] >> 4]);
    out.push_back(digits[md[i] & 0xf]);
  }
  return out;
}

std::vector<Consumer> read_consumers(const YamlReader& r, const YAML::Node& node) {
  r.expect_sequence(node, "consumers");
  std::vector<Consumer> out;
  UniquenessCheck check(r);
  for (const auto& item : node) {
    out.push_back(read_consumer(r, item));
    check.add(item, out.back());
  }
  return out;
}

std::size_t resolve_consumer(const YamlReader& r, const YAML::Node& node,
                             const std::vector<Consumer>& consumers, std::string_view what) {
  const auto name = r.scalar(node, what);
  for (std::size_t i = 0; i < consumers.size(); ++i) {
    if (consumers[i].username == name) return i;
  }
  const auto id = ascii_lower(name);
  for (std::size_t i = 0; i < consumers.size(); ++i) {
    if (consumers[i].id == id) return i;
  }
  r.fail(node, std::string(what) + " '" + name + "' is not a consumer (no consumer has this username or id)");
}

IdentitySettings read_identity(const YamlReader& r, const YAML::Node& node, const Route& route,
                               const std::vector<Consumer>& consumers) {
  r.expect_map(node, "identity",
               {"certificate_attribute", "consumer_attribute", "anonymous", "default_consumer",
                "skip_consumer_lookup", "authenticated_group_by"});
  IdentitySettings s;
  s.mark = r.mark(node);
  if (route.mtls.mode == MtlsMode::off) {
    r.fail(node,
           "route " + route.from +
               " has mtls mode off: identity needs a client certificate (use mode optional or required)");
  }
  if (const auto n = node["skip_consumer_lookup"])
    s.skip_consumer_lookup = r.boolean(n, "skip_consumer_lookup");
  if (const auto n = node["certificate_attribute"]) s.certificate_attribute = certificate_attribute(r, n);
  if (const auto n = node["consumer_attribute"]) s.consumer_attribute = consumer_attribute(r, n);
  if (const auto n = node["default_consumer"])
    s.default_consumer = resolve_consumer(r, n, consumers, "default_consumer");
  if (const auto n = node["anonymous"]) {
    s.anonymous = resolve_consumer(r, n, consumers, "anonymous");
    if (route.mtls.mode != MtlsMode::optional) {
      r.fail(n, "anonymous is only used when a client has no valid certificate, which route " + route.from +
                    " (mtls mode " +
                    (route.mtls.mode == MtlsMode::required ? "required" : "reject_connection") +
                    ") never lets through; use mtls mode optional or remove it");
    }
  }
  if (const auto n = node["authenticated_group_by"]) {
    s.authenticated_group_by = group_by(r, n);
    if (!s.skip_consumer_lookup)
      r.fail(n, "authenticated_group_by only applies with skip_consumer_lookup: true");
  }
  if (s.skip_consumer_lookup) {
    for (const char* key : {"certificate_attribute", "consumer_attribute", "default_consumer"}) {
      if (const auto n = node[key])
        r.fail(n, std::string(key) +
                      " has no effect with skip_consumer_lookup: true (no consumer is looked up)");
    }
  }
  return s;
}

}  // namespace certgate::config
