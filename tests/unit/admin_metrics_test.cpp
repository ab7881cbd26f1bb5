// The metrics exposition (metrics/exposition.h), the per-worker counters (runtime/worker_metrics.h) and
// the admin API's escaping and query parsing.
#include <gtest/gtest.h>

#include "admin/admin_router.h"
#include "admin/status_page.h"
#include "http/refusal_page.h"
#include "metrics/exposition.h"
#include "runtime/worker_metrics.h"

using namespace certgate;

TEST(MetricsExposition, EscapesLabelValues) {
  EXPECT_EQ(metrics::escape_label_value(R"(a"b\c)"
                                        "\n"),
            R"(a\"b\\c\n)");
  metrics::TextWriter w;
  w.family("certgate_x_total", "counter", "Help.");
  w.sample("certgate_x_total", {{"route", "https://a\"b"}}, std::uint64_t{3});
  EXPECT_EQ(w.text(),
            "# HELP certgate_x_total Help.\n# TYPE certgate_x_total counter\n"
            "certgate_x_total{route=\"https://a\\\"b\"} 3\n");
}

TEST(MetricsExposition, HistogramIsCumulativeWithInf) {
  metrics::DurationHistogram h;
  h.observe(100);         // <= 250us
  h.observe(2'000);       // <= 2.5ms
  h.observe(60'000'000);  // +Inf
  std::array<std::uint64_t, metrics::DurationHistogram::kBuckets> buckets{};
  for (std::size_t i = 0; i < buckets.size(); ++i)
    buckets[i] = h.bucket(i);
  metrics::TextWriter w;
  w.histogram("d", {{"route", "r"}}, metrics::kDurationBoundsMicros, buckets, h.sum_micros());
  const auto& t = w.text();
  EXPECT_NE(t.find("d_bucket{route=\"r\",le=\"0.00025\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("d_bucket{route=\"r\",le=\"0.0025\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("d_bucket{route=\"r\",le=\"10\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("d_bucket{route=\"r\",le=\"+Inf\"} 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("d_count{route=\"r\"} 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("d_sum{route=\"r\"} 60.0021"), std::string::npos) << t;
}

TEST(WorkerMetrics, CountsByRouteClassAndReason) {
  runtime::WorkerMetrics m;
  EXPECT_EQ(m.find_route(3), nullptr);
  m.count_request(3, 200, Reason::allowed, 10);
  m.count_request(3, 403, Reason::policy_denied, 10);
  m.count_request(3, 403, Reason::policy_denied, 10);
  m.count_request(9999, 0, Reason::upstream_timeout, 10);  // beyond the slots: "other"
  const auto* r = m.find_route(3);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->requests[2][static_cast<std::size_t>(Reason::allowed)].get(), 1u);
  EXPECT_EQ(r->requests[4][static_cast<std::size_t>(Reason::policy_denied)].get(), 2u);
  EXPECT_EQ(r->duration.count(), 3u);
  const auto* other = m.find_route(runtime::kOverflowRouteSlot);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->requests[0][static_cast<std::size_t>(Reason::upstream_timeout)].get(), 1u);
}

TEST(WorkerMetrics, RefusalRingKeepsTheLastHundred) {
  runtime::RefusalRing ring;
  for (unsigned i = 0; i < 250; ++i)
    ring.push({std::chrono::system_clock::now(), Reason::no_route, i, "", "", "", ""});
  const auto entries = ring.snapshot();
  ASSERT_EQ(entries.size(), runtime::kRefusalRing);
  EXPECT_EQ(entries.front().status, 150u);
  EXPECT_EQ(entries.back().status, 249u);
}

TEST(WorkerMetrics, OpenConnectionTokenCountsDown) {
  runtime::WorkerMetrics m;
  {
    runtime::OpenConnectionToken a(m.open_connections(0));
    runtime::OpenConnectionToken b(m.open_connections(0));
    EXPECT_EQ(m.open_connections(0).get(), 2);
    runtime::OpenConnectionToken moved(std::move(a));
    EXPECT_EQ(m.open_connections(0).get(), 2);
  }
  EXPECT_EQ(m.open_connections(0).get(), 0);
}

TEST(AdminStatusPage, EscapesEverything) {
  EXPECT_EQ(http::html_escape(R"(<a href="x">'&'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  admin::StatusPageData data;
  data.routes.push_back({"https://<x>", "echo://", "required", "", 0});
  runtime::Refusal refusal;
  refusal.reason = Reason::policy_denied;
  refusal.subject = "CN=<script>";
  data.refusals.push_back(refusal);
  const auto page = admin::render_status_page(data);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_NE(page.find("https://&lt;x&gt;"), std::string::npos);
  EXPECT_NE(page.find("<code class=\"reason\">policy_denied</code>"), std::string::npos);
}
