#include "server/server.h"

#include <spdlog/spdlog.h>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>

#include "common/version.h"
#include "config/config_error.h"
#include "config/loader.h"
#include "config/referenced_files.h"
#include "log/error_log.h"
#include "revocation/service.h"
#include "server/systemd_notify.h"

namespace certgate::server {
namespace {

using net::error_code;

// Editors and `cp` write a file in several steps, and a certificate and its key change together: one
// reload once the files have been quiet this long.
constexpr auto kReloadDebounce = std::chrono::milliseconds(300);

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

// Empty when `next` listens where `running` does; else where the difference is, "file:line".
std::string listener_change(const config::Config& running, const config::Config& next) {
  for (std::size_t i = 0; i < next.listeners.size(); ++i) {
    const auto& l = next.listeners[i];
    if (i >= running.listeners.size() || l.host != running.listeners[i].host ||
        l.port != running.listeners[i].port)
      return l.mark.file + ":" + std::to_string(l.mark.line);
  }
  if (running.listeners.size() != next.listeners.size()) return next.file;
  return {};
}

// The admin listener is bound once, like the gateway's listeners: turning it on or off or moving it needs
// a restart. Its token and certificates follow a reload. Empty when the address stays.
std::string admin_change(const config::Config& running, const config::Config& next) {
  const auto& a = running.admin;
  const auto& b = next.admin;
  if (a.enabled == b.enabled && a.host == b.host && a.port == b.port) return {};
  return b.enabled ? b.mark.file + ":" + std::to_string(b.mark.line) : next.file;
}

std::string serving_status(const config::Config& cfg, uint64_t generation) {
  return fmt::format("serving {} route(s), config generation {}", cfg.routes.size(), generation);
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
  // Before any listener accepts: a client that sees the port open may at once change a file or send
  // SIGHUP, and neither may be lost (an unhandled SIGHUP would end the process). Both only act once the
  // main loop runs, after start-up. A change between reading the config above and the watch below is
  // not seen; no client can react to readiness that early.
  net::asio::signal_set signals(main_io_, SIGINT, SIGTERM, SIGHUP);
  watcher_ = std::make_unique<FileWatcher>(
      main_io_, kReloadDebounce, [this](const std::string& file) { reload("file changed: " + file); });
  watch_files();

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
  auto& main_io = main_io_;
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
  systemd::ready(serving_status(cfg, generation()));

  std::function<void(const error_code&, int)> on_signal = [&](const error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      reload("SIGHUP");
      signals.async_wait(on_signal);
    } else {
      if (admin_) admin_->stop();
      shut_down();
    }
  };
  signals.async_wait(on_signal);
  main_io.run();
  admin_.reset();
  watcher_.reset();
  rotation_timer_.reset();
  expiry_.reset();
  for (auto& worker : workers_)
    worker->join();
  refusals_.flush();
  revocation_.stop();  // before the workers' event loops are destroyed
  spdlog::info("certgate stopped");
  return 0;
}

admin::ReloadResult Server::reload(std::string_view trigger) {
  spdlog::info("{}: reloading {}", trigger, config_path_);
  systemd::reloading("reloading: " + std::string(trigger));
  // What is read from here on is what the new generation is built from; a change after this point
  // makes the watcher reload again.
  if (watcher_) watcher_->refresh();
  std::shared_ptr<const runtime::Runtime> next;
  std::shared_ptr<const admin::AdminAuth> admin_auth;
  std::vector<std::string> named;  // the new config's files, watched even when it does not load
  try {
    auto cfg = config::load_config_file(config_path_);
    named = config::referenced_files(cfg).reload;
    next = runtime::Runtime::build(std::move(cfg), resumption_, runtime_.get());
    if (admin_) admin_auth = std::make_shared<const admin::AdminAuth>(next->config().admin);
  } catch (const std::exception& e) {  // ConfigError: "file:line: reason"
    return reject_reload(e.what(), named);
  }
  if (auto where = listener_change(runtime_->config(), next->config()); !where.empty())
    return reject_reload(where + ": listener addresses changed; that needs a restart", named);
  if (auto where = admin_change(runtime_->config(), next->config()); !where.empty())
    return reject_reload(where + ": the admin listener's address changed; that needs a restart", named);
  runtime_ = next;
  if (admin_) admin_->use(std::move(admin_auth));
  loaded_at_ = std::chrono::system_clock::now();
  apply_resumption_settings();
  log::set_error_log_level(runtime_->config().logging.level);
  revocation_.watch(runtime_->crl_files());
  apply_operations_settings();
  for (auto& worker : workers_)
    worker->install(runtime_);
  const auto generation = generation_.fetch_add(1, std::memory_order_relaxed) + 1;
  reloads_ok_.fetch_add(1, std::memory_order_relaxed);
  watch_files();
  spdlog::info("reload done: config generation {}, {} route(s)", generation,
               runtime_->config().routes.size());
  systemd::ready(serving_status(runtime_->config(), generation));
  return {true, {}, generation};
}

admin::ReloadResult Server::reject_reload(std::string error, const std::vector<std::string>& named) {
  reloads_failed_.fetch_add(1, std::memory_order_relaxed);
  spdlog::error("reload rejected, the previous config keeps serving: {}", error);
  // Also the files the rejected config names: creating the certificate it misses fixes it.
  watch_files(named);
  systemd::ready(serving_status(runtime_->config(), generation()) + "; last reload failed: " + error);
  return {false, std::move(error), generation()};
}

// CRL files are left to the revocation service, which swaps them in place (see referenced_files.h).
void Server::watch_files(const std::vector<std::string>& also) {
  if (!watcher_) return;
  auto files = config::referenced_files(runtime_->config()).reload;
  files.insert(files.end(), also.begin(), also.end());
  watcher_->watch(files);
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

void Server::shut_down() {
  auto& main_io = main_io_;
  const auto timeout = runtime_->config().timeouts.shutdown;
  spdlog::info("shutting down: draining connections (up to {} ms)", timeout.count());
  systemd::stopping("draining connections");
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
