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

// CGI, WSGI, Rack and PHP read '_' as '-': X_Client_Cert_Verify is X-Client-Cert-Verify to them.
TEST(GatewayHeaders, UnderscoreSpellingsAreTheSameHeader) {
  for (const char* name : {"X_Client_Cert_Verify", "X-Client_Cert-Subject-DN", "x_consumer_username",
                           "X_Forwarded_Client_Cert", "Ssl_Client_Cert", "Cf_Client_Cert_Sha256",
                           "X_Certgate_Jwt_Assertion", "X_Credential_Identifier", "X_Anonymous_Consumer"}) {
    EXPECT_TRUE(is_gateway_header(name)) << name;
    EXPECT_TRUE(is_underscore_lookalike(name)) << name;
  }
  for (const char* name : {"X_Forwarded_For", "X_Forwarded_Proto", "X_Forwarded_Host", "X_Real_IP",
                           "Transfer_Encoding", "Content_Length", "Keep_Alive", "Proxy_Connection"}) {
    EXPECT_FALSE(is_gateway_header(name)) << name;
    EXPECT_TRUE(is_underscore_lookalike(name)) << name;
  }
  EXPECT_TRUE(is_gateway_header("Ssl-Client-Cert"));  // what nginx setups call $ssl_client_escaped_cert
  const std::string_view also[] = {"X-Lb-Cert"};
  EXPECT_TRUE(is_underscore_lookalike("x_lb_cert", also));
  EXPECT_FALSE(is_underscore_lookalike("X-Lb-Cert", also));  // no '_': handled as a gateway header
  EXPECT_FALSE(is_underscore_lookalike("X_App_Token"));
  EXPECT_FALSE(is_underscore_lookalike("X-Forwarded-For"));
}

namespace {

std::vector<std::string> names_left(const Fields& f) {
  std::vector<std::string> left;
  for (const auto& field : f)
    left.emplace_back(field.name_string());
  return left;
}

Fields underscore_fields() {
  Fields f;
  f.insert("X_Client_Cert_Verify", "SUCCESS");
  f.insert("X_Consumer_Username", "admin");
  f.insert("X_Forwarded_For", "203.0.113.9");
  f.insert("X_Real_IP", "203.0.113.9");
  f.insert("X_App_Token", "t");
  f.insert("Accept", "*/*");
  return f;
}

}  // namespace

TEST(StripRequestHeaders, DropsEveryUnderscoreNameByDefault) {
  auto f = underscore_fields();
  strip_request_headers(f);
  EXPECT_EQ(names_left(f), (std::vector<std::string>{"Accept"}));
}

TEST(StripRequestHeaders, AllowKeepsUnderscoreNamesButNeverLookalikes) {
  auto f = underscore_fields();
  strip_request_headers(f, {.drop_underscores = false});
  EXPECT_EQ(names_left(f), (std::vector<std::string>{"X_App_Token", "Accept"}));
}

TEST(StripRequestHeaders, ClientAddressHeadersOnlyFromTrustedProxies) {
  Fields f;
  f.insert("Forwarded", "for=203.0.113.9");
  f.insert("x-real-ip", "203.0.113.9");
  f.insert("Accept", "*/*");
  auto trusted = f;
  strip_request_headers(f);
  EXPECT_EQ(names_left(f), (std::vector<std::string>{"Accept"}));
  strip_request_headers(trusted, {.trusted_proxy = true});
  EXPECT_EQ(names_left(trusted), (std::vector<std::string>{"Forwarded", "x-real-ip", "Accept"}));
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
  EXPECT_EQ(f["X-Real-IP"], "192.0.2.7");
}

TEST(ForwardedHeaders, KeepsATrustedProxysRealIp) {
  Fields f;
  f.insert("X-Real-IP", "203.0.113.9");  // survived strip_request_headers: from a trusted proxy
  set_forwarded_headers(f, "10.0.0.1", "app.example");
  EXPECT_EQ(f["X-Real-IP"], "203.0.113.9");
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
