#include "server/server.h"

#include <spdlog/spdlog.h>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>

#include "common/version.h"
#include "config/config_error.h"
#include "config/loader.h"
#include "log/error_log.h"
#include "revocation/service.h"

namespace certgate::server {
namespace {

using net::error_code;

// Workers share each port through SO_REUSEPORT, which would also let a second certgate (same user) join
// the group and silently take half the connections. A plain bind first fails if anyone listens there.
void ensure_addresses_free(const config::Config& cfg) {
  net::asio::io_context io;
  for (const auto& listener : cfg.listeners) {
    net::tcp::acceptor probe(io);
    const net::tcp::endpoint endpoint(net::asio::ip::make_address(listener.host), listener.port);
    probe.open(endpoint.protocol());
    probe.set_option(net::tcp::acceptor::reuse_address(true));
    error_code ec;
    probe.bind(endpoint, ec);
    if (ec) throw std::system_error(ec, listener.address);
  }
}

std::size_t worker_count(const config::Config& cfg) {
  if (cfg.workers > 0) return static_cast<std::size_t>(cfg.workers);
  return std::max(1u, std::thread::hardware_concurrency());
}

bool same_listeners(const config::Config& a, const config::Config& b) {
  if (a.listeners.size() != b.listeners.size()) return false;
  for (std::size_t i = 0; i < a.listeners.size(); ++i) {
    if (a.listeners[i].host != b.listeners[i].host || a.listeners[i].port != b.listeners[i].port)
      return false;
  }
  return true;
}

}  // namespace

std::shared_ptr<const runtime::Runtime> load_runtime(const std::string& path,
                                                     std::shared_ptr<tls::ResumptionState> resumption,
                                                     const runtime::Runtime* previous) {
  return runtime::Runtime::build(config::load_config_file(path), std::move(resumption), previous);
}

int Server::run() {
  // Before the config is compiled: its warnings (tls_skip_verify...) go to the error log, not stdout.
  log::init_error_log("info");
  try {
    runtime_ = load_runtime(config_path_, resumption_);
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  const auto& cfg = runtime_->config();
  log::set_error_log_level(cfg.logging.level);
  std::signal(SIGPIPE, SIG_IGN);

  std::shared_ptr<log::AccessLogSink> sink;
  try {
    sink = log::AccessLogSink::open(cfg.logging.access_log);
  } catch (const std::exception& e) {
    spdlog::error("{}: {}", cfg.file, e.what());
    return 1;
  }
  const auto count = worker_count(cfg);
  // Checked against the descriptors the process may open before the caps are split over the workers.
  const auto caps = apply_file_limit({cfg.limits.max_connections, cfg.limits.max_handshaking_connections},
                                     cfg.limits.connection_caps_written);
  const runtime::ConnectionCaps per_worker{std::max<std::size_t>(1, caps.max_connections / count),
                                           std::max<std::size_t>(1, caps.max_handshaking / count)};
  try {
    ensure_addresses_free(cfg);
    for (std::size_t i = 0; i < count; ++i) {
      workers_.push_back(std::make_unique<Worker>(i, sink, runtime_, per_worker, refusals_, per_ip_,
                                                  revocation_, inventory_));
      workers_.back()->open_listeners();
    }
  } catch (const std::system_error& e) {
    spdlog::error("cannot listen: {}", e.what());
    return 1;
  }

  revocation_.watch(runtime_->crl_files());
  net::asio::io_context main_io;
  if (!start_admin(main_io)) return 1;
  rotation_timer_ = std::make_unique<net::asio::steady_timer>(main_io);
  apply_resumption_settings();
  expiry_ = std::make_unique<alerts::ExpiryMonitor>(main_io.get_executor(), inventory_);
  apply_operations_settings();
  std::atomic<std::size_t> running{count};
  for (auto& worker : workers_) {
    worker->start([&main_io, &running] {
      if (--running == 0) net::asio::post(main_io, [&main_io] { main_io.stop(); });
    });
  }
  std::string addresses;
  for (const auto& l : cfg.listeners)
    addresses += (addresses.empty() ? "" : ", ") + l.address;
  spdlog::info("certgate {} listening on {} with {} worker(s), {} route(s)", kVersion, addresses, count,
               cfg.routes.size());

  net::asio::signal_set signals(main_io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const error_code&, int)> on_signal = [&](const error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      reload();
      signals.async_wait(on_signal);
    } else {
      if (admin_) admin_->stop();
      shut_down(main_io);
    }
  };
  signals.async_wait(on_signal);
  main_io.run();
  admin_.reset();
  rotation_timer_.reset();
  expiry_.reset();
  for (auto& worker : workers_)
    worker->join();
  refusals_.flush();
  revocation_.stop();  // before the workers' event loops are destroyed
  spdlog::info("certgate stopped");
  return 0;
}

admin::ReloadResult Server::reload() {
  spdlog::info("reloading {}", config_path_);
  std::shared_ptr<const runtime::Runtime> next;
  try {
    next = load_runtime(config_path_, resumption_, runtime_.get());
  } catch (const config::ConfigError& e) {
    spdlog::error("reload rejected, the previous config keeps serving: {}", e.what());
    ++reloads_failed_;
    return {false, e.what(), generation_};
  }
  if (!same_listeners(runtime_->config(), next->config())) {
    const auto error = config_path_ + ": listener addresses changed; that needs a restart";
    spdlog::error("reload rejected, the previous config keeps serving: {}", error);
    ++reloads_failed_;
    return {false, error, generation_};
  }
  runtime_ = next;
  ++generation_;
  ++reloads_succeeded_;
  loaded_at_ = std::chrono::system_clock::now();
  apply_resumption_settings();
  log::set_error_log_level(runtime_->config().logging.level);
  revocation_.watch(runtime_->crl_files());
  apply_operations_settings();
  for (auto& worker : workers_)
    worker->install(runtime_);
  spdlog::info("reload done: {} route(s)", runtime_->config().routes.size());
  return {true, {}, generation_};
}

// The admin listener (admin block) on the main loop. False, with the error logged, when it cannot start.
bool Server::start_admin(net::asio::io_context& main_io) {
  const auto& settings = runtime_->config().admin;
  if (!settings.enabled) return true;
  try {
    admin_ = std::make_unique<admin::AdminListener>(main_io, settings, static_cast<admin::Backend&>(*this));
    admin_->start();
  } catch (const config::ConfigError& e) {
    spdlog::error("{}", e.what());
    return false;
  } catch (const std::system_error& e) {
    spdlog::error("cannot listen: admin {}: {}", settings.address, e.what());
    return false;
  }
  return true;
}

void Server::apply_resumption_settings() {
  const auto& settings = runtime_->config().tls;
  resumption_->session_cache.configure(
      settings.session_resumption == config::SessionResumption::cache ? settings.session_cache_size : 0);
  resumption_->ticket_keys.configure(runtime_->file_ticket_keys(), settings.ticket_key_rotation);
  if (runtime_->file_ticket_keys()) {
    spdlog::info("session ticket keys: {} key(s) from {}", runtime_->file_ticket_keys()->size(),
                 settings.ticket_keys_file);
  }
  schedule_ticket_rotation();
}

void Server::apply_operations_settings() {
  inventory_.set_max_entries(runtime_->config().inventory.max_entries);
  if (expiry_) expiry_->configure(alerts::configured_certificates(*runtime_), runtime_->config().alerts);
}

void Server::schedule_ticket_rotation() {
  const auto due = resumption_->ticket_keys.next_rotation();
  if (due == tls::TicketKeys::Clock::time_point::max()) {
    rotation_timer_->cancel();  // keys from a file rotate when the file changes (and SIGHUP)
    return;
  }
  rotation_timer_->expires_at(due);
  rotation_timer_->async_wait([this](const error_code& ec) {
    if (ec) return;  // re-armed by a reload
    resumption_->ticket_keys.rotate_if_due(tls::TicketKeys::Clock::now());
    spdlog::debug("session ticket key rotated");
    schedule_ticket_rotation();
  });
}

void Server::shut_down(net::asio::io_context& main_io) {
  const auto timeout = runtime_->config().timeouts.shutdown;
  spdlog::info("shutting down: draining connections (up to {} ms)", timeout.count());
  for (auto& worker : workers_)
    worker->drain();
  auto deadline = std::make_shared<net::asio::steady_timer>(main_io, timeout);
  deadline->async_wait([this, deadline](const error_code& ec) {
    if (ec) return;
    spdlog::warn("shutdown timeout reached: closing the remaining connections");
    for (auto& worker : workers_)
      worker->stop();
  });
}

}  // namespace certgate::server
