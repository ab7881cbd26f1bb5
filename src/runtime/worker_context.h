// What a connection may use of its worker: the worker's own pool, balancers, log buffer and registry. All of
// it belongs to one thread, so nothing here needs a lock.
#pragma once

#include <boost/asio/post.hpp>

#include "auth/worker_state.h"
#include "http/request_id.h"
#include "inventory/worker_recorder.h"
#include "log/access_log.h"
#include "net/asio.h"
#include "proxy/balancers.h"
#include "proxy/upstream_pool.h"
#include "runtime/connection_caps.h"
#include "runtime/connection_registry.h"
#include "runtime/worker_metrics.h"

namespace certgate::runtime {

struct WorkerContext {
  // `revocation`: the server's, which outlives the worker.
  WorkerContext(std::shared_ptr<log::AccessLogSink> sink, revocation::Service& revocation)
      : auth(revocation),
        access_log(std::move(sink), [this](std::function<void()> f) { net::asio::post(io, std::move(f)); }) {}

  // Declaration order is destruction order reversed: the loop (and the sessions suspended in it)
  // goes after the pooled sockets that need it, and before the registry the sessions leave and the
  // authorization state their suspended checks refer to.
  auth::WorkerState auth;  // chain cache, revocation cache and counters, warning limiter
  ConnectionRegistry connections;
  // Upstream balancing state (endpoints, in-flight counts, health marks); before the loop, because the
  // exchanges, checks and lookups suspended in it refer to it until the loop's destruction ends them.
  proxy::Balancers balancers;
  // Written by this worker's thread only, read by the admin API's scrapes; before the loop, as the
  // connections destroyed with it hold gauge tokens.
  WorkerMetrics metrics;
  net::asio::io_context io{1};
  proxy::UpstreamPool upstreams;
  log::AccessLogger access_log;
  bool draining = false;
  ConnectionCaps caps;  // this worker's share of the process's caps
  http::RequestIdGenerator request_ids;
  // Sightings for the server's client-certificate inventory, merged on the worker's tick.
  inventory::WorkerRecorder inventory;
};

}  // namespace certgate::runtime
