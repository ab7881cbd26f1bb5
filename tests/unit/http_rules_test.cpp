#include <gtest/gtest.h>

#include "http/error_response.h"
#include "http/header_rules.h"

using namespace certgate::http;

TEST(GatewayHeaders, RecognizesEveryProtectedNameInAnyCase) {
  for (const char* name :
       {"X-Client-Cert-Verify", "x-client-cert-subject-dn", "X-CLIENT-CERT", "X-Consumer-ID",
        "x-consumer-groups", "X-Credential-Identifier", "x-anonymous-consumer", "Cf-Client-Cert-Der-Base64",
        "cf-client-cert-sha256", "X-Forwarded-Client-Cert", "X-Certgate-Jwt-Assertion"}) {
    EXPECT_TRUE(is_gateway_header(name)) << name;
  }
  for (const char* name : {"X-Client", "X-Consumer", "Authorization", "X-Forwarded-For", "Cookie"}) {
    EXPECT_FALSE(is_gateway_header(name)) << name;
  }
}

TEST(StripRequestHeaders, RemovesGatewayAndHopByHopHeaders) {
  Fields f;
  f.insert("X-Client-Cert-Verify", "SUCCESS");
  f.insert("x-client-cert-verify", "SUCCESS");
  f.insert("X-Consumer-Username", "admin");
  f.insert("Connection", "keep-alive, X-Secret");
  f.insert("X-Secret", "1");
  f.insert("Keep-Alive", "timeout=5");
  f.insert("TE", "trailers");
  f.insert("Upgrade", "websocket");
  f.insert("Transfer-Encoding", "chunked");
  f.insert("Accept", "*/*");
  f.insert("Authorization", "Bearer x");
  strip_request_headers(f);
  std::vector<std::string> left;
  for (const auto& field : f)
    left.emplace_back(field.name_string());
  EXPECT_EQ(left, (std::vector<std::string>{"Accept", "Authorization"}));
}

TEST(ForwardedHeaders, AppendsForAndReplacesProtoAndHost) {
  Fields f;
  f.insert("X-Forwarded-For", "10.0.0.1");
  f.insert("X-Forwarded-For", "10.0.0.2");
  f.insert("X-Forwarded-Proto", "http");
  f.insert("X-Forwarded-Host", "evil.example");
  set_forwarded_headers(f, "192.0.2.7", "app.example:8443");
  EXPECT_EQ(f["X-Forwarded-For"], "10.0.0.1, 10.0.0.2, 192.0.2.7");
  EXPECT_EQ(f["X-Forwarded-Proto"], "https");
  EXPECT_EQ(f["X-Forwarded-Host"], "app.example:8443");
  EXPECT_EQ(std::distance(f.equal_range("X-Forwarded-For").first, f.equal_range("X-Forwarded-For").second),
            1);
}

TEST(AcceptNegotiation, HtmlOnlyWhenRankedAboveJson) {
  EXPECT_TRUE(prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
  EXPECT_TRUE(prefers_html("text/html"));
  EXPECT_FALSE(prefers_html("*/*"));
  EXPECT_FALSE(prefers_html(""));
  EXPECT_FALSE(prefers_html("application/json"));
  EXPECT_FALSE(prefers_html("text/html;q=0.5, application/json"));
  EXPECT_TRUE(prefers_html("text/*, application/json;q=0.5"));
  EXPECT_FALSE(prefers_html("text/html;q=0"));
}

TEST(ErrorResponse, JsonBodyCarriesOnlyTheMessage) {
  auto res = make_error_response(401, "No required TLS certificate was sent", false, true);
  EXPECT_EQ(res.result_int(), 401u);
  EXPECT_EQ(res.body(), "{\"message\":\"No required TLS certificate was sent\"}\n");
  EXPECT_EQ(res[boost::beast::http::field::content_type], "application/json");
  EXPECT_TRUE(res.keep_alive());
}

TEST(ErrorResponse, HtmlIsEscaped) {
  auto res = make_error_response(403, "<script>", true, false);
  EXPECT_NE(res.body().find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(res.body().find("<script>"), std::string::npos);
  EXPECT_FALSE(res.keep_alive());
}
