#include "http/request_checks.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <utility>

using certgate::http::check_request_header;
using certgate::http::HeaderRules;
using certgate::http::RequestHeader;

namespace {

RequestHeader request(std::string_view target,
                      std::initializer_list<std::pair<const char*, const char*>> fields,
                      unsigned version = 11) {
  RequestHeader req;
  req.method(boost::beast::http::verb::get);
  req.target(target);
  req.version(version);
  for (const auto& [name, value] : fields)
    req.insert(name, value);
  return req;
}

// The refusal's status, or 0 when the header is accepted.
unsigned status_of(const RequestHeader& req, HeaderRules rules = {}) {
  const auto check = check_request_header(req, rules);
  return check.refusal ? check.refusal->status : 0;
}

}  // namespace

TEST(RequestChecks, AcceptsAnOrdinaryRequest) {
  const auto check = check_request_header(request("/x?y", {{"Host", "app.test:8443"}}), {});
  EXPECT_FALSE(check.refusal);
  EXPECT_EQ(check.address.host, "app.test:8443");
  EXPECT_EQ(check.address.origin_target, "/x?y");
}

TEST(RequestChecks, HostExactlyOnceOnHttp11) {
  EXPECT_EQ(status_of(request("/", {{"Host", "a.test"}, {"Host", "b.test"}})), 400u);
  EXPECT_EQ(status_of(request("/", {{"Host", "a.test"}, {"host", "a.test"}})), 400u);
  EXPECT_EQ(status_of(request("/", {})), 400u);
  EXPECT_EQ(status_of(request("/", {}, 10)), 0u);  // HTTP/1.0 may omit it
  EXPECT_EQ(status_of(request("/", {{"Host", ""}})), 400u);
  EXPECT_EQ(status_of(request("/", {{"Host", "a.test/x"}})), 400u);
  EXPECT_EQ(status_of(request("/", {{"Host", "[::1]:8443"}})), 0u);
}

TEST(RequestChecks, AbsoluteFormAuthorityIsTheHost) {
  auto check = check_request_header(request("https://App.test:8443/p?q", {{"Host", "app.test:8443"}}), {});
  EXPECT_FALSE(check.refusal);
  EXPECT_EQ(check.address.host, "App.test:8443");
  EXPECT_EQ(check.address.origin_target, "/p?q");
  check = check_request_header(request("http://app.test", {}, 10), {});
  EXPECT_FALSE(check.refusal);
  EXPECT_EQ(check.address.origin_target, "/");
  EXPECT_EQ(status_of(request("https://app.test/", {{"Host", "app.test"}})), 0u);
  EXPECT_EQ(status_of(request("https://other.test/", {{"Host", "app.test"}})), 400u);
  EXPECT_EQ(status_of(request("https://app.test:1/", {{"Host", "app.test:2"}})), 400u);
  EXPECT_EQ(status_of(request("https://u@app.test/", {{"Host", "app.test"}})), 400u);
  EXPECT_EQ(status_of(request("*", {{"Host", "app.test"}})), 400u);
  EXPECT_EQ(status_of(request("app.test:443", {{"Host", "app.test"}})), 400u);
}

TEST(RequestChecks, TransferEncodingOnlyALoneChunked) {
  EXPECT_EQ(status_of(request("/", {{"Host", "a"}, {"Transfer-Encoding", "chunked"}})), 0u);
  EXPECT_EQ(status_of(request("/", {{"Host", "a"}, {"Transfer-Encoding", "Chunked"}})), 0u);
  for (const char* te :
       {"chunked, identity", "xchunked", "gzip, chunked", "identity", "gzip", "chunked;x=1", "chunked,"}) {
    EXPECT_EQ(status_of(request("/", {{"Host", "a"}, {"Transfer-Encoding", te}})), 400u) << te;
  }
  EXPECT_EQ(status_of(request(
                "/", {{"Host", "a"}, {"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}})),
            400u);
  EXPECT_EQ(
      status_of(request("/", {{"Host", "a"}, {"Transfer-Encoding", "chunked"}, {"Content-Length", "3"}})),
      400u);
  EXPECT_EQ(status_of(request("/", {{"Host", "a"}, {"Transfer-Encoding", "chunked"}}, 10)), 400u);
}

TEST(RequestChecks, HeaderCountAndUnderscores) {
  auto req = request("/", {{"Host", "a"}, {"A", "1"}, {"B", "2"}});
  EXPECT_EQ(status_of(req, {.max_headers = 3}), 0u);
  EXPECT_EQ(status_of(req, {.max_headers = 2}), 431u);
  auto underscored = request("/", {{"Host", "a"}, {"X_Token", "1"}});
  EXPECT_EQ(status_of(underscored), 0u);
  EXPECT_EQ(status_of(underscored, {.reject_underscores = true}), 400u);
}
