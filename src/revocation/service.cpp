#include "revocation/service.h"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "revocation/http_fetch.h"
#include "revocation/ocsp.h"

namespace certgate::revocation {
namespace {

constexpr auto kCrlFilePollInterval = std::chrono::seconds(1);
constexpr int kPollsPerHousekeeping = 60;  // cache purge and the counters in the debug log: every minute

Counter fetches_of(Source s) {
  return s == Source::ocsp ? Counter::ocsp_fetches : Counter::crl_dp_fetches;
}
Counter failures_of(Source s) {
  return s == Source::ocsp ? Counter::ocsp_failures : Counter::crl_dp_failures;
}

}  // namespace

Answer failed_answer(std::string why) {
  Answer a;
  a.failed = true;
  a.detail = std::move(why);
  return a;
}

Counter cache_hits_of(Source s) {
  return s == Source::ocsp ? Counter::ocsp_cache_hits : Counter::crl_dp_cache_hits;
}

Service::~Service() {
  stop();
}

bool Service::ensure_started() {
  std::lock_guard lock(state_mutex_);
  if (stopped_) return false;
  if (started_) return true;
  io_ = std::make_unique<net::asio::io_context>(1);
  net::asio::co_spawn(*io_, housekeeping(), net::asio::detached);
  thread_ = std::thread([this] {
    auto guard = net::asio::make_work_guard(*io_);
    io_->run();
  });
  started_ = true;
  return true;
}

void Service::stop() {
  {
    std::lock_guard lock(state_mutex_);
    const bool was_running = started_ && !stopped_;
    stopped_ = true;
    if (!was_running) return;
  }
  io_->stop();
  if (thread_.joinable()) thread_.join();
  // The workers have stopped: their waiters can be dropped here.
  in_flight_.clear();
  cache_ = AnswerCache<Answer>();
  io_.reset();  // destroys the fetches still suspended
}

void Service::watch(const std::vector<std::shared_ptr<CrlFile>>& files) {
  if (files.empty()) return;
  {
    std::lock_guard lock(watch_mutex_);
    for (const auto& file : files)
      watched_.push_back(file);
  }
  ensure_started();
}

void Service::submit(Question question, std::shared_ptr<Waiter> waiter) {
  if (!ensure_started()) {
    deliver(std::move(waiter), failed_answer("the gateway is shutting down"));
    return;
  }
  net::asio::post(*io_, [this, question = std::move(question), waiter = std::move(waiter)]() mutable {
    on_question(std::move(question), std::move(waiter));
  });
}

void Service::deliver(std::shared_ptr<Waiter> waiter, Answer answer) {
  auto executor = waiter->executor;
  // The waiter (and its timer) is released on its own worker thread only.
  net::asio::post(executor, [waiter = std::move(waiter), answer = std::move(answer)]() mutable {
    waiter->answer = std::move(answer);
    waiter->timer.cancel();
  });
}

void Service::on_question(Question question, std::shared_ptr<Waiter> waiter) {
  if (const Answer* hit = cache_.find(question.key, WallClock::now())) {
    fetch_counters_.add(cache_hits_of(question.source));
    deliver(std::move(waiter), *hit);
    return;
  }
  auto& waiting = in_flight_[question.key];
  waiting.push_back(std::move(waiter));
  if (waiting.size() > 1) return;  // a fetch for this key is already on its way
  net::asio::co_spawn(*io_, fetch(std::move(question)), net::asio::detached);
}

net::awaitable<void> Service::fetch(Question question) {
  fetch_counters_.add(fetches_of(question.source));
  // (Not a conditional expression: GCC 12 mishandles co_await in one.)
  Answer answer;
  if (question.source == Source::ocsp) {
    answer = co_await fetch_ocsp(question);
  } else {
    answer = co_await fetch_crl(question);
  }
  if (!answer.failed) cache_.put(question.key, answer, answer.expires, WallClock::now());
  auto waiting = in_flight_.extract(question.key);
  if (waiting.empty()) co_return;
  for (auto& waiter : waiting.mapped())
    deliver(std::move(waiter), answer);
}

Answer Service::failure(const Question& question, const std::string& why) {
  fetch_counters_.add(failures_of(question.source));
  const char* what = question.source == Source::ocsp ? "OCSP responder" : "CRL distribution point";
  if (warnings_.allow(question.url_text, std::chrono::steady_clock::now())) {
    spdlog::warn("revocation: {} {} gave no usable answer: {}", what, question.url_text, why);
  }
  return failed_answer(std::string(question.source == Source::ocsp ? "OCSP " : "CRL ") + question.url_text +
                       ": " + why);
}

net::awaitable<Answer> Service::fetch_ocsp(const Question& question) {
  HttpFetch request{question.url, question.ocsp_request, "application/ocsp-request", question.timeout,
                    question.max_size};
  auto result = co_await http_fetch(request);
  if (!result.ok) co_return failure(question, result.error);
  auto ocsp =
      read_response(result.body, question.cert_id.get(), question.issuer.get(), question.bundle->store());
  if (!ocsp.usable) co_return failure(question, ocsp.detail);
  Answer answer;
  answer.status = ocsp.status;
  answer.detail = ocsp.detail;
  answer.expires = cache_until(WallClock::now(), ocsp.next_update, question.cache_ttl);
  spdlog::debug("revocation: OCSP {} says {} for serial {}", question.url_text, to_string(ocsp.status),
                question.serial);
  co_return answer;
}

net::awaitable<Answer> Service::fetch_crl(const Question& question) {
  HttpFetch request{question.url, {}, {}, question.timeout, question.max_size};
  auto result = co_await http_fetch(request);
  if (!result.ok) co_return failure(question, result.error);
  std::shared_ptr<const VerifiedCrl> crl;
  try {
    auto crls = parse_crls_any(result.body, question.url_text);
    // A distribution point publishes the CRL of the certificate's issuer; several are tolerated.
    std::string problem = "no CRL in the answer";
    for (auto& candidate : crls) {
      auto why = VerifiedCrl::problem_with(candidate.get(), question.issuer.get());
      if (!why) {
        crl = std::make_shared<const VerifiedCrl>(std::move(candidate), pki::share(question.issuer.get()),
                                                  question.url_text);
        break;
      }
      problem = *why;
    }
    if (!crl) co_return failure(question, problem);
  } catch (const std::exception& e) {
    co_return failure(question, e.what());
  }
  Answer answer;
  answer.crl = crl;
  answer.expires = cache_until(WallClock::now(), crl->next_update(), question.cache_ttl);
  spdlog::debug("revocation: fetched the CRL {} (next update {})", question.url_text,
                crl->next_update() ? std::to_string(*crl->next_update()) : "none");
  co_return answer;
}

net::awaitable<void> Service::housekeeping() {
  net::asio::steady_timer timer(co_await net::asio::this_coro::executor);
  CounterSnapshot logged{};
  for (int tick = 1;; ++tick) {
    timer.expires_after(kCrlFilePollInterval);
    auto [ec] = co_await timer.async_wait(net::use_nothrow);
    if (ec) co_return;
    poll_crl_files();
    if (tick % kPollsPerHousekeeping == 0) {
      cache_.purge(WallClock::now());
      const auto now = counters_.snapshot();
      if (now != logged && spdlog::should_log(spdlog::level::debug)) {
        spdlog::debug("revocation counters: {}", format(now));
        logged = now;
      }
    }
  }
}

void Service::poll_crl_files() {
  std::vector<std::shared_ptr<CrlFile>> live;
  {
    std::lock_guard lock(watch_mutex_);
    std::erase_if(watched_, [&live](const std::weak_ptr<CrlFile>& weak) {
      auto file = weak.lock();
      if (!file) return true;
      live.push_back(std::move(file));
      return false;
    });
  }
  for (const auto& file : live)
    file->poll(fetch_counters_);
}

}  // namespace certgate::revocation
