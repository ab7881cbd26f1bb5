#include "auth/decision_report.h"

#include "pki/cert_info.h"

namespace certgate::auth {

nlohmann::ordered_json decision_to_json(const Decision& decision) {
  nlohmann::ordered_json out;
  out["decision"] = decision.allow ? "accepted" : "rejected";
  out["status"] = decision.allow ? 200 : decision.status;
  if (!decision.allow) out["message"] = decision.message;
  out["reason"] = to_string(decision.reason);
  out["verify"] = decision.verify;
  out["detail"] = decision.detail;
  auto chain = nlohmann::ordered_json::array();
  if (decision.certificate) {
    for (const auto& cert : decision.certificate->chain)
      chain.push_back(pki::subject_dn(cert.get()));
    if (!decision.certificate->policy_rule.empty())
      out["certificate_rule"] = decision.certificate->policy_rule;
  }
  out["chain"] = std::move(chain);

  const auto& id = decision.identity;
  if (id.match != IdentityMatch::none) {
    out["identity_match"] = to_string(id.match);
    if (id.consumer) {
      out["consumer"] = id.consumer->username;
      out["consumer_id"] = id.consumer->id;
      if (!id.consumer->custom_id.empty()) out["custom_id"] = id.consumer->custom_id;
    }
    if (!id.credential.empty()) out["credential"] = id.credential;
    out["anonymous"] = id.anonymous;
    auto groups = nlohmann::ordered_json::array();
    for (const auto& g : id.groups)
      groups.push_back(g);
    out["groups"] = std::move(groups);
  }
  if (decision.policy_rule) {
    const auto& rule = *decision.policy_rule;
    out["policy_rule"] = rule.index;
    out["policy_action"] = rule.action == config::PolicyAction::allow ? "allow" : "deny";
    out["policy_rule_at"] = rule.mark.file + ":" + std::to_string(rule.mark.line);
  }
  return out;
}

}  // namespace certgate::auth
