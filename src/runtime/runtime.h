// One config generation compiled into what the data path uses: trust bundles, TLS contexts, routing
// tables and resolved upstreams. Immutable once built; connections hold a shared_ptr to the
// generation they started on, so a reload never changes the rules under an in-flight request.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "auth/identity.h"
#include "config/config.h"
#include "jwt/key_ring.h"
#include "proxy/route.h"
#include "proxy/router.h"
#include "tls/resumption_state.h"
#include "tls/server_tls.h"

namespace certgate::runtime {

struct ListenerRuntime {
  const config::Listener* config = nullptr;
  std::unique_ptr<tls::ServerTls> tls;
  proxy::Router router;
  // The host whose routes serve clients that send no SNI ("" when none is configured or implied).
  std::string no_sni_host;
};

class Runtime {
 public:
  // Throws config::ConfigError ("file:line: reason") for anything the YAML checks could not see:
  // unreadable certificates, keys that don't match, CAs without CA:TRUE, unresolvable upstreams.
  // `resumption`: the process's ticket keys and session cache, which outlive config generations; null: new
  // (validate-config). `previous`: the generation being replaced on reload (its JWT keys carry over or
  // rotate).
  static std::shared_ptr<const Runtime> build(config::Config config,
                                              std::shared_ptr<tls::ResumptionState> resumption = nullptr,
                                              const Runtime* previous = nullptr);

  const config::Config& config() const { return config_; }
  // The keys of tls.ticket_keys_file, read when this generation was built; nullopt without a file.
  const std::optional<std::vector<tls::TicketKey>>& file_ticket_keys() const { return file_ticket_keys_; }
  // The JWT signing keys; null when no route asks for assertions and there is no `jwt` block.
  const jwt::KeyRing* jwt_keys() const { return jwt_keys_.get(); }
  // Configured header names that only the gateway may send upstream (escaped-PEM names of all routes,
  // the trusted-input header): stripped from every request like the built-in ones.
  std::span<const std::string_view> extra_gateway_headers() const { return extra_gateway_headers_; }
  const std::deque<ListenerRuntime>& listeners() const { return listeners_; }
  // Every trust bundle (client_ca and the routes' own), once per source.
  using BundleList = std::vector<std::pair<std::string, std::shared_ptr<const pki::TrustBundle>>>;
  const BundleList& trust_bundles() const { return bundles_; }
  const std::deque<proxy::RouteRuntime>& routes() const { return routes_; }
  // The upstream sets of the http:// and https:// routes (for the workers' Balancers).
  std::vector<const proxy::UpstreamSet*> upstream_sets() const;
  // The metrics label of each route slot (RouteRuntime::metrics_slot): slot 0 is "" (no route), then every
  // route `from` this generation or an earlier one has used, so a slot keeps its label across reloads.
  const std::vector<std::string>& route_labels() const { return route_labels_; }
  // Every CRL file the routes use, for the watcher (revocation::Service::watch).
  const std::vector<std::shared_ptr<revocation::CrlFile>>& crl_files() const { return crl_files_; }

 private:
  Runtime() = default;
  std::shared_ptr<const pki::TrustBundle> bundle_for(const config::CaSource& source);
  void load_ticket_key_file();
  std::shared_ptr<revocation::CrlFile> crl_file_for(const config::CrlFileSource& source,
                                                    const std::shared_ptr<const pki::TrustBundle>& bundle);
  void compile_routes();
  proxy::UpstreamSet compile_upstreams(const config::Route& route);
  void compile_listeners();
  void compile_jwt_keys(const Runtime* previous);
  void collect_gateway_headers();
  void assign_metric_slots(const Runtime* previous);

  config::Config config_;
  std::shared_ptr<tls::ResumptionState> resumption_;
  std::optional<std::vector<tls::TicketKey>> file_ticket_keys_;
  BundleList bundles_;  // by source: "file:<path>" or "inline:<pem>"
  std::unique_ptr<const auth::ConsumerDirectory> consumers_;
  std::vector<std::shared_ptr<revocation::CrlFile>> crl_files_;  // one per (file, trust bundle)
  std::vector<std::string> crl_file_keys_;                       // parallel to crl_files_
  std::deque<proxy::RouteRuntime> routes_;
  std::deque<ListenerRuntime> listeners_;
  std::shared_ptr<const jwt::KeyRing> jwt_keys_;
  std::vector<std::string_view> extra_gateway_headers_;  // views into config_
  std::vector<std::string> route_labels_;
};

}  // namespace certgate::runtime
