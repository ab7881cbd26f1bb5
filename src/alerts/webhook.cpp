#include "alerts/webhook.h"

#include <spdlog/spdlog.h>

#include <deque>

#include "alerts/http_client.h"
#include "config/config_error.h"

namespace certgate::alerts {
namespace {

struct Target {
  config::HttpUrl url;
  std::shared_ptr<const tls::UpstreamTls> tls;
  config::Duration timeout{5000};
};

struct Item {
  std::uint64_t id = 0;
  std::string body;
  int attempts = 0;
};

}  // namespace

// Shared by the sender and its delivery coroutine, so that whichever ends last frees it.
struct WebhookSender::State {
  explicit State(net::asio::any_io_executor ex) : executor(ex), wake(ex), backoff_timer(ex) {}
  net::asio::any_io_executor executor;
  std::optional<Target> target;
  std::deque<Item> queue;
  std::uint64_t next_id = 1;
  net::asio::steady_timer wake;           // new work, or stop
  net::asio::steady_timer backoff_timer;  // the wait before a retry
  bool running = false;
  bool stopped = false;
};

namespace {

bool delivered(const HttpResponse& r) {
  return r.status >= 200 && r.status < 300;
}

std::string failure_text(const HttpResponse& r) {
  return r.status ? "HTTP " + std::to_string(r.status) : r.error;
}

// After one attempt at the front item: done (delivered or given up) or wait and retry.
void settle(WebhookSender::State& s, std::uint64_t id, const HttpResponse& response, const std::string& url,
            std::chrono::seconds& wait) {
  wait = std::chrono::seconds(0);
  if (s.queue.empty() || s.queue.front().id != id) return;  // dropped meanwhile (reconfigured)
  auto& item = s.queue.front();
  ++item.attempts;
  if (delivered(response)) {
    spdlog::debug("alerts: webhook {} took an alert", url);
    s.queue.pop_front();
    return;
  }
  if (item.attempts >= WebhookSender::kMaxAttempts) {
    spdlog::error("alerts: webhook {} failed {} times, alert dropped: {}", url, item.attempts,
                  failure_text(response));
    s.queue.pop_front();
    return;
  }
  wait = WebhookSender::backoff(item.attempts);
  spdlog::warn("alerts: webhook {} failed (attempt {} of {}): {}; retrying in {} s", url, item.attempts,
               WebhookSender::kMaxAttempts, failure_text(response), wait.count());
}

net::awaitable<void> deliver(std::shared_ptr<WebhookSender::State> s) {
  while (!s->stopped) {
    if (s->queue.empty() || !s->target) {
      s->wake.expires_at(net::asio::steady_timer::time_point::max());
      co_await s->wake.async_wait(net::use_nothrow);
      continue;
    }
    const auto target = *s->target;  // a reload may replace it while the POST runs
    const auto item = s->queue.front();
    HttpRequest request;
    request.url = target.url;
    request.method = boost::beast::http::verb::post;
    request.body = item.body;
    request.content_type = "application/json";
    request.tls = target.tls;
    request.timeout = target.timeout;
    request.max_body = 64 * 1024;
    const auto response = co_await http_request(request);
    if (s->stopped) break;
    std::chrono::seconds wait{0};
    settle(*s, item.id, response, config::url_text(target.url), wait);
    if (wait.count() > 0) {
      s->backoff_timer.expires_after(wait);
      co_await s->backoff_timer.async_wait(net::use_nothrow);
    }
  }
  s->running = false;
}

}  // namespace

WebhookSender::WebhookSender(net::asio::any_io_executor executor)
    : state_(std::make_shared<State>(std::move(executor))) {}

WebhookSender::~WebhookSender() {
  stop();
}

std::chrono::seconds WebhookSender::backoff(int attempt) {
  auto wait = kFirstBackoff;
  for (int i = 1; i < attempt && wait < kMaxBackoff; ++i)
    wait *= 2;
  return std::min(wait, kMaxBackoff);
}

void WebhookSender::configure(const config::AlertSettings& settings) {
  auto& s = *state_;
  if (!settings.webhook_url) {
    s.target.reset();
    s.queue.clear();
    return;
  }
  Target target;
  target.url = *settings.webhook_url;
  target.timeout = settings.webhook_timeout;
  if (target.url.https) {
    try {
      target.tls = make_client_tls(target.url, settings.webhook_ca_file, settings.mark);
    } catch (const config::ConfigError& e) {
      spdlog::error("alerts: webhook off: {}", e.what());
      s.target.reset();
      s.queue.clear();
      return;
    }
  }
  s.target = std::move(target);
  if (!s.running && !s.stopped) {
    s.running = true;
    net::asio::co_spawn(s.executor, deliver(state_), net::asio::detached);
  }
  s.wake.cancel();
}

void WebhookSender::post(std::string body) {
  auto& s = *state_;
  if (!s.target || s.stopped) return;
  if (s.queue.size() >= kQueueLimit) {
    spdlog::warn("alerts: webhook queue full ({} alerts), alert dropped", kQueueLimit);
    return;
  }
  s.queue.push_back({s.next_id++, std::move(body), 0});
  s.wake.cancel();
}

void WebhookSender::stop() {
  auto& s = *state_;
  s.stopped = true;
  s.queue.clear();
  s.wake.cancel();
  s.backoff_timer.cancel();
}

std::size_t WebhookSender::queued() const {
  return state_->queue.size();
}

}  // namespace certgate::alerts
