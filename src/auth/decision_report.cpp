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
    if (!decision.certificate->policy_rule.empty()) out["policy_rule"] = decision.certificate->policy_rule;
  }
  out["chain"] = std::move(chain);
  return out;
}

}  // namespace certgate::auth
