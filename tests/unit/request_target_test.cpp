#include "http/request_target.h"

#include <gtest/gtest.h>

using certgate::http::host_without_port;
using certgate::http::normalize_target;
using certgate::http::split_absolute_form;

TEST(NormalizeTarget, KeepsCleanPathsAndQueries) {
  auto t = normalize_target("/api/v1/items?x=1&y=%2F");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/api/v1/items");
  EXPECT_EQ(t->query, "?x=1&y=%2F");  // the query is never rewritten
}

TEST(NormalizeTarget, RemovesDotSegmentsAndRepeatedSlashes) {
  EXPECT_EQ(normalize_target("/public/../admin")->path, "/admin");
  EXPECT_EQ(normalize_target("//admin")->path, "/admin");
  EXPECT_EQ(normalize_target("/a/./b/")->path, "/a/b/");
  EXPECT_EQ(normalize_target("/a/b/..")->path, "/a/");
  EXPECT_EQ(normalize_target("/../../etc")->path, "/etc");
  EXPECT_EQ(normalize_target("/")->path, "/");
}

TEST(NormalizeTarget, DecodesUnreservedCharactersSoTheyCannotHideAPrefix) {
  EXPECT_EQ(normalize_target("/%61dmin")->path, "/admin");
  EXPECT_EQ(normalize_target("/public/%2e%2e/admin")->path, "/admin");
  EXPECT_EQ(normalize_target("/a%20b")->path, "/a%20b");  // reserved stays encoded, upper-cased
  EXPECT_EQ(normalize_target("/a%3a")->path, "/a%3A");
}

TEST(NormalizeTarget, RejectsWhatUpstreamsDecodeInconsistently) {
  EXPECT_FALSE(normalize_target("/public%2F..%2Fadmin"));
  EXPECT_FALSE(normalize_target("/a%5cb"));
  EXPECT_FALSE(normalize_target("/a\\b"));
  EXPECT_FALSE(normalize_target("/a%00"));
  EXPECT_FALSE(normalize_target("/a%zz"));
  EXPECT_FALSE(normalize_target("/a%4"));
  EXPECT_FALSE(normalize_target("http://example.com/x"));
  EXPECT_FALSE(normalize_target("*"));
  EXPECT_FALSE(normalize_target(""));
}

TEST(NormalizeTarget, RejectsDotAndEmptySegmentsWithParameters) {
  for (const char* target : {"/public/..;/admin", "/.;/x", "/public/..;x=1/admin", "/;x/admin",
                             "/a/%2e%2e;/b", "/a/..%3b/b", "/a/..%3B/b", "/a/;"}) {
    EXPECT_FALSE(normalize_target(target)) << target;
  }
}

TEST(NormalizeTarget, RoutesOnThePathWithoutParameters) {
  auto t = normalize_target("/admin;jsessionid=1/x;v=2?q=1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/admin;jsessionid=1/x;v=2");  // the upstream gets the parameters
  EXPECT_EQ(t->routing_path(), "/admin/x");
  EXPECT_EQ(t->query, "?q=1");
  EXPECT_EQ(normalize_target("/plain")->routing_path(), "/plain");
  EXPECT_EQ(normalize_target("/a%3Bb")->routing_path(), "/a%3Bb");  // an encoded ';' is part of the name
}

TEST(SplitAbsoluteForm, TakesTheAuthorityAndKeepsTheRest) {
  auto t = split_absolute_form("https://App.test:8443/x/y?z=1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->authority, "App.test:8443");
  EXPECT_EQ(t->origin_form, "/x/y?z=1");
  EXPECT_EQ(split_absolute_form("HTTP://app.test")->origin_form, "/");
  EXPECT_EQ(split_absolute_form("http://app.test?x")->origin_form, "/?x");
  EXPECT_FALSE(split_absolute_form("https://user@app.test/"));
  EXPECT_FALSE(split_absolute_form("https:///x"));
  EXPECT_FALSE(split_absolute_form("ftp://app.test/"));
  EXPECT_FALSE(split_absolute_form("app.test:443"));
}

TEST(HostWithoutPort, LowercasesAndStripsPort) {
  EXPECT_EQ(host_without_port("Example.COM:8443"), "example.com");
  EXPECT_EQ(host_without_port("example.com."), "example.com");
  EXPECT_EQ(host_without_port("[::1]:8443"), "::1");
  EXPECT_EQ(host_without_port("[::1"), "");
}
