// `certgate clients`: the client-certificate inventory of a running gateway, through its admin API
// (GET /clients?expiring_within=...), as a table or as the API's JSON.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "alerts/http_client.h"
#include "cli/commands.h"
#include "config/config_error.h"
#include "inventory/client_inventory.h"

namespace certgate::cli {
namespace {

struct ClientsOptions {
  std::string expiring_within;
  std::string config;
  std::string admin;
  std::string token_file;
  std::string ca_file;
  bool json = false;
};

// Where the admin API is and its token, from the options, else from the config file's `admin` block
// (read directly: this command needs only those two keys, not a config that compiles).
struct AdminTarget {
  std::string url;
  std::string token_file;
};

AdminTarget admin_target(const ClientsOptions& o) {
  AdminTarget t{o.admin, o.token_file};
  if (!o.config.empty() && (t.url.empty() || t.token_file.empty())) {
    const auto root = YAML::LoadFile(o.config);
    if (const auto admin = root["admin"]; admin && admin.IsMap()) {
      if (t.url.empty() && admin["address"]) t.url = admin["address"].as<std::string>();
      if (t.token_file.empty() && admin["token_file"]) {
        std::filesystem::path path(admin["token_file"].as<std::string>());
        if (path.is_relative()) path = std::filesystem::path(o.config).parent_path() / path;
        t.token_file = path.string();
      }
    }
  }
  if (!t.url.empty() && t.url.find("://") == std::string::npos) t.url = "http://" + t.url;
  return t;
}

std::string read_token(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read the token file " + file);
  std::stringstream text;
  text << in.rdbuf();
  auto token = text.str();
  const auto is_space = [](unsigned char c) { return std::isspace(c) != 0; };
  token.erase(std::find_if_not(token.rbegin(), token.rend(), is_space).base(), token.end());
  token.erase(token.begin(), std::find_if_not(token.begin(), token.end(), is_space));
  return token;
}

alerts::HttpResponse fetch(const alerts::HttpRequest& request) {
  net::asio::io_context io;
  alerts::HttpResponse response;
  net::asio::co_spawn(
      io, [&]() -> net::awaitable<void> { response = co_await alerts::http_request(request); },
      net::asio::detached);
  io.run();
  return response;
}

std::string cell(const nlohmann::json& row, const char* key) {
  const auto& v = row.contains(key) ? row.at(key) : nlohmann::json();
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

void print_table(const nlohmann::json& answer) {
  static constexpr std::pair<const char*, const char*> kColumns[] = {
      {"SUBJECT", "subject"},     {"ISSUER", "issuer"},
      {"NOT AFTER", "not_after"}, {"DAYS", "days_left"},
      {"COUNT", "count"},         {"LAST SEEN", "last_seen"},
      {"ROUTE", "last_route"},    {"CONSUMER", "last_consumer"},
      {"REASON", "last_reason"},  {"FINGERPRINT", "fingerprint"}};
  std::vector<std::vector<std::string>> lines;
  lines.emplace_back();
  for (const auto& [title, key] : kColumns)
    lines.back().push_back(title);
  for (const auto& row : answer.value("clients", nlohmann::json::array())) {
    lines.emplace_back();
    for (const auto& [title, key] : kColumns)
      lines.back().push_back(cell(row, key));
  }
  std::vector<std::size_t> width(std::size(kColumns), 0);
  for (const auto& line : lines)
    for (std::size_t i = 0; i < line.size(); ++i)
      width[i] = std::max(width[i], line[i].size());
  for (const auto& line : lines) {
    std::string out;
    for (std::size_t i = 0; i < line.size(); ++i) {
      out += line[i];
      if (i + 1 < line.size()) out += std::string(width[i] - line[i].size() + 2, ' ');
    }
    std::printf("%s\n", out.c_str());
  }
  std::printf("%zu of %s certificate(s) shown (inventory bound %s)\n", lines.size() - 1,
              cell(answer, "size").c_str(), cell(answer, "max_entries").c_str());
}

// The exit code (commands.h).
int run_clients(const ClientsOptions& o) {
  if (!o.expiring_within.empty() && !inventory::parse_expiring_within(o.expiring_within)) {
    std::fprintf(stderr, "certgate clients: --expiring-within: expected a duration like 30d, 12h or 90m\n");
    return 2;
  }
  AdminTarget target;
  try {
    target = admin_target(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "certgate clients: %s: %s\n", o.config.c_str(), e.what());
    return 2;
  }
  if (target.url.empty()) {
    std::fprintf(stderr,
                 "certgate clients: no admin API: give --admin URL, or --config with an admin block\n");
    return 2;
  }
  auto url = config::parse_web_url(target.url);
  if (!url) {
    std::fprintf(stderr, "certgate clients: --admin: not an http:// or https:// URL: %s\n",
                 target.url.c_str());
    return 2;
  }
  alerts::HttpRequest request;
  url->target = "/clients";
  if (!o.expiring_within.empty()) url->target += "?expiring_within=" + o.expiring_within;
  request.url = *url;
  request.timeout = std::chrono::seconds(10);
  try {
    if (!target.token_file.empty()) request.bearer_token = read_token(target.token_file);
    if (url->https) request.tls = alerts::make_client_tls(*url, o.ca_file, {"--ca-file", 0});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "certgate clients: %s\n", e.what());
    return 2;
  }
  const auto response = fetch(request);
  if (response.status == 0) {
    std::fprintf(stderr, "certgate clients: %s: %s\n", config::url_text(request.url).c_str(),
                 response.error.c_str());
    return 1;
  }
  if (response.status != 200) {
    std::fprintf(stderr, "certgate clients: %s: HTTP %u %s\n", config::url_text(request.url).c_str(),
                 response.status, response.body.substr(0, 200).c_str());
    return 1;
  }
  const auto answer = nlohmann::json::parse(response.body, nullptr, false);
  if (answer.is_discarded() || !answer.is_object()) {
    std::fprintf(stderr, "certgate clients: the admin API's answer is not a JSON object\n");
    return 1;
  }
  if (o.json) {
    std::printf("%s\n", answer.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    print_table(answer);
  }
  return 0;
}

}  // namespace

void add_clients_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("clients",
                                 "List the client certificates a running gateway has seen (its admin API)");
  auto o = std::make_shared<ClientsOptions>();
  cmd->add_option("--expiring-within", o->expiring_within,
                  "Only certificates that expire within this time (30d, 12h), soonest first");
  cmd->add_option("-c,--config", o->config, "Config file whose admin block gives the address and token file");
  cmd->add_option("--admin", o->admin, "Admin API URL, e.g. http://127.0.0.1:9901 (overrides the config)");
  cmd->add_option("--token-file", o->token_file,
                  "File holding the admin bearer token (overrides the config)");
  cmd->add_option("--ca-file", o->ca_file, "CA bundle to verify an https:// admin API (default: system CAs)");
  cmd->add_flag("--json", o->json, "Print the admin API's JSON instead of a table");
  cmd->callback([o, &exit_code] { exit_code = run_clients(*o); });
}

}  // namespace certgate::cli
