// A worker's side of revocation checking: its own answer cache in front of the Service's shared one,
// and its own counters. One per worker (auth::WorkerState holds it), used by that worker's thread only,
// so the request path takes no lock. A miss is posted to the Service's fetch thread, and the answer is
// posted back to the worker, which waits on its own event loop meanwhile.
#pragma once

#include "net/asio.h"
#include "revocation/answer_cache.h"
#include "revocation/metrics.h"
#include "revocation/service.h"

namespace certgate::revocation {

class WorkerClient {
 public:
  // `service` outlives this client (the server declares it before the workers).
  explicit WorkerClient(Service& service) : service_(service), counters_(service.counters().add_block()) {}
  WorkerClient(const WorkerClient&) = delete;
  WorkerClient& operator=(const WorkerClient&) = delete;

  // From a coroutine on this worker: the answer from the worker's cache, the shared cache, or a fetch.
  net::awaitable<Answer> ask(Question question);

  void count(Counter counter) { counters_.add(counter); }

 private:
  Service& service_;
  Counters& counters_;  // registered with the service, which sums every block in its snapshot
  AnswerCache<Answer> local_;
};

}  // namespace certgate::revocation
