// The expiry alert webhook (`alerts.webhook_url`): a JSON POST per alert, from a bounded queue, retried
// with exponential backoff. It runs on the server's main event loop (never a worker's, so never on the
// request path) and delivers one alert at a time, in order. Not thread-safe: every call comes from the
// thread that runs that loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "config/config.h"
#include "net/asio.h"

namespace certgate::alerts {

class WebhookSender {
 public:
  static constexpr std::size_t kQueueLimit = 256;  // alerts waiting; more are dropped with a warning
  static constexpr int kMaxAttempts = 8;           // then the alert is dropped with an error
  static constexpr std::chrono::seconds kFirstBackoff{1};
  static constexpr std::chrono::seconds kMaxBackoff{300};

  explicit WebhookSender(net::asio::any_io_executor executor);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // At start and on reload. Without a webhook_url, the queue is emptied and nothing is sent. A webhook CA
  // file that cannot be used is logged as an error and turns the webhook off.
  void configure(const config::AlertSettings& settings);
  // Queues one JSON body (ignored without a webhook).
  void post(std::string body);
  // Ends the delivery loop; alerts still queued are dropped.
  void stop();
  std::size_t queued() const;

  // The wait before attempt `attempt` + 1 (attempt >= 1): 1 s, 2 s, 4 s ... at most kMaxBackoff.
  static std::chrono::seconds backoff(int attempt);

  struct State;  // defined in webhook.cpp; shared with the delivery coroutine

 private:
  std::shared_ptr<State> state_;
};

}  // namespace certgate::alerts
