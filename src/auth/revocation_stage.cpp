#include "auth/revocation_stage.h"

#include <spdlog/spdlog.h>

#include "revocation/checker.h"
#include "revocation/mode.h"

namespace certgate::auth {
namespace {

void warn_unknown_passed(const RouteAccess& route, PeerCertificate& peer, WorkerState& worker,
                         const std::string& detail) {
  // Per worker and per cause, so that a responder outage does not log once per request.
  if (!worker.unknown_revocation_warnings.allow(route.config->from + '\n' + detail,
                                                std::chrono::steady_clock::now()))
    return;
  spdlog::warn("revocation status unknown for \"{}\" on route {}, allowed (ignore_ca_error): {}",
               peer.facts().subject_dn, route.config->from, detail);
}

// The verdict's consequences for the decision. A passed "unknown" is warned about when the verdict is
// new, not again for each keep-alive request that reuses it.
void apply(const revocation::Verdict& verdict, bool fresh, const RouteAccess& route, PeerCertificate& peer,
           WorkerState& worker, Decision& decision) {
  const auto& mtls = route.config->mtls;
  const auto outcome = revocation::apply_mode(mtls.revocation.mode, verdict.status);
  if (outcome.warn && fresh) warn_unknown_passed(route, peer, worker, verdict.detail);
  if (!outcome.reject) return;
  decision.refused_after_verification = true;
  decision.verify = "FAILED:" + std::string(to_string(outcome.reason));
  decision.detail = verdict.detail;
  if (mtls.mode != config::MtlsMode::optional) decision.deny(401, kFailedVerificationMessage, outcome.reason);
}

uint64_t crl_version(const RouteAccess& route) {
  return route.crl_file ? route.crl_file->version() : 0;
}

}  // namespace

bool revocation_needs_evaluation(const RouteAccess& route, PeerCertificate& peer, WorkerState& worker,
                                 Decision& decision) {
  if (!decision.certificate_valid() ||
      !revocation::checks_revocation(route.config->mtls, route.crl_file != nullptr)) {
    return false;
  }
  const auto& memo = peer.revocation_memo();
  if (memo.route != &route || memo.crl_version != crl_version(route) ||
      revocation::WallClock::now() >= memo.verdict.valid_until) {
    return true;
  }
  apply(memo.verdict, false, route, peer, worker, decision);
  return false;
}

net::awaitable<void> check_revocation(const RouteAccess& route, PeerCertificate& peer, WorkerState& worker,
                                      Decision& decision) {
  auto& memo = peer.revocation_memo();
  memo.route = nullptr;  // not valid while the check is under way
  const uint64_t version = crl_version(route);
  auto verdict = co_await revocation::check_path({route.config->mtls, route.crl_file.get(), route.trust,
                                                  decision.certificate->chain, worker.revocation});
  memo = {&route, version, std::move(verdict)};
  apply(memo.verdict, true, route, peer, worker, decision);
}

}  // namespace certgate::auth
