// What authorization keeps per worker: caches and rate limiters that only the worker's thread touches
// (no lock), owned by server::WorkerContext and handed to auth::authorize in each AuthRequest.
#pragma once

#include <chrono>

#include "auth/verified_chain_cache.h"
#include "revocation/service.h"
#include "revocation/warn_limiter.h"
#include "revocation/worker_client.h"

namespace certgate::auth {

struct WorkerState {
  // `revocation_service` outlives this state (the server declares it before the workers).
  explicit WorkerState(revocation::Service& revocation_service) : revocation(revocation_service) {}
  WorkerState(const WorkerState&) = delete;
  WorkerState& operator=(const WorkerState&) = delete;

  // Verified chains and certificate facts of the clients this worker has seen.
  VerifiedChainCache chains;
  // The worker's revocation cache and counters, in front of the shared revocation::Service.
  revocation::WorkerClient revocation;
  // "revocation status unknown, allowed" warnings: once a minute per route and cause, per worker.
  revocation::WarnLimiter unknown_revocation_warnings{std::chrono::seconds(60)};
};

}  // namespace certgate::auth
