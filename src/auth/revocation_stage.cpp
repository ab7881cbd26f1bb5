#include "auth/revocation_stage.h"

#include <spdlog/spdlog.h>

#include "revocation/checker.h"
#include "revocation/mode.h"
#include "revocation/warn_limiter.h"

namespace certgate::auth {
namespace {

constexpr auto kUnknownWarningInterval = std::chrono::seconds(60);

void warn_unknown_passed(const proxy::RouteRuntime& route, PeerCertificate& peer, const std::string& detail) {
  // Per worker and per cause, so that a responder outage does not log once per request.
  thread_local revocation::WarnLimiter limiter(kUnknownWarningInterval);
  if (!limiter.allow(route.config->from + '\n' + detail, std::chrono::steady_clock::now())) return;
  spdlog::warn("revocation status unknown for \"{}\" on route {}, allowed (ignore_ca_error): {}",
               peer.facts().subject_dn, route.config->from, detail);
}

}  // namespace

net::awaitable<void> check_revocation(const proxy::RouteRuntime& route, PeerCertificate& peer,
                                      Decision& decision) {
  const auto& mtls = route.config->mtls;
  if (!decision.certificate_valid() || !revocation::checks_revocation(mtls, route.crl_file != nullptr))
    co_return;

  auto& memo = peer.revocation_memo();
  const uint64_t version = route.crl_file ? route.crl_file->version() : 0;
  if (memo.route != &route || memo.crl_version != version ||
      revocation::WallClock::now() >= memo.verdict.valid_until) {
    memo.route = nullptr;  // not valid while the check is under way
    auto verdict = co_await revocation::check_path(
        {mtls, route.crl_file.get(), route.trust, decision.certificate->chain});
    memo = {&route, version, std::move(verdict)};
  }
  const auto& verdict = memo.verdict;
  const auto outcome = revocation::apply_mode(mtls.revocation.mode, verdict.status);
  if (outcome.warn) warn_unknown_passed(route, peer, verdict.detail);
  if (!outcome.reject) co_return;
  decision.revocation_refused = true;
  decision.verify = "FAILED:" + std::string(to_string(outcome.reason));
  decision.detail = verdict.detail;
  if (mtls.mode != config::MtlsMode::optional) decision.deny(401, kFailedVerificationMessage, outcome.reason);
}

}  // namespace certgate::auth
