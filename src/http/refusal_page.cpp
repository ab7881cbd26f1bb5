#include "http/refusal_page.h"

#include <boost/beast/http/status.hpp>

namespace certgate::http {
namespace {

namespace bhttp = boost::beast::http;

// What a page says for one kind. Plain text (escaped when written); `steps` ends with an empty entry.
struct PageText {
  std::string_view heading;
  std::string_view what_happened;
  std::string_view steps[4];
};

constexpr std::string_view kPickAnother =
    "Pick another certificate. Browsers remember the certificate you chose for a site: in Chrome and "
    "Edge, close every browser window (or restart the browser) to clear the selected certificate, in "
    "Firefox clear it under Settings, Privacy & Security, Certificates; then open this page again and "
    "choose another one.";

constexpr std::string_view kContact =
    "If this keeps happening, contact the operator of this site and give them the request id below.";

const PageText& text_for(RefusalKind kind) {
  static const PageText kNoCertificate{
      "A certificate is needed",
      "This site only lets in people whose browser presents a certificate from their organisation. "
      "Your browser did not send one.",
      {"Install the certificate your organisation gave you (often a .p12 or .pfx file) in your browser "
       "or operating system, then open this page again.",
       "If you have one but chose none when the browser asked, or it did not ask: restart the browser "
       "(Chrome and Edge remember that choice until they restart) or clear the selected certificate, "
       "then open this page again.",
       kContact,
       {}}};
  static const PageText kInvalid{
      "Your certificate was not accepted",
      "Your browser presented a certificate, but this site could not accept it.",
      {kPickAnother,
       "Install a current certificate from your organisation, then open this page again.",
       kContact,
       {}}};
  static const PageText kForbidden{
      "Access is not allowed",
      "Your certificate was accepted, but it does not give access to this page.",
      {kPickAnother,
       "To ask for access, contact the operator of this site and give them the request id below.",
       {},
       {}}};
  static const PageText kOther{
      {},
      {},
      {"If this keeps happening, contact the operator of this site and give them the request id below.",
       {},
       {},
       {}}};
  switch (kind) {
    case RefusalKind::no_certificate:
      return kNoCertificate;
    case RefusalKind::invalid_certificate:
      return kInvalid;
    case RefusalKind::forbidden:
      return kForbidden;
    case RefusalKind::none:
      break;
  }
  return kOther;
}

constexpr std::string_view kStyle =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;padding:1rem;"
    "background:#f4f4f5;color:#18181b;line-height:1.5}"
    "main{max-width:36rem;margin:2rem auto;background:#fff;border-radius:.5rem;padding:1.25rem 1.5rem;"
    "box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    "h1{font-size:1.4rem;margin:0 0 .75rem}h2{font-size:1.05rem;margin:1.25rem 0 .25rem}"
    "ol{padding-left:1.25rem}li{margin:.4rem 0}"
    ".id{font-family:ui-monospace,monospace;word-break:break-all;background:#f4f4f5;padding:.1rem .3rem;"
    "border-radius:.25rem}.status{color:#52525b;font-size:.9rem}";

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string_view reason_phrase(unsigned status) {
  switch (status) {
    case 495:
      return "SSL Certificate Error";
    case 496:
      return "SSL Certificate Required";
    case 497:
      return "HTTP Request Sent to HTTPS Port";
    default:
      break;
  }
  const auto known = bhttp::int_to_status(status);
  if (known != bhttp::status::unknown) return bhttp::obsolete_reason(known);
  return status >= 500 ? "Server Error" : "Client Error";
}

std::string refusal_page(unsigned status, RefusalKind kind, std::string_view message,
                         std::string_view request_id) {
  const auto& text = text_for(kind);
  const std::string status_text = std::to_string(status) + " " + std::string(reason_phrase(status));
  const std::string heading = html_escape(text.heading.empty() ? message : text.heading);
  std::string page;
  page.reserve(3072);
  page +=
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"robots\" content=\"noindex\"><title>";
  page += html_escape(status_text) + "</title>\n<style>";
  page += kStyle;
  page += "</style></head>\n<body><main>\n<h1>" + heading + "</h1>\n";
  if (!text.what_happened.empty()) page += "<p>" + html_escape(text.what_happened) + "</p>\n";
  page += "<h2>What you can try</h2>\n<ol>\n";
  for (auto step : text.steps) {
    if (!step.empty()) page += "<li>" + html_escape(step) + "</li>\n";
  }
  page += "</ol>\n";
  if (!request_id.empty()) {
    page +=
        "<p>Request id: <span class=\"id\" id=\"request-id\">" + html_escape(request_id) + "</span></p>\n";
  }
  page += "<p class=\"status\">" + html_escape(status_text) + "</p>\n</main></body></html>\n";
  return page;
}

}  // namespace certgate::http
