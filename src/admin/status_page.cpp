#include "admin/status_page.h"

#include "admin/json_views.h"
#include "http/refusal_page.h"

namespace certgate::admin {
namespace {

using http::html_escape;  // one escaper for every page the gateway renders

constexpr std::string_view kStyle = R"(
body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:8px;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #ddd;vertical-align:top;overflow-wrap:break-word}
th{background:#f3f3f3;white-space:nowrap}
code{white-space:nowrap}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dt{font-weight:600}dd{margin:0}
.ok{background:#e3f5e1}.warn{background:#fff4cc}.crit{background:#fde0dc}.expired{background:#f7b9b0}
.empty{color:#777;font-style:italic}
code{font-size:.9em}
@media (max-width:600px){th,td{padding:3px;font-size:13px}}
)";

// The colour of a certificate's row: Cloudflare's warning thresholds (30 and 14 days).
std::string_view expiry_class(std::int64_t days_left) {
  if (days_left < 0) return "expired";
  if (days_left < 14) return "crit";
  if (days_left < 30) return "warn";
  return "ok";
}

class Page {
 public:
  Page& text(std::string_view t) {
    out_ += html_escape(t);
    return *this;
  }
  Page& raw(std::string_view html) {
    out_ += html;
    return *this;
  }
  Page& cell(std::string_view t) { return raw("<td>").text(t).raw("</td>"); }
  Page& head(std::initializer_list<std::string_view> names) {
    raw("<div class=\"scroll\"><table><thead><tr>");
    for (const auto name : names)
      raw("<th>").text(name).raw("</th>");
    return raw("</tr></thead><tbody>");
  }
  Page& end_table(bool empty, std::size_t columns, std::string_view what) {
    if (empty) {
      raw("<tr><td class=\"empty\" colspan=\"").raw(std::to_string(columns)).raw("\">");
      text(what).raw("</td></tr>");
    }
    return raw("</tbody></table></div>\n");
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

void status_section(Page& p, const StatusInfo& s) {
  p.raw("<section id=\"status\"><h2>Status</h2><dl>");
  auto row = [&](std::string_view k, const std::string& v) {
    p.raw("<dt>").text(k).raw("</dt><dd>").text(v).raw("</dd>");
  };
  row("version", s.version);
  row("uptime", std::to_string(s.uptime_seconds) + " s");
  row("config generation", std::to_string(s.generation));
  row("config source", s.config_file);
  row("loaded at", utc_text(s.loaded_at));
  row("workers", std::to_string(s.workers));
  row("open connections", std::to_string(s.open_connections));
  p.raw("</dl></section>\n");
}

void routes_section(Page& p, const std::vector<RouteInfo>& routes) {
  p.raw("<section id=\"routes\"><h2>Routes</h2>").head({"from", "to", "mTLS", "policy rules"});
  for (const auto& r : routes) {
    p.raw("<tr class=\"route\">")
        .cell(r.from)
        .cell(r.to)
        .cell(r.mtls_mode)
        .cell(std::to_string(r.policy_rules));
    p.raw("</tr>");
  }
  p.end_table(routes.empty(), 4, "no routes").raw("</section>\n");
}

void certificates_section(Page& p, const std::vector<CertificateInfo>& certs) {
  p.raw("<section id=\"certificates\"><h2>Certificates</h2>")
      .head({"kind", "subject", "not after", "days left", "used by"});
  for (const auto& c : certs) {
    p.raw("<tr class=\"certificate ").raw(expiry_class(c.days_left)).raw("\" data-days-left=\"");
    p.raw(std::to_string(c.days_left)).raw("\">");
    p.cell(c.kind)
        .cell(c.subject)
        .cell(utc_text(c.not_after))
        .cell(std::to_string(c.days_left))
        .cell(c.used_by);
    p.raw("</tr>");
  }
  p.end_table(certs.empty(), 5, "no certificates").raw("</section>\n");
}

void refusals_section(Page& p, const std::vector<runtime::Refusal>& refusals) {
  p.raw("<section id=\"refusals\"><h2>Recent refusals</h2>")
      .head({"time", "reason", "status", "route", "host", "client", "certificate subject"});
  for (const auto& r : refusals) {
    const auto t = std::chrono::duration_cast<std::chrono::seconds>(r.time.time_since_epoch()).count();
    p.raw("<tr class=\"refusal\">").cell(utc_text(t)).raw("<td><code class=\"reason\">");
    p.text(to_string(r.reason)).raw("</code></td>");
    p.cell(r.status ? std::to_string(r.status) : "")
        .cell(r.route)
        .cell(r.host)
        .cell(r.client)
        .cell(r.subject);
    p.raw("</tr>");
  }
  p.end_table(refusals.empty(), 7, "no refusals").raw("</section>\n");
}

void clients_section(Page& p, const std::vector<ClientInfo>& clients) {
  p.raw("<section id=\"clients\"><h2>Client certificates</h2>")
      .head({"subject", "issuer", "not after", "last seen", "count", "last route", "last reason"});
  for (const auto& c : clients) {
    p.raw("<tr class=\"client\">").cell(c.subject).cell(c.issuer).cell(utc_text(c.not_after));
    p.cell(utc_text(c.last_seen)).cell(std::to_string(c.count)).cell(c.last_route).cell(c.last_reason);
    p.raw("</tr>");
  }
  p.end_table(clients.empty(), 7, "no client certificates recorded").raw("</section>\n");
}

}  // namespace

std::string render_status_page(const StatusPageData& data) {
  Page p;
  p.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
  p.raw("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
  p.raw("<title>certgate status</title><style>").raw(kStyle).raw("</style></head><body>\n");
  p.raw("<h1>certgate ").text(data.status.version).raw("</h1>\n");
  status_section(p, data.status);
  routes_section(p, data.routes);
  certificates_section(p, data.certificates);
  refusals_section(p, data.refusals);
  clients_section(p, data.clients);
  p.raw("</body></html>\n");
  return p.take();
}

}  // namespace certgate::admin
