// One active health check of one upstream endpoint: connect (and TLS for https:// targets, verified as the
// route's requests are), `GET <path>`, and a 2xx status within the check's timeout. Also the handle the
// worker uses to cancel probes and DNS lookups still running when it drains.
#pragma once

#include <memory>
#include <vector>

#include "config/config.h"
#include "net/asio.h"
#include "proxy/upstream_set.h"

namespace certgate::proxy {

// Something in flight that the worker can cut short (drain), held weakly by the worker.
class Abortable {
 public:
  virtual ~Abortable() = default;
  virtual void abort() = 0;
};
using AbortList = std::vector<std::weak_ptr<Abortable>>;

// True when `address` answered the check with a 2xx within check.timeout. The probe is listed in
// `running` while it runs. `target` must outlive the probe.
net::awaitable<bool> probe_endpoint(net::asio::io_context& io, net::tcp::endpoint address,
                                    const UpstreamTarget& target, const config::HealthCheck& check,
                                    AbortList& running);

}  // namespace certgate::proxy
