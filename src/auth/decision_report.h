// A Decision as data, for `certgate check` and anything else that explains a decision.
#pragma once

#include <nlohmann/json.hpp>

#include "auth/decision.h"

namespace certgate::auth {

// {"decision": "accepted"|"rejected", "status": 200|401|403..., "reason": "...", "detail": "...",
//  "verify": "SUCCESS"|..., "chain": [subject per depth], and when they apply: "identity_match", "consumer",
//  "consumer_id", "credential", "anonymous", "groups", "policy_rule" (index), "policy_action",
//  "policy_rule_at"}
nlohmann::ordered_json decision_to_json(const Decision& decision);

}  // namespace certgate::auth
