#include "http/error_response.h"
#include "common/text.h"
#include "http/refusal_page.h"
#include "http/request_id.h"

#include <boost/beast/core/string.hpp>
#include <charconv>
#include <nlohmann/json.hpp>
#include <string>

namespace certgate::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

double parse_q(std::string_view params) {
  double q = 1.0;
  while (!params.empty()) {
    const auto semi = params.find(';');
    auto param = trim_ows(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
      std::string value(param.substr(2));
      try {
        q = std::stod(value);
      } catch (const std::exception&) {
        q = 0;
      }
    }
  }
  return q;
}

// The quality the Accept header gives `type/subtype`, from its most specific matching range.
double quality_of(std::string_view accept, std::string_view type, std::string_view subtype) {
  int best_specificity = -1;
  double best_q = 0;
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    auto item = trim_ows(accept.substr(0, comma));
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    const auto semi = item.find(';');
    const auto range = trim_ows(item.substr(0, semi));
    const auto params = semi == std::string_view::npos ? std::string_view() : item.substr(semi + 1);
    const auto slash = range.find('/');
    if (slash == std::string_view::npos) continue;
    const auto rtype = range.substr(0, slash);
    const auto rsub = range.substr(slash + 1);
    int specificity = -1;
    if (beast::iequals(rtype, type) && beast::iequals(rsub, subtype)) {
      specificity = 2;
    } else if (beast::iequals(rtype, type) && rsub == "*") {
      specificity = 1;
    } else if (rtype == "*" && rsub == "*") {
      specificity = 0;
    }
    if (specificity > best_specificity) {
      best_specificity = specificity;
      best_q = parse_q(params);
    }
  }
  return best_q;
}

}  // namespace

bool prefers_html(std::string_view accept) {
  if (accept.empty()) return false;
  return quality_of(accept, "text", "html") > quality_of(accept, "application", "json");
}

StringResponse make_error_response(unsigned status, std::string_view message, bool html, bool keep_alive,
                                   std::string_view request_id, RefusalKind kind) {
  StringResponse res;
  res.version(11);
  res.result(status);  // any status, 495 too (int_to_status knows only the registered ones)
  res.reason(reason_phrase(status));
  if (html) {
    res.set(bhttp::field::content_type, "text/html; charset=utf-8");
    res.body() = refusal_page(status, kind, message, request_id);
  } else {
    res.set(bhttp::field::content_type, "application/json");
    nlohmann::json body{{"message", message}};
    if (!request_id.empty()) body["request_id"] = request_id;
    res.body() = body.dump() + "\n";
  }
  if (!request_id.empty()) res.set(kRequestIdHeader, request_id);
  res.set(bhttp::field::cache_control, "no-store");
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

std::string_view default_message(unsigned status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 421:
      return "Misdirected Request";
    case 431:
      return "Request Header Fields Too Large";
    case 502:
      return "An invalid response was received from the upstream server";
    case 503:
      return "Service Unavailable";
    case 504:
      return "The upstream server is timing out";
    default:
      return "Error";
  }
}

}  // namespace certgate::http
