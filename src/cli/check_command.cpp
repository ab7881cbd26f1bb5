// `certgate check`: explains what the gateway would decide for a certificate on a route, by running the
// gateway's own code (Runtime, Router, auth::authorize, add_upstream_headers) on it.
#include <boost/asio/co_spawn.hpp>
#include <boost/beast/http/fields.hpp>
#include <cstdio>
#include <iostream>

#include "auth/authorizer.h"
#include "auth/decision_report.h"
#include "cli/commands.h"
#include "config/config_error.h"
#include "config/loader.h"
#include "config/url.h"
#include "http/request_target.h"
#include "pki/pem.h"
#include "proxy/upstream_headers.h"
#include "revocation/service.h"
#include "server/server.h"

namespace certgate::cli {
namespace {

struct CheckOptions {
  std::string config;
  std::string route_url;
  std::string cert;
  std::string chain;
  std::string at;
  bool json = false;
};

// A usage or input problem: one line, exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::time_t parse_rfc3339(const std::string& text) {
  struct tm tm {};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) throw UsageError("--at must be an RFC 3339 time like 2027-01-31T12:00:00Z (got '" + text + "')");
  std::time_t t = timegm(&tm);
  if (*rest == '.') {
    ++rest;
    while (*rest >= '0' && *rest <= '9')
      ++rest;
  }
  int hours = 0, minutes = 0;
  if ((*rest == '+' || *rest == '-') && std::sscanf(rest + 1, "%2d:%2d", &hours, &minutes) == 2) {
    const std::time_t offset = (hours * 60 + minutes) * 60;
    t += *rest == '+' ? -offset : offset;
  } else if (*rest != 'Z' && *rest != 'z') {
    throw UsageError("--at needs a time zone: Z or +hh:mm (got '" + text + "')");
  }
  return t;
}

const proxy::RouteRuntime& find_route(const runtime::Runtime& runtime, const std::string& url) {
  std::string reason;
  auto from = config::parse_from_url(url, reason);
  if (!from) throw UsageError("--route: " + reason);
  auto target = http::normalize_target(from->path_prefix);
  if (!target) throw UsageError("--route has an invalid path");
  for (const auto& listener : runtime.listeners()) {
    if (from->port && *from->port != listener.config->port) continue;
    if (const auto* route = listener.router.match(from->host, target->path)) return *route;
  }
  throw UsageError("no route of " + runtime.config().file + " serves " + url);
}

auth::PeerCertificate load_peer(const CheckOptions& options) {
  std::vector<pki::X509Ptr> certs;
  try {
    const auto data = pki::read_file(options.cert);
    if (data.find("-----BEGIN") != std::string::npos) {
      certs = pki::parse_certificates(data, options.cert);
    } else {
      certs.push_back(pki::parse_certificate_any(data, options.cert));
    }
    if (!options.chain.empty()) {
      for (auto& c : pki::parse_certificates(pki::read_file(options.chain), options.chain)) {
        certs.push_back(std::move(c));
      }
    }
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }
  pki::X509Ptr leaf = std::move(certs.front());
  pki::X509StackPtr intermediates(sk_X509_new_null());
  for (std::size_t i = 1; i < certs.size(); ++i) {
    if (X509_cmp(certs[i].get(), leaf.get()) == 0) continue;  // a chain file that repeats the leaf
    sk_X509_push(intermediates.get(), certs[i].release());
  }
  return auth::PeerCertificate(std::move(leaf), std::move(intermediates));
}

// `worker` (whose caches `peer` keeps using) and `revocation` belong to the caller.
auth::Decision run_authorize(const auth::RouteAccess& route, auth::PeerCertificate& peer,
                             auth::WorkerState& worker, revocation::Service& revocation) {
  net::asio::io_context io;
  auth::Decision decision;
  net::asio::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        decision = co_await auth::authorize({route, peer, worker});
      },
      net::asio::detached);
  io.run();
  revocation.stop();  // the fetch thread may still answer to `io`: it ends before `io` does
  return decision;
}

void print_text(const nlohmann::ordered_json& report) {
  std::printf("route:     %s (mtls: %s)\n", report["route"].get<std::string>().c_str(),
              report["mtls_mode"].get<std::string>().c_str());
  std::printf("decision:  %s (%d%s)\n", report["decision"].get<std::string>().c_str(),
              report["status"].get<int>(),
              report.contains("message") ? (" " + report["message"].get<std::string>()).c_str() : "");
  std::printf("reason:    %s\n", report["reason"].get<std::string>().c_str());
  if (!report["detail"].get<std::string>().empty()) {
    std::printf("detail:    %s\n", report["detail"].get<std::string>().c_str());
  }
  if (report.contains("identity_match")) {
    std::string who =
        report.contains("consumer") ? "consumer " + report["consumer"].get<std::string>() : "no consumer";
    if (report.contains("consumer_id")) who += " (id " + report["consumer_id"].get<std::string>() + ")";
    who += " via " + report["identity_match"].get<std::string>();
    if (report.contains("credential")) who += ", credential " + report["credential"].get<std::string>();
    std::string groups;
    for (const auto& g : report["groups"])
      groups += (groups.empty() ? "" : ", ") + g.get<std::string>();
    if (!groups.empty()) who += ", groups " + groups;
    if (report["anonymous"].get<bool>()) who += ", anonymous";
    std::printf("identity:  %s\n", who.c_str());
  }
  if (report.contains("policy_rule")) {
    std::printf("policy:    %s by rule %d (%s, %s)\n",
                report["decision"] == "accepted" ? "allowed" : "denied", report["policy_rule"].get<int>(),
                report["policy_action"].get<std::string>().c_str(),
                report["policy_rule_at"].get<std::string>().c_str());
  }
  std::printf("chain:\n");
  int depth = 0;
  for (const auto& subject : report["chain"])
    std::printf("  %d  %s\n", depth++, subject.get<std::string>().c_str());
  if (report["chain"].empty()) std::printf("  (none built)\n");
  std::printf("upstream headers:\n");
  const auto& headers = report["upstream_headers"];
  for (auto it = headers.begin(); it != headers.end(); ++it) {
    std::printf("  %s: %s\n", it.key().c_str(), it.value().get<std::string>().c_str());
  }
  if (report["upstream_headers"].empty()) std::printf("  (none)\n");
}

int run_check(const CheckOptions& options) {
  std::shared_ptr<const runtime::Runtime> runtime;
  try {
    runtime = server::load_runtime(options.config);
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "certgate: %s\n", e.what());
    return 2;
  }
  const auto& route = find_route(*runtime, options.route_url);
  // What a worker would own; declared before `peer`, which refers to the worker's caches.
  revocation::Service revocation;
  auth::WorkerState worker(revocation);
  auto peer = load_peer(options);
  if (!options.at.empty()) peer.set_verification_time(parse_rfc3339(options.at));
  const auto decision = run_authorize(route, peer, worker, revocation);

  boost::beast::http::fields headers;
  // As the first listener serving the route would add them (a generated JWT key is this run's own).
  const auto& cfg = runtime->config();
  proxy::ForwardingContext forwarding(runtime->jwt_keys(), cfg.jwt.issuer,
                                      route.config->port.value_or(cfg.listeners.front().port));
  if (decision.allow) proxy::add_upstream_headers(headers, *route.config, decision, peer, forwarding);
  nlohmann::ordered_json report;
  report["route"] = route.config->from;
  report["mtls_mode"] = config::to_string(route.config->mtls.mode);
  report.update(auth::decision_to_json(decision));
  report["upstream_headers"] = nlohmann::ordered_json::object();
  for (const auto& field : headers) {
    report["upstream_headers"][std::string(field.name_string())] = std::string(field.value());
  }
  if (options.json) {
    std::printf("%s\n", report.dump(2).c_str());
  } else {
    print_text(report);
  }
  return decision.allow ? 0 : 1;
}

}  // namespace

void add_check_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<CheckOptions>();
  auto* cmd = app.add_subcommand(
      "check",
      "Explain whether a client certificate would be accepted on a route (exit 0 accepted, 1 rejected)");
  cmd->add_option("-c,--config", options->config, "Config file (YAML)")->required();
  cmd->add_option("--route", options->route_url, "Request URL, e.g. https://app.example.com/path")
      ->required();
  cmd->add_option("--cert", options->cert, "Client certificate (PEM or DER; PEM may include the chain)")
      ->required();
  cmd->add_option("--chain", options->chain, "Intermediates the client would send (PEM)");
  cmd->add_option("--at", options->at, "Verify as of this RFC 3339 time instead of now");
  cmd->add_flag("--json", options->json, "Print the report as JSON");
  cmd->callback([options, &exit_code] {
    try {
      exit_code = run_check(*options);
    } catch (const UsageError& e) {
      std::fprintf(stderr, "certgate: %s\n", e.what());
      exit_code = 2;
    }
  });
}

}  // namespace certgate::cli
