// Policy rules (config/policy_loader.h, auth/policy.h): every criterion and matcher, the operators, deny
// precedence and the deciding rule's index, table-driven over hand-made certificate attributes; and the
// config errors of bad policies, each at its line.
#include <gtest/gtest.h>

#include <map>

#include "auth/policy.h"
#include "config/config_error.h"
#include "config/identity_loader.h"
#include "config/policy_loader.h"

using namespace certgate;

namespace {

const std::string kFingerprint = "5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kSpki = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

std::vector<config::Consumer> test_consumers() {
  std::vector<config::Consumer> out;
  for (const char* name : {"alice", "bob", "guest"}) {
    config::Consumer c;
    c.username = name;
    c.id = config::consumer_uuid(name);
    out.push_back(c);
  }
  out[0].groups = {"admins", "ops"};
  out[1].groups = {"dev"};
  return out;
}

const std::vector<config::Consumer>& consumers() {
  static const auto c = test_consumers();
  return c;
}

auth::CertificateAttributes alice_cert() {
  auth::CertificateAttributes a;
  a.subject = "emailAddress=alice@example.com,CN=alice,O=Example Org";
  a.issuer = "CN=ca1 root,O=certgate tests";
  a.common_names = {"alice"};
  a.emails = {"alice@example.com"};
  a.san_emails = {"alice@example.com"};
  a.san_dns = {"alice.example.test", "second.example.test"};
  a.san_uris = {"spiffe://example.test/alice"};
  a.san_ips = {"192.0.2.10", "2001:db8::1"};
  a.fingerprint = kFingerprint;
  a.spki_hash = kSpki;
  return a;
}

auth::CertificateAttributes bob_cert() {
  auth::CertificateAttributes a;
  a.subject = "CN=bob";
  a.issuer = "CN=ca3 root,O=certgate tests";
  a.common_names = {"bob"};
  a.emails = {"bob@other.test"};  // from the subject's emailAddress: no SAN emails
  a.fingerprint = std::string(64, '0');
  a.spki_hash = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  return a;
}

// The requests a table case can describe.
struct Subject {
  std::optional<auth::CertificateAttributes> cert;
  auth::Identity identity;
};

const std::map<std::string, Subject>& subjects() {
  static const std::map<std::string, Subject> s = [] {
    std::map<std::string, Subject> m;
    m["alice"] = {alice_cert(), {}};
    m["alice"].identity.consumer = &consumers()[0];
    m["alice"].identity.groups = consumers()[0].groups;
    m["bob"] = {bob_cert(), {}};
    m["bob"].identity.consumer = &consumers()[1];
    m["bob"].identity.groups = consumers()[1].groups;
    m["anonymous"] = {std::nullopt, {}};
    m["anonymous"].identity.consumer = &consumers()[2];
    m["anonymous"].identity.anonymous = true;
    m["nobody"] = {std::nullopt, {}};
    return m;
  }();
  return s;
}

config::Route policy_route() {
  config::Route route;
  route.from = "https://app.test";
  route.mtls.mode = config::MtlsMode::optional;
  route.identity = config::IdentitySettings{};
  return route;
}

std::vector<config::PolicyRule> parse(const std::string& yaml, const config::Route& route = policy_route()) {
  const config::YamlReader r("/etc/certgate/policy.yaml");
  return config::read_policy(r, YAML::Load(yaml), route, consumers());
}

struct PolicyCase {
  const char* policy;
  const char* subject;
  bool allow;
  int rule;  // index of the deciding rule, -1: none
};

const std::vector<PolicyCase> kPolicyCases = {
    // valid_certificate
    {"- allow: {valid_certificate: true}", "alice", true, 0},
    {"- allow: {valid_certificate: true}", "anonymous", false, -1},
    {"- allow: {valid_certificate: false}", "nobody", true, 0},
    // common_name and every matcher
    {"- allow: {common_name: {is: alice}}", "alice", true, 0},
    {"- allow: {common_name: {is: alice}}", "bob", false, -1},
    {"- allow: {common_name: {is: Alice}}", "alice", false, -1},  // exact
    {"- allow: {common_name: alice}", "alice", true, 0},          // scalar shorthand for is
    {"- allow: {common_name: [bob, alice]}", "alice", true, 0},   // list shorthand for in
    {"- allow: {common_name: {starts_with: ali}}", "alice", true, 0},
    {"- allow: {common_name: {starts_with: lic}}", "alice", false, -1},
    {"- allow: {common_name: {ends_with: ice}}", "alice", true, 0},
    {"- allow: {common_name: {ends_with: ali}}", "alice", false, -1},
    {"- allow: {common_name: {contains: lic}}", "alice", true, 0},
    {"- allow: {common_name: {contains: bob}}", "alice", false, -1},
    {"- allow: {common_name: {in: [carol, alice]}}", "alice", true, 0},
    {"- allow: {common_name: {in: [carol, dave]}}", "alice", false, -1},
    {"- allow: {common_name: {regex: 'a.*e'}}", "alice", true, 0},
    {"- allow: {common_name: {regex: 'lic'}}", "alice", false, -1},  // full match, not a search
    {"- allow: {common_name: {starts_with: a, ends_with: e}}", "alice", true, 0},
    {"- allow: {common_name: {starts_with: a, ends_with: x}}", "alice", false, -1},
    // subject, issuer
    {"- allow: {subject: {is: 'emailAddress=alice@example.com,CN=alice,O=Example Org'}}", "alice", true, 0},
    {"- allow: {subject: {ends_with: 'O=Example Org'}}", "bob", false, -1},
    {"- allow: {issuer: {is: 'CN=ca1 root,O=certgate tests'}}", "alice", true, 0},
    {"- allow: {issuer: {starts_with: 'CN=ca1 '}}", "bob", false, -1},
    // email, domain, san_email: case-insensitive
    {"- allow: {email: {is: Alice@Example.COM}}", "alice", true, 0},
    {"- allow: {email: {is: bob@other.test}}", "bob", true, 0},  // the subject's emailAddress
    {"- allow: {email: {regex: 'ALICE@.*'}}", "alice", true, 0},
    {"- allow: {or: [{domain: {is: example.com}}]}", "alice", true, 0},
    {"- allow: {or: [{domain: {is: example.com}}]}", "bob", false, -1},
    {"- allow: {domain: {is: EXAMPLE.com}}", "alice", true, 0},
    {"- allow: {san_email: {is: alice@example.com}}", "alice", true, 0},
    {"- allow: {san_email: {ends_with: other.test}}", "bob", false, -1},  // not a SAN
    // san_dns, san_uri, san_ip: any value
    {"- allow: {san_dns: {is: second.example.test}}", "alice", true, 0},
    {"- allow: {san_dns: {is: SECOND.example.test}}", "alice", false, -1},
    {"- allow: {san_uri: {starts_with: 'spiffe://example.test/'}}", "alice", true, 0},
    {"- allow: {san_uri: {starts_with: 'spiffe://'}}", "bob", false, -1},
    {"- allow: {san_ip: {is: 192.0.2.10}}", "alice", true, 0},
    {"- allow: {san_ip: {in: ['2001:DB8:0::1']}}", "alice", true, 0},  // normalized like inet_ntop
    {"- allow: {san_ip: {starts_with: '10.'}}", "alice", false, -1},
    // fingerprint (colons and case optional), spki_hash
    {"- allow: {fingerprint: {is: "
     "'5D:41:40:2A:BC:4B:2A:76:B9:71:9D:91:10:17:C5:92:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:"
     "AA:AA:AA:AA:AA:AA'}}",
     "alice", true, 0},
    {"- allow: {fingerprint: {in: ['5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa']}}",
     "bob", false, -1},
    {"- allow: {spki_hash: {is: '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='}}", "alice", true, 0},
    {"- allow: {spki_hash: 'sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='}", "bob", false, -1},
    // consumer, group
    {"- allow: {consumer: {is: alice}}", "alice", true, 0},
    {"- allow: {consumer: {in: [alice, bob]}}", "bob", true, 0},
    {"- allow: {consumer: {is: alice}}", "nobody", false, -1},
    {"- allow: {consumer: 7aaf81cf-17dc-5ca1-b515-a9678b092f61}", "alice", true, 0},  // by id
    {"- allow: {consumer: guest}", "anonymous", true, 0},
    {"- allow: {group: {is: ops}}", "alice", true, 0},
    {"- allow: {group: {is: ops}}", "bob", false, -1},
    {"- allow: {group: {regex: 'd.v'}}", "bob", true, 0},
    // certificate criteria never match without a verified certificate
    {"- allow: {common_name: {regex: '.*'}}", "anonymous", false, -1},
    // operators
    {"- allow: {and: [{common_name: alice}, {group: admins}]}", "alice", true, 0},
    {"- allow: {and: [{common_name: alice}, {group: dev}]}", "alice", false, -1},
    {"- allow: {or: [{common_name: bob}, {group: admins}]}", "alice", true, 0},
    {"- allow: {not: [{common_name: bob}, {group: dev}]}", "alice", true, 0},  // none matches
    {"- allow: {not: [{common_name: bob}, {group: admins}]}", "alice", false, -1},
    {"- allow: {nor: [{common_name: alice}, {group: dev}]}", "alice", true, 0},  // not all match
    {"- allow: {nor: [{common_name: alice}, {group: admins}]}", "alice", false, -1},
    {"- allow: {and: [{or: [{common_name: x}, {common_name: alice}]}, {not: [{group: dev}]}]}", "alice", true,
     0},
    {"- allow: {and: [{common_name: x}], or: [{common_name: alice}]}", "alice", true, 0},  // operators: any
    // deny wins over allow, whatever the order; the deciding rule's index
    {"- allow: {valid_certificate: true}\n- deny: {common_name: alice}", "alice", false, 1},
    {"- deny: {common_name: alice}\n- allow: {valid_certificate: true}", "alice", false, 0},
    {"- allow: {valid_certificate: true}\n- deny: {common_name: alice}", "bob", true, 0},
    {"- deny: {common_name: x}\n- allow: {common_name: y}\n- allow: {group: dev}", "bob", true, 2},
    {"- deny: {common_name: x}", "bob", false, -1},  // deny only: nothing allows
    {"- deny: {not: [{domain: {is: example.com}}]}\n- allow: {valid_certificate: true}", "bob", false, 0},
    {"- deny: {not: [{domain: {is: example.com}}]}\n- allow: {valid_certificate: true}", "alice", true, 1},
    // one item with both actions (Pomerium's layout); a single rule without a list
    {"- allow: {valid_certificate: true}\n  deny: {common_name: bob}", "bob", false, 0},
    {"allow: {valid_certificate: true}", "alice", true, 0},
};

TEST(Policy, Evaluation) {
  for (const auto& c : kPolicyCases) {
    SCOPED_TRACE(std::string(c.policy) + " / " + c.subject);
    const auto rules = parse(c.policy);
    const auto& s = subjects().at(c.subject);
    const auto verdict = auth::evaluate_policy(rules, {s.cert ? &*s.cert : nullptr, &s.identity});
    EXPECT_EQ(verdict.allow, c.allow);
    EXPECT_EQ(verdict.rule ? static_cast<int>(verdict.rule->index) : -1, c.rule);
    if (verdict.rule) {
      EXPECT_EQ(verdict.rule->action == config::PolicyAction::allow, c.allow);
    }
  }
}

TEST(Policy, RuleMarksPointAtTheAction) {
  const auto rules = parse("- allow:\n    common_name: a\n- deny:\n    common_name: b\n");
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].mark.line, 1);
  EXPECT_EQ(rules[1].mark.line, 3);
  EXPECT_EQ(rules[1].mark.file, "/etc/certgate/policy.yaml");
}

struct ErrorCase {
  const char* name;
  const char* policy;
  int line;
  const char* words;
};

const std::vector<ErrorCase> kErrors = {
    {"unknown criterion", "- allow:\n    or:\n      - user: {is: alice}\n", 3,
     "unknown policy criterion 'user'"},
    {"unknown matcher", "- allow:\n    common_name:\n      equals: alice\n", 3, "unknown matcher 'equals'"},
    {"bad regex", "- allow:\n    common_name:\n      regex: 'a(b'\n", 3, "does not compile"},
    {"unknown consumer", "- allow:\n    consumer:\n      in: [alice, mallory]\n", 3, "mallory"},
    {"unknown action", "- permit:\n    valid_certificate: true\n", 1, "permit"},
    {"empty rule", "- {}\n", 1, "allow' or 'deny"},
    {"empty list", "[]\n", 1, "at least one rule"},
    {"empty operator list", "- allow:\n    and: []\n", 2, "at least one"},
    {"operator needs a list", "- allow:\n    or: {common_name: a}\n", 2, "must be a list"},
    {"two criteria in one item", "- allow:\n    or:\n      - {common_name: a, issuer: b}\n", 3,
     "exactly one"},
    {"criteria and operators mixed", "- allow:\n    common_name: a\n    or: [{issuer: b}]\n", 2, "mixes"},
    {"valid_certificate not a boolean", "- allow:\n    valid_certificate: maybe\n", 2, "true or false"},
    {"fingerprint too short", "- allow:\n    fingerprint: {is: 'ab:cd'}\n", 2, "64 hex digits"},
    {"fingerprint with starts_with", "- allow:\n    fingerprint:\n      starts_with: ab\n", 3,
     "only the matchers"},
    {"spki_hash not base64 of 32 bytes", "- allow:\n    spki_hash: {is: abc}\n", 2, "base64 SHA-256"},
    {"san_ip not an address", "- allow:\n    san_ip: {is: 300.1.1.1}\n", 2, "IP addresses"},
    {"empty in", "- allow:\n    common_name:\n      in: []\n", 3, "at least one value"},
    {"empty matcher map", "- allow:\n    common_name: {}\n", 2, "matcher map"},
    {"nested unknown criterion",
     "- deny:\n    and:\n      - not:\n          - nor:\n              - serial: {is: '01'}\n", 5, "serial"},
};

TEST(PolicyConfig, ErrorsCarryTheLine) {
  for (const auto& c : kErrors) {
    SCOPED_TRACE(c.name);
    try {
      parse(c.policy);
      ADD_FAILURE() << "expected an error";
    } catch (const config::ConfigError& e) {
      EXPECT_EQ(e.mark().line, c.line) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.words), std::string::npos) << e.what();
    }
  }
}

TEST(PolicyConfig, RouteConstraints) {
  auto route = policy_route();
  route.identity.reset();
  try {
    parse("- allow:\n    group: {is: ops}\n", route);
    ADD_FAILURE() << "group without identity";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(e.mark().line, 2);
    EXPECT_NE(std::string(e.what()).find("identity block"), std::string::npos) << e.what();
  }
  route.mtls.mode = config::MtlsMode::off;
  try {
    parse("- allow:\n    valid_certificate: false\n", route);
    ADD_FAILURE() << "policy on an off route";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(e.mark().line, 1);
    EXPECT_NE(std::string(e.what()).find("mode off"), std::string::npos) << e.what();
  }
}

}  // namespace
