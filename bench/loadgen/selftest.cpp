#include "selftest.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "histogram.h"
#include "http_response.h"

namespace certgate::bench {
namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "self-test FAILED: %s\n", what);
    ++failures;
  }
}

bool near(uint64_t got, double want) {
  return std::fabs(static_cast<double>(got) - want) <= want / 128.0 + 1;
}

// Feeds `text` in pieces of `step` bytes; returns the final result.
ResponseParser::Result feed_in_steps(ResponseParser& p, const std::string& text, size_t step) {
  ResponseParser::Result r = ResponseParser::Result::kNeedMore;
  for (size_t i = 0; i < text.size(); i += step) {
    r = p.feed(text.data() + i, std::min(step, text.size() - i));
    if (r != ResponseParser::Result::kNeedMore) break;
  }
  return r;
}

void histogram_tests() {
  auto h = std::make_unique<Histogram>();
  for (uint64_t v = 1; v <= 100000; ++v)
    h->record(v * 1000);  // 1 us .. 100 ms, uniform
  check(h->count() == 100000, "histogram count");
  check(near(h->percentile(50), 50'000'000), "histogram p50");
  check(near(h->percentile(99), 99'000'000), "histogram p99");
  check(near(h->percentile(99.9), 99'900'000), "histogram p99.9");
  check(h->percentile(100) == 100'000'000, "histogram max is exact");
  check(h->min() == 1000, "histogram min");
  for (uint64_t v : {0ULL, 1ULL, 255ULL, 256ULL, 257ULL, 1ULL << 40, ~0ULL}) {
    const size_t i = Histogram::index_of(v);
    check(i < Histogram::kBuckets, "histogram index in range");
    check(Histogram::highest_equivalent(i) >= v, "histogram bucket covers its value");
  }
  auto a = std::make_unique<Histogram>();
  auto b = std::make_unique<Histogram>();
  a->record(10);
  b->record(1'000'000);
  a->merge(*b);
  check(a->count() == 2 && a->min() == 10 && a->max() == 1'000'000, "histogram merge");
}

void parser_tests() {
  using R = ResponseParser::Result;
  const std::string cl = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello";
  const std::string chunked =
      "HTTP/1.1 200 OK\r\ntransfer-encoding: "
      "chunked\r\n\r\n5;ext=1\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n"
      "0\r\nTrailer: t\r\n\r\n";
  const std::string close =
      "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  const std::string http10 = "HTTP/1.0 200 OK\r\n\r\nbody until close";
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  for (size_t step : {size_t{1}, size_t{3}, size_t{7}, size_t{4096}}) {
    ResponseParser p;
    p.reset();
    check(feed_in_steps(p, cl, step) == R::kDone && p.status() == 200 && p.keep_alive(), "content-length");
    p.reset();
    check(feed_in_steps(p, chunked, step) == R::kDone && p.status() == 200, "chunked");
    p.reset();
    check(feed_in_steps(p, close, step) == R::kDone && p.status() == 503 && !p.keep_alive(),
          "connection close");
    p.reset();
    check(feed_in_steps(p, http10, step) == R::kNeedMore && p.finish_eof() == R::kDone && !p.keep_alive(),
          "HTTP/1.0 body until close");
    p.reset();
    check(feed_in_steps(p, interim, step) == R::kDone && p.status() == 200, "1xx interim response");
  }
  ResponseParser p;
  p.reset();
  check(feed_in_steps(p, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 4096) == R::kNeedMore &&
            p.finish_eof() == R::kError,
        "truncated body is an error");
  p.reset();
  check(feed_in_steps(p, "garbage\r\n\r\n", 4096) == R::kError, "bad status line");
  p.reset();
  check(feed_in_steps(p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 4096) == R::kError,
        "bad chunk size");
}

}  // namespace

int run_self_test() {
  histogram_tests();
  parser_tests();
  if (failures == 0) std::printf("self-test passed\n");
  return failures == 0 ? 0 : 1;
}

}  // namespace certgate::bench
