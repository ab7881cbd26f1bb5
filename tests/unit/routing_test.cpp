#include <gtest/gtest.h>

#include <deque>

#include "config/url.h"
#include "proxy/router.h"

using namespace certgate;

namespace {

struct Routes {
  std::deque<config::Route> configs;
  std::deque<proxy::RouteRuntime> runtimes;
  proxy::Router router;

  void add(const std::string& host, const std::string& prefix) {
    configs.push_back({});
    configs.back().host = host;
    configs.back().path_prefix = prefix;
    runtimes.push_back({});
    runtimes.back().config = &configs.back();
    router.add(&runtimes.back());
  }
  std::string match(const std::string& host, const std::string& path) {
    const auto* r = router.match(host, path);
    return r ? r->config->host + r->config->path_prefix : "none";
  }
};

}  // namespace

TEST(Router, LongestPrefixWinsOnSegmentBoundaries) {
  Routes r;
  r.add("app.test", "/");
  r.add("app.test", "/api");
  r.add("app.test", "/api/admin");
  EXPECT_EQ(r.match("app.test", "/"), "app.test/");
  EXPECT_EQ(r.match("app.test", "/api"), "app.test/api");
  EXPECT_EQ(r.match("app.test", "/api/x"), "app.test/api");
  EXPECT_EQ(r.match("app.test", "/apix"), "app.test/");
  EXPECT_EQ(r.match("app.test", "/api/admin/users"), "app.test/api/admin");
}

TEST(Router, ExactHostBeatsWildcard) {
  Routes r;
  r.add("*.example.test", "/");
  r.add("special.example.test", "/");
  EXPECT_EQ(r.match("special.example.test", "/"), "special.example.test/");
  EXPECT_EQ(r.match("other.example.test", "/"), "*.example.test/");
  EXPECT_EQ(r.match("a.b.example.test", "/"), "none");  // one label only
  EXPECT_EQ(r.match("example.test", "/"), "none");
  EXPECT_FALSE(r.router.knows_host("nowhere.test"));
}

TEST(Router, NoRouteForAnUnmatchedPrefix) {
  Routes r;
  r.add("app.test", "/only");
  EXPECT_EQ(r.match("app.test", "/other"), "none");
  EXPECT_TRUE(r.router.knows_host("app.test"));
}

TEST(Urls, FromAndTo) {
  std::string reason;
  auto from = config::parse_from_url("https://App.Example.TEST:8443/api", reason);
  ASSERT_TRUE(from);
  EXPECT_EQ(from->host, "app.example.test");
  EXPECT_EQ(from->port, 8443);
  EXPECT_EQ(from->path_prefix, "/api");
  EXPECT_FALSE(config::parse_from_url("http://x", reason));
  EXPECT_FALSE(config::parse_from_url("https://a.*.b", reason));
  EXPECT_FALSE(config::parse_from_url("https://x/y?q", reason));

  auto to = config::parse_to_url("http://127.0.0.1:8080/base/", reason);
  ASSERT_TRUE(to);
  EXPECT_EQ(to->kind, config::UpstreamKind::http);
  EXPECT_EQ(to->port, 8080);
  EXPECT_EQ(to->base_path, "/base");
  EXPECT_EQ(config::parse_to_url("echo://", reason)->kind, config::UpstreamKind::echo);
  EXPECT_EQ(config::parse_to_url("http://upstream", reason)->port, 80);
  EXPECT_FALSE(config::parse_to_url("ftp://x:1", reason));
  EXPECT_FALSE(config::parse_to_url("http://x:99999", reason));
  EXPECT_FALSE(config::parse_to_url("tcp://x:1/path", reason));
}
