#include "admin/json_views.h"

#include <ctime>

#include "log/json_text.h"

namespace certgate::admin {
namespace {

// A tiny JSON object builder: fields in order, strings escaped by the access log's escaper.
class Object {
 public:
  Object& str(std::string_view key, std::string_view value) {
    start(key);
    log::append_json_string(out_, value);
    return *this;
  }
  Object& num(std::string_view key, std::int64_t value) {
    start(key);
    out_ += std::to_string(value);
    return *this;
  }
  Object& unum(std::string_view key, std::uint64_t value) {
    start(key);
    out_ += std::to_string(value);
    return *this;
  }
  Object& boolean(std::string_view key, bool value) {
    start(key);
    out_ += value ? "true" : "false";
    return *this;
  }
  Object& raw(std::string_view key, std::string_view json) {
    start(key);
    out_ += json;
    return *this;
  }
  std::string done() { return out_ + "}"; }

 private:
  void start(std::string_view key) {
    out_ += out_.size() > 1 ? "," : "";
    log::append_json_string(out_, key);
    out_ += ':';
  }
  std::string out_ = "{";
};

template <class T, class F>
std::string array(const std::vector<T>& items, F each) {
  std::string out = "[";
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += each(item);
  }
  return out + "]";
}

}  // namespace

std::string utc_text(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string status_json(const StatusInfo& s) {
  return Object()
             .str("version", s.version)
             .num("uptime_seconds", s.uptime_seconds)
             .unum("config_generation", s.generation)
             .str("config_source", s.config_file)
             .str("config_loaded_at", utc_text(s.loaded_at))
             .unum("workers", s.workers)
             .unum("open_connections", s.open_connections)
             .done() +
         "\n";
}

std::string routes_json(const std::vector<RouteInfo>& routes) {
  return Object()
             .raw("routes", array(routes,
                                  [](const RouteInfo& r) {
                                    return Object()
                                        .str("from", r.from)
                                        .str("to", r.to)
                                        .str("mtls", r.mtls_mode)
                                        .boolean("identity", !r.consumers.empty())
                                        .unum("policy_rules", r.policy_rules)
                                        .done();
                                  }))
             .done() +
         "\n";
}

std::string certificates_json(const std::vector<CertificateInfo>& certificates) {
  return Object()
             .raw("certificates", array(certificates,
                                        [](const CertificateInfo& c) {
                                          return Object()
                                              .str("kind", c.kind)
                                              .str("subject", c.subject)
                                              .str("issuer", c.issuer)
                                              .str("serial", c.serial)
                                              .str("file", c.file)
                                              .str("used_by", c.used_by)
                                              .str("not_after", utc_text(c.not_after))
                                              .num("days_left", c.days_left)
                                              .done();
                                        }))
             .done() +
         "\n";
}

std::string reload_json(const ReloadResult& r) {
  Object o;
  o.boolean("ok", r.ok);
  if (!r.ok) o.str("error", r.error);
  return o.unum("config_generation", r.generation).done() + "\n";
}

std::string error_json(std::string_view message) {
  return Object().str("error", message).done() + "\n";
}

}  // namespace certgate::admin
