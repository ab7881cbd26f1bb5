#include "auth/policy.h"

#include <re2/re2.h>

namespace certgate::auth {
namespace {

using config::MatchKind;
using config::PolicyField;

bool matcher_holds(const config::StringMatcher& m, std::string_view value) {
  switch (m.kind) {
    case MatchKind::is:
      return value == m.value;
    case MatchKind::starts_with:
      return value.starts_with(m.value);
    case MatchKind::ends_with:
      return value.ends_with(m.value);
    case MatchKind::contains:
      return value.find(m.value) != std::string_view::npos;
    case MatchKind::in:
      for (const auto& candidate : m.values) {
        if (value == candidate) return true;
      }
      return false;
    case MatchKind::regex:
      return RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *m.regex);
  }
  return false;
}

// One value satisfies every matcher of the criterion.
bool value_holds(const config::PolicyCondition& c, std::string_view value) {
  for (const auto& m : c.matchers) {
    if (!matcher_holds(m, value)) return false;
  }
  return true;
}

bool any_value_holds(const config::PolicyCondition& c, std::span<const std::string> values) {
  for (const auto& v : values) {
    if (value_holds(c, v)) return true;
  }
  return false;
}

bool criterion_holds(const config::PolicyCondition& c, const PolicyInput& in) {
  if (c.field == PolicyField::valid_certificate) return (in.certificate != nullptr) == c.expected;
  if (c.field == PolicyField::consumer) {
    const auto* consumer = in.identity ? in.identity->consumer : nullptr;
    return consumer && value_holds(c, consumer->username);
  }
  if (c.field == PolicyField::group) return in.identity && any_value_holds(c, in.identity->groups);
  const auto* cert = in.certificate;
  if (!cert) return false;  // certificate criteria never match without a verified certificate
  switch (c.field) {
    case PolicyField::common_name:
      return any_value_holds(c, cert->common_names);
    case PolicyField::subject:
      return value_holds(c, cert->subject);
    case PolicyField::issuer:
      return value_holds(c, cert->issuer);
    case PolicyField::email:
      return any_value_holds(c, cert->emails);
    case PolicyField::domain:
      for (const auto& email : cert->emails) {
        const auto at = email.rfind('@');
        if (at != std::string::npos && value_holds(c, std::string_view(email).substr(at + 1))) return true;
      }
      return false;
    case PolicyField::san_email:
      return any_value_holds(c, cert->san_emails);
    case PolicyField::san_dns:
      return any_value_holds(c, cert->san_dns);
    case PolicyField::san_uri:
      return any_value_holds(c, cert->san_uris);
    case PolicyField::san_ip:
      return any_value_holds(c, cert->san_ips);
    case PolicyField::fingerprint:
      return value_holds(c, cert->fingerprint);
    case PolicyField::spki_hash:
      return value_holds(c, cert->spki_hash);
    default:
      return false;
  }
}

}  // namespace

bool condition_holds(const config::PolicyCondition& c, const PolicyInput& in) {
  using Kind = config::PolicyCondition::Kind;
  switch (c.kind) {
    case Kind::criterion:
      return criterion_holds(c, in);
    case Kind::all_of:
      for (const auto& child : c.children) {
        if (!condition_holds(child, in)) return false;
      }
      return true;
    case Kind::any_of:
      for (const auto& child : c.children) {
        if (condition_holds(child, in)) return true;
      }
      return false;
    case Kind::none_of:
      for (const auto& child : c.children) {
        if (condition_holds(child, in)) return false;
      }
      return true;
    case Kind::not_all_of:
      for (const auto& child : c.children) {
        if (!condition_holds(child, in)) return true;
      }
      return false;
  }
  return false;
}

PolicyVerdict evaluate_policy(std::span<const config::PolicyRule> rules, const PolicyInput& in) {
  const config::PolicyRule* allowed_by = nullptr;
  for (const auto& rule : rules) {
    if (rule.action == config::PolicyAction::deny) {
      if (condition_holds(rule.condition, in)) return {false, &rule};
    } else if (!allowed_by && condition_holds(rule.condition, in)) {
      allowed_by = &rule;
    }
  }
  return {allowed_by != nullptr, allowed_by};
}

}  // namespace certgate::auth
