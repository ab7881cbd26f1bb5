#include "revocation/worker_client.h"

namespace certgate::revocation {

net::awaitable<Answer> WorkerClient::ask(Question question) {
  if (const Answer* hit = local_.find(question.key, WallClock::now())) {
    count(cache_hits_of(question.source));
    co_return *hit;
  }
  auto executor = co_await net::asio::this_coro::executor;
  auto waiter = std::make_shared<Service::Waiter>(executor);
  // A safety net only: the fetch itself is bounded by `timeout`.
  waiter->timer.expires_after(question.timeout * 2 + std::chrono::seconds(1));
  const std::string key = question.key;
  service_.submit(std::move(question), waiter);
  co_await waiter->timer.async_wait(net::use_nothrow);
  if (!waiter->answer) co_return failed_answer("no answer from the revocation fetcher in time");
  Answer answer = std::move(*waiter->answer);
  if (!answer.failed) local_.put(key, answer, answer.expires, WallClock::now());
  co_return answer;
}

}  // namespace certgate::revocation
