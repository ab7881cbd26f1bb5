#include "auth/authorizer.h"

#include <fmt/format.h>

#include "auth/identity.h"
#include "auth/mtls_gate.h"
#include "auth/policy.h"
#include "auth/revocation_stage.h"
#include "common/refusal_kind.h"

namespace certgate::auth {
namespace {

// A valid certificate that maps to no consumer: the same 401 as any other refused certificate (Kong).
void apply_identity(Decision& decision, const config::IdentitySettings& settings,
                    const ConsumerDirectory& consumers, const CertificateAttributes* cert) {
  std::span<const pki::X509Ptr> chain;
  if (cert) chain = decision.certificate->chain;
  if (auto identity = identify(settings, consumers, cert, chain)) {
    decision.identity = *identity;
    return;
  }
  decision.deny(401, kFailedVerificationMessage, Reason::consumer_not_found);
  decision.detail = fmt::format("no consumer matches the certificate (subject \"{}\")", cert->subject);
}

void apply_policy(Decision& decision, const config::Route& route, const CertificateAttributes* cert) {
  if (route.policy.empty()) {
    // Implicit policy: `allow: valid_certificate: true` on routes that require a certificate (the certificate
    // stage has already refused the others), everything on optional routes.
    if (route.mtls.mode == config::MtlsMode::optional || cert) return;
    decision.deny(403, kForbiddenMessage, Reason::policy_denied);
    decision.detail = "no valid certificate (implicit policy valid_certificate: true)";
    return;
  }
  const auto verdict = evaluate_policy(route.policy, {cert, route.identity ? &decision.identity : nullptr});
  decision.policy_rule = verdict.rule;
  if (verdict.allow) return;
  decision.deny(403, kForbiddenMessage, Reason::policy_denied);
  decision.detail = verdict.rule ? fmt::format("deny rule {} ({}:{}) matched", verdict.rule->index,
                                               verdict.rule->mark.file, verdict.rule->mark.line)
                                 : std::string("no allow rule matched");
}

// The stages in order; the first refusal ends the run.
net::awaitable<Decision> run_stages(AuthRequest& request) {
  const auto& route = request.route;
  const auto& config = *route.config;
  request.peer.use_cache(request.worker.chains);
  Decision decision = check_client_certificate(config.mtls, route.trust.get(), request.peer);
  if (!decision.allow || config.mtls.mode == config::MtlsMode::off) co_return decision;
  if (revocation_needs_evaluation(route, request.peer, request.worker, decision)) {
    co_await check_revocation(route, request.peer, request.worker, decision);
    if (!decision.allow) co_return decision;
  }
  if (!config.identity && config.policy.empty()) co_return decision;
  // Identity and policy only ever look at a certificate that verified (and was not revoked).
  const CertificateAttributes* cert = decision.certificate_valid() ? &request.peer.attributes() : nullptr;
  if (config.identity) {
    apply_identity(decision, *config.identity, *route.consumers, cert);
    if (!decision.allow) co_return decision;
  }
  apply_policy(decision, config, cert);
  co_return decision;
}

}  // namespace

net::awaitable<Decision> authorize(AuthRequest request) {
  Decision decision = co_await run_stages(request);
  // `responses:` gives each kind of refusal the route's status (495, 496...): the client and `certgate
  // check` see the same one.
  if (!decision.allow) {
    decision.status =
        request.route.config->responses.status_for(refusal_kind(decision.reason), decision.status);
  }
  co_return decision;
}

}  // namespace certgate::auth
