// Refusal kinds, `responses:`, the HTML refusal pages and X-Request-Id.
#include <gtest/gtest.h>

#include <set>

#include "common/refusal_kind.h"
#include "config_text_test_support.h"
#include "http/error_response.h"
#include "http/refusal_page.h"
#include "http/request_id.h"

using namespace certgate;

namespace {

class ResponsesConfigTest : public config::testing::ConfigTextTest {
 protected:
  void SetUp() override { make_dir("responses"); }
};

constexpr const char* kResponsesBase = R"(listeners:
  - address: 127.0.0.1:8443
    certificates:
      - cert_file: c.pem
        key_file: k.pem
client_ca_file: ca.pem
)";

}  // namespace

TEST(RefusalKind, MapsEveryCertificateReason) {
  EXPECT_EQ(refusal_kind(Reason::no_certificate), RefusalKind::no_certificate);
  for (auto r : {Reason::untrusted_issuer, Reason::expired, Reason::not_yet_valid, Reason::revoked,
                 Reason::revocation_unknown, Reason::bad_purpose, Reason::depth_exceeded, Reason::ca_as_leaf,
                 Reason::bad_signature, Reason::bad_signature_algorithm, Reason::weak_key,
                 Reason::invalid_certificate, Reason::consumer_not_found}) {
    EXPECT_EQ(refusal_kind(r), RefusalKind::invalid_certificate) << to_string(r);
  }
  EXPECT_EQ(refusal_kind(Reason::policy_denied), RefusalKind::forbidden);
  EXPECT_EQ(refusal_kind(Reason::websocket_not_allowed), RefusalKind::forbidden);
  for (auto r : {Reason::allowed, Reason::unknown_host, Reason::no_route, Reason::misdirected_request,
                 Reason::bad_request, Reason::upstream_unavailable, Reason::upstream_timeout,
                 Reason::request_timeout, Reason::body_too_large, Reason::upstream_tls_failed}) {
    EXPECT_EQ(refusal_kind(r), RefusalKind::none) << to_string(r);
  }
}

TEST(RefusalKind, NamesRoundTrip) {
  for (auto kind : kConfigurableRefusalKinds)
    EXPECT_EQ(refusal_kind_from_name(to_string(kind)), kind);
  EXPECT_FALSE(refusal_kind_from_name("none"));
  EXPECT_FALSE(refusal_kind_from_name("Forbidden"));
}

TEST_F(ResponsesConfigTest, GlobalAndRouteStatuses) {
  auto cfg = load(std::string(kResponsesBase) + R"(responses:
  no_certificate: { status: 496 }
  invalid_certificate: { status: 495 }
routes:
  - from: https://a.test
    to: echo://
  - from: https://b.test
    to: echo://
    responses:
      no_certificate: { status: 401 }
      forbidden: { status: 404 }
)");
  EXPECT_EQ(cfg.responses.status_for(RefusalKind::no_certificate, 401), 496u);
  EXPECT_EQ(cfg.responses.status_for(RefusalKind::forbidden, 403), 403u);
  EXPECT_EQ(cfg.responses.status_for(RefusalKind::none, 404), 404u);
  const auto& a = cfg.routes[0].responses;
  EXPECT_EQ(a.status_for(RefusalKind::invalid_certificate, 401), 495u);
  const auto& b = cfg.routes[1].responses;
  EXPECT_EQ(b.status_for(RefusalKind::no_certificate, 401), 401u);
  EXPECT_EQ(b.status_for(RefusalKind::invalid_certificate, 401), 495u);  // from the global block
  EXPECT_EQ(b.status_for(RefusalKind::forbidden, 403), 404u);
}

TEST_F(ResponsesConfigTest, RejectsBadStatusesAndKinds) {
  const std::string routes = "routes:\n  - from: https://a.test\n    to: echo://\n";
  auto err = error(std::string(kResponsesBase) + "responses:\n  no_certificate:\n    status: 302\n" + routes);
  EXPECT_NE(err.find("certgate.yaml:9:"), std::string::npos) << err;
  EXPECT_NE(err.find("responses.no_certificate.status must be a whole number from 400 to 599"),
            std::string::npos)
      << err;
  err = error(std::string(kResponsesBase) + "responses:\n  forbidden: { status: 600 }\n" + routes);
  EXPECT_NE(err.find("400 to 599"), std::string::npos) << err;
  err = error(std::string(kResponsesBase) + "responses:\n  no_cert: { status: 495 }\n" + routes);
  EXPECT_NE(err.find("certgate.yaml:8:"), std::string::npos) << err;
  EXPECT_NE(err.find("no_cert"), std::string::npos) << err;
  err = error(std::string(kResponsesBase) + "responses:\n  forbidden: { code: 495 }\n" + routes);
  EXPECT_NE(err.find("code"), std::string::npos) << err;
  err = error(std::string(kResponsesBase) + "responses:\n  forbidden: {}\n" + routes);
  EXPECT_NE(err.find("needs 'status'"), std::string::npos) << err;
}

TEST(RefusalPage, EscapesEverything) {
  EXPECT_EQ(http::html_escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  const auto page = http::refusal_page(404, RefusalKind::none, "<script>alert(1)</script>", "<id\"&>");
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;id&quot;&amp;&gt;"), std::string::npos);
}

TEST(RefusalPage, GivesAdviceAndTheIdButNoReason) {
  const auto page =
      http::refusal_page(495, RefusalKind::no_certificate, "No required TLS certificate was sent",
                         "0123456789abcdef0123456789abcdef");
  EXPECT_NE(page.find("Install the certificate your organisation gave you"), std::string::npos);
  EXPECT_NE(page.find("restart the browser"), std::string::npos);
  EXPECT_NE(page.find(">0123456789abcdef0123456789abcdef</span>"), std::string::npos);
  EXPECT_NE(page.find("495 SSL Certificate Error"), std::string::npos);
  EXPECT_NE(page.find("name=\"viewport\""), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("no_certificate"), std::string::npos);
  const auto forbidden = http::refusal_page(403, RefusalKind::forbidden, "Forbidden", "x");
  EXPECT_NE(forbidden.find("Pick another certificate"), std::string::npos);
  EXPECT_EQ(forbidden.find("policy"), std::string::npos);
}

TEST(RefusalPage, ReasonPhrases) {
  EXPECT_EQ(http::reason_phrase(495), "SSL Certificate Error");
  EXPECT_EQ(http::reason_phrase(496), "SSL Certificate Required");
  EXPECT_EQ(http::reason_phrase(403), "Forbidden");
  EXPECT_EQ(http::reason_phrase(460), "Client Error");
  EXPECT_EQ(http::reason_phrase(560), "Server Error");
}

TEST(ErrorResponse, CarriesTheRequestIdAndAnyStatus) {
  auto res = http::make_error_response(495, "TLS certificate failed verification", false, true, "abc",
                                       RefusalKind::invalid_certificate);
  EXPECT_EQ(res.result_int(), 495u);
  EXPECT_EQ(res.reason(), "SSL Certificate Error");
  EXPECT_EQ(res["X-Request-Id"], "abc");
  EXPECT_EQ(res.body(), "{\"message\":\"TLS certificate failed verification\",\"request_id\":\"abc\"}\n");
  auto html = http::make_error_response(495, "m", true, false, "abc", RefusalKind::invalid_certificate);
  EXPECT_NE(html.body().find("Your certificate was not accepted"), std::string::npos);
}

TEST(RequestId, GeneratedIdsAreHexAndDistinct) {
  http::RequestIdGenerator generator;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = generator.next();
    ASSERT_EQ(id.size(), 32u);
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
  // Two workers seeded from RAND_bytes do not produce the same sequence.
  http::RequestIdGenerator other;
  EXPECT_EQ(seen.count(other.next()), 0u);
}

TEST(RequestId, KeepsOnlyATrustedSaneValue) {
  http::RequestIdGenerator generator(1, 2, 3, 4);
  EXPECT_EQ(http::choose_request_id("lb-42", true, generator), "lb-42");
  EXPECT_NE(http::choose_request_id("lb-42", false, generator), "lb-42");
  EXPECT_NE(http::choose_request_id("", true, generator), "");
  EXPECT_NE(http::choose_request_id("has space", true, generator), "has space");
  EXPECT_NE(http::choose_request_id("tab\there", true, generator), "tab\there");
  EXPECT_NE(http::choose_request_id("\xc3\xa9t\xc3\xa9", true, generator), "\xc3\xa9t\xc3\xa9");
  const std::string longest(http::kMaxRequestIdLength, 'a');
  EXPECT_EQ(http::choose_request_id(longest, true, generator), longest);
  EXPECT_EQ(http::choose_request_id(longest + "a", true, generator).size(), 32u);
}
