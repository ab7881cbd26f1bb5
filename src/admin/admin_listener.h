// The admin listener (docs/operations.md): HTTP/1.1 with Beast, over TLS when the admin block names a
// client CA, on the event loop it is given (the server's main loop, where SIGHUP reloads run too, so
// POST /reload and a signal never race). One request per connection; every request is authorized
// (AdminAuth) before it is routed to its endpoint.
#pragma once

#include <memory>

#include "admin/admin_auth.h"
#include "admin/backend.h"
#include "config/config.h"
#include "net/asio.h"

namespace certgate::admin {

class AdminListener {
 public:
  // Throws config::ConfigError (bad TLS files). `backend` outlives the listener.
  AdminListener(net::asio::io_context& io, const config::AdminSettings& settings, Backend& backend);

  // Binds the address (throws std::system_error) and starts accepting.
  void start();
  // Stops accepting; requests in flight finish.
  void stop();
  // A reload's token and certificates: new connections use them, open ones keep what they started with.
  // The address is bound once (a change needs a restart, like the gateway's listeners).
  void use(std::shared_ptr<const AdminAuth> auth);

 private:
  net::awaitable<void> accept_loop();
  net::awaitable<void> serve(net::tcp::socket socket);

  net::asio::io_context& io_;
  config::AdminSettings settings_;
  Backend& backend_;
  std::shared_ptr<const AdminAuth> auth_;
  net::tcp::acceptor acceptor_;
};

}  // namespace certgate::admin
