#include "config/operations_loader.h"

namespace certgate::config {
namespace {

constexpr int kMaxInventoryEntries = 10000000;  // about 7 GB at 720 bytes an entry (docs/operations.md)

InventorySettings inventory_settings(const YamlReader& r, const YAML::Node& n) {
  r.expect_map(n, "inventory", {"max_entries"});
  InventorySettings s;
  if (auto v = n["max_entries"])
    s.max_entries = static_cast<std::size_t>(r.integer(v, "inventory.max_entries", 0, kMaxInventoryEntries));
  return s;
}

AlertSettings alert_settings(const YamlReader& r, const YAML::Node& n) {
  r.expect_map(n, "alerts", {"webhook_url", "webhook_ca_file", "webhook_timeout"});
  AlertSettings s;
  s.mark = r.mark(n);
  if (auto v = n["webhook_url"]) {
    s.webhook_url = parse_web_url(r.scalar(v, "alerts.webhook_url"));
    if (!s.webhook_url) r.fail(v, "alerts.webhook_url must be an http:// or https:// URL");
  }
  if (auto v = n["webhook_ca_file"]) {
    if (!s.webhook_url || !s.webhook_url->https)
      r.fail(v, "alerts.webhook_ca_file needs an https:// alerts.webhook_url");
    s.webhook_ca_file = r.readable_file(v, "alerts.webhook_ca_file");
  }
  if (auto v = n["webhook_timeout"]) {
    s.webhook_timeout = r.duration(v, "alerts.webhook_timeout");
    if (s.webhook_timeout.count() <= 0) r.fail(v, "alerts.webhook_timeout must be greater than zero");
  }
  return s;
}

}  // namespace

void load_operations_settings(const YamlReader& r, const YAML::Node& root, Config& cfg) {
  if (auto n = root["inventory"]) cfg.inventory = inventory_settings(r, n);
  if (auto n = root["alerts"]) cfg.alerts = alert_settings(r, n);
}

}  // namespace certgate::config
