#include "config/policy_loader.h"
#include "common/text.h"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <array>

#include "common/base64.h"
#include "config/identity_loader.h"

namespace certgate::config {
namespace {

struct FieldName {
  std::string_view name;
  PolicyField field;
};

constexpr std::array<FieldName, 14> kFields = {{
    {"valid_certificate", PolicyField::valid_certificate},
    {"common_name", PolicyField::common_name},
    {"subject", PolicyField::subject},
    {"issuer", PolicyField::issuer},
    {"email", PolicyField::email},
    {"domain", PolicyField::domain},
    {"san_email", PolicyField::san_email},
    {"san_dns", PolicyField::san_dns},
    {"san_uri", PolicyField::san_uri},
    {"san_ip", PolicyField::san_ip},
    {"fingerprint", PolicyField::fingerprint},
    {"spki_hash", PolicyField::spki_hash},
    {"consumer", PolicyField::consumer},
    {"group", PolicyField::group},
}};

struct OperatorName {
  std::string_view name;
  PolicyCondition::Kind kind;
};

constexpr std::array<OperatorName, 4> kOperators = {{
    {"and", PolicyCondition::Kind::all_of},
    {"or", PolicyCondition::Kind::any_of},
    {"not", PolicyCondition::Kind::none_of},
    {"nor", PolicyCondition::Kind::not_all_of},
}};

struct MatcherName {
  std::string_view name;
  MatchKind kind;
};

constexpr std::array<MatcherName, 6> kMatchers = {{
    {"is", MatchKind::is},
    {"starts_with", MatchKind::starts_with},
    {"ends_with", MatchKind::ends_with},
    {"contains", MatchKind::contains},
    {"in", MatchKind::in},
    {"regex", MatchKind::regex},
}};

template <class Table>
std::string names_of(const Table& table) {
  std::string out;
  for (const auto& entry : table)
    out += (out.empty() ? "" : ", ") + std::string(entry.name);
  return out;
}

template <class Table>
const typename Table::value_type* find(const Table& table, std::string_view name) {
  for (const auto& entry : table) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

// Emails and their domains compare case-insensitively (as in identity matching); all else is exact.
bool case_insensitive(PolicyField f) {
  return f == PolicyField::email || f == PolicyField::san_email || f == PolicyField::domain;
}

// Values that identify one thing exactly: only `is` and `in` make sense for them.
bool exact_only(PolicyField f) {
  return f == PolicyField::fingerprint || f == PolicyField::spki_hash || f == PolicyField::consumer;
}

class PolicyReader {
 public:
  PolicyReader(const YamlReader& r, const Route& route, const std::vector<Consumer>& consumers)
      : r_(r), route_(route), consumers_(consumers) {}

  std::vector<PolicyRule> read(const YAML::Node& node) {
    std::vector<PolicyRule> rules;
    if (node.IsMap()) {  // a single rule, as Pomerium also accepts
      read_item(node, 0, rules);
      return rules;
    }
    r_.expect_sequence(node, "policy");
    if (node.size() == 0) r_.fail(node, "policy must list at least one rule (or be left out)");
    for (std::size_t i = 0; i < node.size(); ++i)
      read_item(node[i], i, rules);
    return rules;
  }

 private:
  void read_item(const YAML::Node& item, std::size_t index, std::vector<PolicyRule>& rules) {
    r_.expect_map(item, "a policy rule", {"allow", "deny"});
    if (item.size() == 0) r_.fail(item, "a policy rule needs 'allow' or 'deny'");
    for (const auto& entry : item) {
      PolicyRule rule;
      rule.action = entry.first.Scalar() == "allow" ? PolicyAction::allow : PolicyAction::deny;
      rule.index = index;
      rule.mark = r_.mark(entry.first);
      rule.condition = body(entry.second, entry.first.Scalar());
      rules.push_back(std::move(rule));
    }
  }

  // The value of allow / deny: one criterion, or operators (several operators: any of them, as Pomerium).
  PolicyCondition body(const YAML::Node& node, const std::string& action) {
    if (!node.IsMap() || node.size() == 0) {
      r_.fail(node, action + " must be a map: and / or / not / nor lists, or a single criterion");
    }
    std::size_t operators = 0;
    for (const auto& entry : node)
      operators += find(kOperators, entry.first.Scalar()) != nullptr;
    if (operators == 0 && node.size() == 1) return condition(node.begin()->first, node.begin()->second);
    if (operators != node.size()) {
      for (const auto& entry : node) {
        if (!find(kOperators, entry.first.Scalar()))
          r_.fail(entry.first, action + " mixes criteria and operators (or lists several criteria): put '" +
                                   entry.first.Scalar() + "' inside an and / or / not / nor list");
      }
    }
    if (operators == 1) return condition(node.begin()->first, node.begin()->second);
    PolicyCondition any;
    any.kind = PolicyCondition::Kind::any_of;
    any.mark = r_.mark(node);
    for (const auto& entry : node)
      any.children.push_back(condition(entry.first, entry.second));
    return any;
  }

  // A list item: a map with one key, a criterion or a nested operator.
  PolicyCondition list_item(const YAML::Node& node) {
    if (!node.IsMap() || node.size() != 1) {
      r_.fail(
          node,
          "each item of an and / or / not / nor list must be a map with exactly one criterion or operator");
    }
    return condition(node.begin()->first, node.begin()->second);
  }

  PolicyCondition condition(const YAML::Node& key, const YAML::Node& value) {
    const auto name = r_.scalar(key, "a policy criterion");
    if (const auto* op = find(kOperators, name)) {
      PolicyCondition c;
      c.kind = op->kind;
      c.mark = r_.mark(key);
      r_.expect_sequence(value, name);
      if (value.size() == 0) r_.fail(value, "'" + name + "' must list at least one criterion");
      for (const auto& item : value)
        c.children.push_back(list_item(item));
      return c;
    }
    const auto* field = find(kFields, name);
    if (!field) {
      r_.fail(key, "unknown policy criterion '" + name + "' (known: " + names_of(kFields) +
                       "; operators: " + names_of(kOperators) + ")");
    }
    return criterion(key, value, field->field);
  }

  PolicyCondition criterion(const YAML::Node& key, const YAML::Node& value, PolicyField field) {
    PolicyCondition c;
    c.kind = PolicyCondition::Kind::criterion;
    c.field = field;
    c.mark = r_.mark(key);
    const std::string name(to_string(field));
    if ((field == PolicyField::consumer || field == PolicyField::group) && !route_.identity) {
      r_.fail(key, "the '" + name + "' criterion needs an identity block on route " + route_.from +
                       " (without one no consumer is looked up)");
    }
    if (field == PolicyField::valid_certificate) {
      c.expected = r_.boolean(value, "valid_certificate");
      return c;
    }
    if (value.IsScalar()) {  // `common_name: alice` is `common_name: {is: alice}`
      c.matchers.push_back(matcher(field, MatchKind::is, value));
    } else if (value.IsSequence()) {  // `common_name: [a, b]` is `common_name: {in: [a, b]}`
      c.matchers.push_back(matcher(field, MatchKind::in, value));
    } else if (value.IsMap() && value.size() > 0) {
      for (const auto& entry : value) {
        const auto matcher_name = r_.scalar(entry.first, "a matcher");
        const auto* m = find(kMatchers, matcher_name);
        if (!m) {
          r_.fail(entry.first, "unknown matcher '" + matcher_name + "' for " + name + " (known: " +
                                   (exact_only(field) ? std::string("is, in") : names_of(kMatchers)) + ")");
        }
        if (exact_only(field) && m->kind != MatchKind::is && m->kind != MatchKind::in)
          r_.fail(entry.first, name + " supports only the matchers is and in (got '" + matcher_name + "')");
        c.matchers.push_back(matcher(field, m->kind, entry.second));
      }
    } else {
      r_.fail(value, name + " needs a matcher map like {is: value}, a value, or a list of values");
    }
    return c;
  }

  StringMatcher matcher(PolicyField field, MatchKind kind, const YAML::Node& node) {
    StringMatcher m;
    m.kind = kind;
    if (kind == MatchKind::in) {
      r_.expect_sequence(node, "in");
      if (node.size() == 0) r_.fail(node, "'in' must list at least one value");
      for (const auto& item : node)
        m.values.push_back(value(field, kind, item));
    } else if (kind == MatchKind::regex) {
      m.value = r_.scalar(node, "regex");
      RE2::Options options;
      options.set_log_errors(false);
      options.set_case_sensitive(!case_insensitive(field));
      auto re = std::make_shared<const RE2>(m.value, options);
      if (!re->ok()) r_.fail(node, "regex '" + m.value + "' does not compile (RE2 syntax): " + re->error());
      m.regex = std::move(re);
    } else {
      m.value = value(field, kind, node);
    }
    return m;
  }

  // One comparison value, normalized to the form the certificate's attribute takes.
  std::string value(PolicyField field, MatchKind kind, const YAML::Node& node) {
    auto text = r_.scalar(node, "a matcher value");
    if (text.empty()) r_.fail(node, "a matcher value must not be empty");
    switch (field) {
      case PolicyField::fingerprint:
        return fingerprint(node, text);
      case PolicyField::spki_hash:
        return spki_hash(node, text);
      case PolicyField::consumer:
        return consumers_[resolve_consumer(r_, node, consumers_, "consumer")].username;
      case PolicyField::san_ip:
        return kind == MatchKind::is || kind == MatchKind::in ? ip_address(node, text) : text;
      default:
        return case_insensitive(field) ? ascii_lower(text) : text;
    }
  }

  // SHA-256 of the DER in hex, with or without colons, any case -> 64 lowercase hex digits.
  std::string fingerprint(const YAML::Node& node, const std::string& text) const {
    std::string hex;
    bool all_hex = true;
    for (char c : text) {
      if (c == ':') continue;
      all_hex = all_hex && std::isxdigit(static_cast<unsigned char>(c));
      hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    if (!all_hex || hex.size() != 64) {
      r_.fail(node,
              "fingerprint must be the SHA-256 of the certificate: 64 hex digits, colons optional (got '" +
                  text + "')");
    }
    return hex;
  }

  // base64 SHA-256 of the SubjectPublicKeyInfo (as curl --pinnedpubkey sha256//...).
  std::string spki_hash(const YAML::Node& node, const std::string& text) const {
    std::string value = text.rfind("sha256//", 0) == 0 ? text.substr(8) : text;
    const auto digest = value.size() == 44 ? base64_decode(value) : std::nullopt;
    if (!digest || digest->size() != 32) {
      r_.fail(node,
              "spki_hash must be the base64 SHA-256 of the SubjectPublicKeyInfo (44 characters ending in "
              "'=', got '" +
                  text + "')");
    }
    return value;
  }

  // The text form certificates' IP SANs take (inet_ntop), so `is: 2001:DB8::0:1` matches 2001:db8::1.
  std::string ip_address(const YAML::Node& node, const std::string& text) const {
    unsigned char buf[16];
    char out[INET6_ADDRSTRLEN] = {};
    if (inet_pton(AF_INET, text.c_str(), buf) == 1) return inet_ntop(AF_INET, buf, out, sizeof(out));
    if (inet_pton(AF_INET6, text.c_str(), buf) == 1) return inet_ntop(AF_INET6, buf, out, sizeof(out));
    r_.fail(node, "san_ip values for is / in must be IP addresses (got '" + text + "')");
  }

  const YamlReader& r_;
  const Route& route_;
  const std::vector<Consumer>& consumers_;
};

}  // namespace

std::vector<PolicyRule> read_policy(const YamlReader& r, const YAML::Node& node, const Route& route,
                                    const std::vector<Consumer>& consumers) {
  if (route.mtls.mode == MtlsMode::off) {
    r.fail(node,
           "route " + route.from +
               " has mtls mode off: a policy needs the client certificate or the consumer (use mode optional "
               "or required)");
  }
  return PolicyReader(r, route, consumers).read(node);
}

std::string_view to_string(PolicyField field) {
  for (const auto& entry : kFields) {
    if (entry.field == field) return entry.name;
  }
  return "?";
}

}  // namespace certgate::config
