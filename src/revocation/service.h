// The process-wide side of revocation checking, on one thread of its own (the "fetch thread"):
//   - fetches OCSP answers and CRLs from distribution points over HTTP, one fetch in flight per key
//     (later askers wait for the same fetch), never blocking a worker's event loop;
//   - keeps the shared cache of answers (only the fetch thread touches it: no lock);
//   - watches the configured CRL files and reloads them when they change on disk.
// The server owns one (`certgate check` makes its own); it outlives the workers. A worker asks through
// its revocation::WorkerClient (revocation/worker_client.h), whose local cache answers most questions
// without leaving the worker.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "config/http_url.h"
#include "net/asio.h"
#include "pki/openssl_ptr.h"
#include "pki/trust_bundle.h"
#include "revocation/answer_cache.h"
#include "revocation/crl_file.h"
#include "revocation/crl_set.h"
#include "revocation/metrics.h"
#include "revocation/verdict.h"
#include "revocation/warn_limiter.h"

namespace certgate::revocation {

enum class Source : uint8_t { ocsp, crl_dp };

// What a worker needs to know about one certificate from one online source.
struct Question {
  Source source = Source::ocsp;
  std::string key;  // cache key: the source, URL and what identifies the answer (CertID / issuer)
  config::HttpUrl url;
  std::string url_text;
  std::string serial;                              // of the certificate, for the debug log
  pki::OcspCertIdPtr cert_id;                      // OCSP
  std::string ocsp_request;                        // OCSP, DER
  pki::X509Ptr issuer;                             // the certificate's issuer, from the verified path
  std::shared_ptr<const pki::TrustBundle> bundle;  // validates a delegated OCSP responder
  config::Duration timeout{5000};
  config::Duration cache_ttl{3600000};
  std::size_t max_size = 10 * 1024 * 1024;
};

struct Answer {
  bool failed = false;              // no usable answer (network, HTTP, unusable response); never cached
  Status status = Status::unknown;  // OCSP: the certificate's status
  std::shared_ptr<const VerifiedCrl> crl;  // CRL DP: the CRL to look the serial up in
  std::string detail;                      // why it failed, or the OCSP revocation details
  WallClock::time_point expires{};         // reused until then
};

// An answer that says why there is none.
Answer failed_answer(std::string why);
// The counter of answers reused from a cache for this source.
Counter cache_hits_of(Source source);

class Service {
 public:
  Service() = default;
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Starts watching these CRL files (as long as something else keeps them alive).
  void watch(const std::vector<std::shared_ptr<CrlFile>>& files);
  // Ends the fetch thread for good; call after the workers have stopped, before they are destroyed.
  void stop();

  // A worker waiting for an answer (see ask()): the fetch thread posts the answer to `executor`.
  struct Waiter {
    explicit Waiter(net::asio::any_io_executor ex) : executor(ex), timer(ex) {}
    net::asio::any_io_executor executor;
    net::asio::steady_timer timer;  // cancelled when the answer arrives
    std::optional<Answer> answer;
  };
  void submit(Question question, std::shared_ptr<Waiter> waiter);

  // Where each worker registers its counter block; snapshot() sums them (and the fetch thread's).
  CounterRegistry& counters() { return counters_; }

 private:
  bool ensure_started();
  void on_question(Question question, std::shared_ptr<Waiter> waiter);
  net::awaitable<void> fetch(Question question);
  net::awaitable<Answer> fetch_ocsp(const Question& question);
  net::awaitable<Answer> fetch_crl(const Question& question);
  Answer failure(const Question& question, const std::string& why);
  net::awaitable<void> housekeeping();
  void poll_crl_files();
  static void deliver(std::shared_ptr<Waiter> waiter, Answer answer);

  std::mutex state_mutex_;  // guards the start/stop state below
  bool started_ = false;
  bool stopped_ = false;
  std::unique_ptr<net::asio::io_context> io_;
  std::thread thread_;

  // Fetch thread only.
  AnswerCache<Answer> cache_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Waiter>>> in_flight_;
  WarnLimiter warnings_{std::chrono::seconds(10)};

  CounterRegistry counters_;
  Counters& fetch_counters_ = counters_.add_block();  // the fetch thread's (fetches, failures, reloads)

  std::mutex watch_mutex_;
  std::vector<std::weak_ptr<CrlFile>> watched_;
};

}  // namespace certgate::revocation
