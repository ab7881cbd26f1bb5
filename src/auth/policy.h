// Policy evaluation (docs/identity-and-policy.md): a matching deny rule wins, else a
// matching allow rule passes, else the request is denied. Pure: a function of the rules, the verified
// certificate's attributes and the identity.
#pragma once

#include <span>

#include "auth/certificate_attributes.h"
#include "auth/decision.h"
#include "config/config.h"

namespace certgate::auth {

struct PolicyInput {
  const CertificateAttributes* certificate = nullptr;  // only a certificate that verified; else null
  const Identity* identity = nullptr;                  // null: no identity block
};

struct PolicyVerdict {
  bool allow = false;
  const config::PolicyRule* rule = nullptr;  // the rule that decided; null when none matched (deny)
};

PolicyVerdict evaluate_policy(std::span<const config::PolicyRule> rules, const PolicyInput& input);

// One condition (criterion or operator) against the input; exposed for tests and `certgate check`.
bool condition_holds(const config::PolicyCondition& condition, const PolicyInput& input);

}  // namespace certgate::auth
