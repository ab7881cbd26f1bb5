// certgate-loadgen: an HTTP/1.1-over-TLS load generator that presents a client certificate (wrk and h2load
// cannot). Non-blocking sockets, one epoll loop + SSL_CTX per thread, fixed-memory latency histograms.
#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crypto_floor.h"
#include "options.h"
#include "proc_stats.h"
#include "selftest.h"
#include "worker.h"

namespace certgate::bench {

bool parse_duration(const std::string& text, double& seconds) {
  if (text.empty()) return false;
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    return false;
  }
  const std::string unit = text.substr(used);
  double scale = 1;
  if (unit.empty() || unit == "s") {
    scale = 1;
  } else if (unit == "ms") {
    scale = 0.001;
  } else if (unit == "m") {
    scale = 60;
  } else if (unit == "h") {
    scale = 3600;
  } else {
    return false;
  }
  if (value < 0 || !std::isfinite(value)) return false;
  seconds = value * scale;
  return true;
}

namespace {

void sleep_until_ns(uint64_t t) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(t / 1'000'000'000ULL);
  ts.tv_nsec = static_cast<long>(t % 1'000'000'000ULL);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

bool resolve(const std::string& host, uint16_t port, sockaddr_in& out) {
  out = sockaddr_in{};
  out.sin_family = AF_INET;
  out.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &out.sin_addr) == 1) return true;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return false;
  out.sin_addr = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
  freeaddrinfo(res);
  return true;
}

void build_requests(Shared& sh) {
  const Options& o = sh.opt;
  bool have_host = false;
  std::string extra;
  for (const std::string& h : o.headers) {
    if (h.size() >= 5 && strncasecmp(h.c_str(), "host:", 5) == 0) have_host = true;
    extra += h + "\r\n";
  }
  std::string base = "GET " + o.path + " HTTP/1.1\r\n";
  if (!have_host) base += "Host: " + (o.sni.empty() ? o.host : o.sni) + "\r\n";
  base += "User-Agent: certgate-loadgen\r\nAccept: */*\r\n" + extra;
  sh.request_keepalive = base + "\r\n";
  sh.request_close = base + "Connection: close\r\n\r\n";
}

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

double us(uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string histogram_json(const Histogram& h) {
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "{\"count\":%llu,\"mean\":%.1f,\"min\":%.1f,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
                "\"p999\":%.1f,\"max\":%.1f}",
                static_cast<unsigned long long>(h.count()), h.mean() / 1000.0, us(h.min()),
                us(h.percentile(50)), us(h.percentile(90)), us(h.percentile(99)), us(h.percentile(99.9)),
                us(h.max()));
  return buf;
}

void print_histogram(const char* name, const Histogram& h) {
  if (h.count() == 0) return;
  std::printf("  %-18s p50 %9.1f  p90 %9.1f  p99 %9.1f  p99.9 %9.1f  max %9.1f  mean %9.1f us\n", name,
              us(h.percentile(50)), us(h.percentile(90)), us(h.percentile(99)), us(h.percentile(99.9)),
              us(h.max()), h.mean() / 1000.0);
}

struct Measurement {
  double window_s = 0;
  uint64_t client_cpu_us = 0;
  bool have_server = false;
  uint64_t server_cpu_us = 0;
  uint64_t server_rss_kb = 0;
  size_t server_procs = 0;
  bool have_upstream = false;
  uint64_t upstream_cpu_us = 0;
  uint64_t machine_busy_us = 0;  // all CPUs, whole machine
  uint64_t machine_steal_us = 0;
  // --idle
  double idle_open_s = 0;
  uint64_t idle_server_cpu_open_us = 0;
  uint64_t idle_rss_before_kb = 0;
  uint64_t idle_rss_held_kb = 0;
  uint64_t idle_rss_held_end_kb = 0;
  uint64_t idle_client_cpu_open_us = 0;
};

void report(const Shared& sh, const Stats& st, const Measurement& m, int threads) {
  const Options& o = sh.opt;
  const double w = m.window_s > 0 ? m.window_s : 1;
  const double rps = static_cast<double>(st.requests) / w;
  const double hps = static_cast<double>(st.handshakes) / w;
  const auto per = [](uint64_t total, uint64_t n) {
    return n == 0 ? 0.0 : static_cast<double>(total) / static_cast<double>(n);
  };
  const uint64_t idle_est = sh.idle_established.load();
  if (o.json) {
    std::string s = "{";
    s += "\"label\":\"" + json_escape(o.label) + "\"";
    s += ",\"mode\":\"" + std::string(o.idle > 0 ? "idle" : "load") + "\"";
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  ",\"config\":{\"host\":\"%s\",\"port\":%u,\"sni\":\"%s\",\"tls\":\"%s\",\"connections\":%d,"
                  "\"threads\":%d,\"requests_per_conn\":%llu,\"resume\":%s,\"duration_s\":%.3f,"
                  "\"warmup_s\":%.3f,\"idle\":%llu}",
                  json_escape(o.host).c_str(), o.port, json_escape(o.sni).c_str(), o.tls.c_str(),
                  o.connections, threads, static_cast<unsigned long long>(o.requests_per_conn),
                  o.resume ? "true" : "false", o.duration_s, o.warmup_s,
                  static_cast<unsigned long long>(o.idle));
    s += buf;
    s += ",\"tls\":{\"protocol\":\"" + json_escape(st.protocol) + "\",\"cipher\":\"" +
         json_escape(st.cipher) + "\",\"group\":\"" + json_escape(st.group) + "\"}";
    std::snprintf(buf, sizeof buf,
                  ",\"window_s\":%.4f,\"requests\":%llu,\"requests_per_s\":%.1f,\"handshakes\":%llu,"
                  "\"handshakes_per_s\":%.1f,\"resumed\":%llu",
                  m.window_s, static_cast<unsigned long long>(st.requests), rps,
                  static_cast<unsigned long long>(st.handshakes), hps,
                  static_cast<unsigned long long>(st.resumed));
    s += buf;
    s += ",\"errors\":{";
    for (int i = 0; i < kErrKinds; ++i) {
      std::snprintf(buf, sizeof buf, "%s\"%s\":%llu", i == 0 ? "" : ",", error_kind_name(i),
                    static_cast<unsigned long long>(st.errors[i]));
      s += buf;
    }
    std::snprintf(buf, sizeof buf, "},\"errors_total\":%llu,\"warmup_errors\":%llu",
                  static_cast<unsigned long long>(st.error_total()),
                  static_cast<unsigned long long>(st.warmup_errors));
    s += buf;
    s += ",\"latency_us\":{\"request\":" + histogram_json(st.request_latency) +
         ",\"handshake\":" + histogram_json(st.handshake_latency) + "}";
    std::snprintf(buf, sizeof buf,
                  ",\"client\":{\"cpu_us\":%llu,\"cpu_per_request_us\":%.1f,\"cpu_per_handshake_us\":%.1f,"
                  "\"cores\":%.3f}",
                  static_cast<unsigned long long>(m.client_cpu_us), per(m.client_cpu_us, st.requests),
                  per(m.client_cpu_us, st.handshakes), static_cast<double>(m.client_cpu_us) / 1e6 / w);
    s += buf;
    if (m.have_server) {
      std::snprintf(buf, sizeof buf,
                    ",\"server\":{\"processes\":%zu,\"cpu_us\":%llu,\"cpu_per_request_us\":%.1f,"
                    "\"cpu_per_handshake_us\":%.1f,\"cores\":%.3f,\"rss_kb\":%llu}",
                    m.server_procs, static_cast<unsigned long long>(m.server_cpu_us),
                    per(m.server_cpu_us, st.requests), per(m.server_cpu_us, st.handshakes),
                    static_cast<double>(m.server_cpu_us) / 1e6 / w,
                    static_cast<unsigned long long>(m.server_rss_kb));
      s += buf;
    }
    if (o.idle == 0) {
      // Everything else the machine ran during the window: a noise indicator (should be ~0 cores).
      const auto ours = static_cast<int64_t>(m.client_cpu_us + m.server_cpu_us + m.upstream_cpu_us);
      const double other = static_cast<double>(static_cast<int64_t>(m.machine_busy_us) - ours) / 1e6 / w;
      std::snprintf(buf, sizeof buf,
                    ",\"machine\":{\"busy_cores\":%.3f,\"other_cores\":%.3f,\"steal_cores\":%.3f}",
                    static_cast<double>(m.machine_busy_us) / 1e6 / w, other,
                    static_cast<double>(m.machine_steal_us) / 1e6 / w);
      s += buf;
    }
    if (m.have_upstream) {
      std::snprintf(buf, sizeof buf,
                    ",\"upstream\":{\"cpu_us\":%llu,\"cpu_per_request_us\":%.1f,\"cores\":%.3f}",
                    static_cast<unsigned long long>(m.upstream_cpu_us), per(m.upstream_cpu_us, st.requests),
                    static_cast<double>(m.upstream_cpu_us) / 1e6 / w);
      s += buf;
    }
    if (o.idle > 0) {
      const double held = static_cast<double>(idle_est);
      std::snprintf(
          buf, sizeof buf,
          ",\"idle\":{\"target\":%llu,\"established\":%llu,\"failed\":%llu,\"dropped\":%llu,\"open_s\":%.3f,"
          "\"client_cpu_open_us\":%llu,\"server_cpu_open_us\":%llu,\"server_cpu_per_handshake_us\":%.1f,"
          "\"rss_before_kb\":%llu,\"rss_held_kb\":%llu,\"rss_held_end_kb\":%llu,\"rss_per_conn_kb\":%.2f}",
          static_cast<unsigned long long>(o.idle), static_cast<unsigned long long>(idle_est),
          static_cast<unsigned long long>(sh.idle_failed.load()),
          static_cast<unsigned long long>(sh.idle_dropped.load()), m.idle_open_s,
          static_cast<unsigned long long>(m.idle_client_cpu_open_us),
          static_cast<unsigned long long>(m.idle_server_cpu_open_us),
          per(m.idle_server_cpu_open_us, idle_est), static_cast<unsigned long long>(m.idle_rss_before_kb),
          static_cast<unsigned long long>(m.idle_rss_held_kb),
          static_cast<unsigned long long>(m.idle_rss_held_end_kb),
          held > 0
              ? (static_cast<double>(m.idle_rss_held_kb) - static_cast<double>(m.idle_rss_before_kb)) / held
              : 0.0);
      s += buf;
    }
    s += "}";
    std::printf("%s\n", s.c_str());
    return;
  }

  std::printf(
      "certgate-loadgen %s:%u sni=%s tls=%s connections=%d threads=%d requests-per-conn=%llu resume=%s",
      o.host.c_str(), o.port, o.sni.c_str(), o.tls.c_str(), o.connections, threads,
      static_cast<unsigned long long>(o.requests_per_conn), o.resume ? "yes" : "no");
  if (o.idle > 0) std::printf(" idle=%llu", static_cast<unsigned long long>(o.idle));
  std::printf("\n  negotiated         %s %s %s\n", st.protocol.c_str(), st.cipher.c_str(), st.group.c_str());
  std::printf("  window             %.2f s (after %.2f s warmup)\n", m.window_s,
              o.idle > 0 ? 0.0 : o.warmup_s);
  std::printf("  requests           %llu (%.1f/s)\n", static_cast<unsigned long long>(st.requests), rps);
  std::printf("  handshakes         %llu (%.1f/s), resumed %llu\n",
              static_cast<unsigned long long>(st.handshakes), hps,
              static_cast<unsigned long long>(st.resumed));
  std::printf("  errors             %llu:", static_cast<unsigned long long>(st.error_total()));
  for (int i = 0; i < kErrKinds; ++i) {
    std::printf(" %s=%llu", error_kind_name(i), static_cast<unsigned long long>(st.errors[i]));
  }
  std::printf(" (warmup: %llu)\n", static_cast<unsigned long long>(st.warmup_errors));
  print_histogram("latency request", st.request_latency);
  print_histogram("latency handshake", st.handshake_latency);
  std::printf("  client cpu         %.3f s = %.2f cores, %.1f us/request\n", m.client_cpu_us / 1e6,
              static_cast<double>(m.client_cpu_us) / 1e6 / w, per(m.client_cpu_us, st.requests));
  if (m.have_server) {
    std::printf(
        "  server cpu         %.3f s = %.2f cores, %.1f us/request, %.1f us/handshake (%zu processes)\n",
        m.server_cpu_us / 1e6, static_cast<double>(m.server_cpu_us) / 1e6 / w,
        per(m.server_cpu_us, st.requests), per(m.server_cpu_us, st.handshakes), m.server_procs);
    std::printf("  server rss         %.1f MiB\n", m.server_rss_kb / 1024.0);
  }
  if (o.idle == 0) {
    std::printf("  machine cpu        %.2f cores busy in total, steal %.2f cores\n",
                static_cast<double>(m.machine_busy_us) / 1e6 / w,
                static_cast<double>(m.machine_steal_us) / 1e6 / w);
  }
  if (m.have_upstream) {
    std::printf("  upstream cpu       %.3f s = %.2f cores, %.1f us/request\n", m.upstream_cpu_us / 1e6,
                static_cast<double>(m.upstream_cpu_us) / 1e6 / w, per(m.upstream_cpu_us, st.requests));
  }
  if (o.idle > 0) {
    std::printf(
        "  idle               %llu/%llu established in %.2f s, %llu failed, %llu dropped while held\n",
        static_cast<unsigned long long>(idle_est), static_cast<unsigned long long>(o.idle), m.idle_open_s,
        static_cast<unsigned long long>(sh.idle_failed.load()),
        static_cast<unsigned long long>(sh.idle_dropped.load()));
    if (m.have_server) {
      std::printf(
          "  idle server rss    before %.1f MiB, held %.1f MiB (end of hold %.1f MiB), %.1f KiB/conn\n",
          m.idle_rss_before_kb / 1024.0, m.idle_rss_held_kb / 1024.0, m.idle_rss_held_end_kb / 1024.0,
          idle_est > 0
              ? (static_cast<double>(m.idle_rss_held_kb) - static_cast<double>(m.idle_rss_before_kb)) /
                    static_cast<double>(idle_est)
              : 0.0);
      std::printf("  idle server cpu    %.1f us/handshake while opening\n",
                  per(m.idle_server_cpu_open_us, idle_est));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"certgate-loadgen: HTTP/1.1 over mutual TLS load generator"};
  std::string duration = "10s", warmup = "0s", timeout = "10s";
  bool crypto_floor = false;
  bool self_test = false;
  int floor_iterations = 500;
  bool no_verify = false;
  app.add_option("--host", o.host, "Server address")->capture_default_str();
  app.add_option("--port", o.port, "Server port")->required();
  app.add_option("--sni", o.sni, "TLS server name, also the Host header")->capture_default_str();
  app.add_option("--connections,-c", o.connections, "Concurrent connections")->capture_default_str();
  app.add_option("--threads,-t", o.threads, "Client threads (default: min(connections, CPUs))");
  app.add_option("--duration,-d", duration, "Measured window: 500ms, 5s, 2m (in --idle mode: hold time)")
      ->capture_default_str();
  app.add_option("--warmup,-w", warmup, "Warmup before the measured window")->capture_default_str();
  app.add_option("--requests-per-conn,-k", o.requests_per_conn,
                 "Requests per connection: 1 = a handshake per request, 0 = keep-alive until the end")
      ->capture_default_str();
  app.add_option("--tls", o.tls, "TLS version")->check(CLI::IsMember({"1.2", "1.3"}))->capture_default_str();
  app.add_flag("--resume", o.resume, "Resume the previous session (ticket) of the same connection slot");
  app.add_flag(
      "--no-tickets", o.no_tickets,
      "Do not advertise session ticket support (servers then skip issuing tickets where the protocol "
      "lets them)");
  app.add_option("--cert", o.cert_file, "Client certificate (PEM, may hold the chain)");
  app.add_option("--key", o.key_file, "Client private key (PEM)");
  app.add_option("--chain", o.chain_file, "Extra client chain certificates (PEM)");
  app.add_option("--cacert", o.ca_file, "CA bundle to verify the server certificate");
  app.add_flag("--no-verify", no_verify, "Do not verify the server certificate");
  app.add_option("--path", o.path, "Request path")->capture_default_str();
  app.add_option("-H,--header", o.headers, "Extra request header 'Name: value' (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--idle", o.idle,
                 "Open N mTLS connections (one request each, --connections at a time), hold them idle for "
                 "--duration, for memory measurement");
  app.add_option("--timeout", timeout, "Per connect/handshake/request timeout")->capture_default_str();
  app.add_flag("--json", o.json, "Print a machine-readable JSON summary");
  app.add_option("--label", o.label, "Free-form label copied into the JSON summary");
  app.add_option("--server-pid", o.server_pids,
                 "Server process (repeatable; descendants included): CPU and RSS over the measured window")
      ->allow_extra_args(false);
  app.add_option("--upstream-pid", o.upstream_pids,
                 "Upstream process (repeatable; descendants included): its CPU is reported separately")
      ->allow_extra_args(false);
  app.add_option("--ready-file", o.ready_file, "--idle: create this file once all connections are open");
  app.add_flag("--crypto-floor", crypto_floor,
               "Time the server's asymmetric crypto per full mTLS TLS 1.3 P-256 handshake and exit");
  app.add_option("--iterations", floor_iterations, "--crypto-floor iterations per operation")
      ->capture_default_str();
  app.add_flag("--self-test", self_test, "Check the histogram and the HTTP parser and exit");
  // --port is only required for load runs.
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--crypto-floor" || arg == "--self-test") app.get_option("--port")->required(false);
  }
  CLI11_PARSE(app, argc, argv);
  if (self_test) return run_self_test();
  if (crypto_floor) return run_crypto_floor(floor_iterations, o.json);

  o.verify_server = !no_verify;
  if (!parse_duration(duration, o.duration_s) || !parse_duration(warmup, o.warmup_s) ||
      !parse_duration(timeout, o.timeout_s)) {
    std::fprintf(stderr, "invalid duration (use 500ms, 5s, 2m or a number of seconds)\n");
    return 2;
  }
  if (o.connections < 1) {
    std::fprintf(stderr, "--connections must be >= 1\n");
    return 2;
  }
  if (o.path.empty() || o.path[0] != '/') o.path = "/" + o.path;

  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();

  Shared sh;
  sh.opt = o;
  if (!resolve(o.host, o.port, sh.addr)) {
    std::fprintf(stderr, "cannot resolve %s\n", o.host.c_str());
    return 2;
  }
  build_requests(sh);
  sh.timeout_ns = static_cast<uint64_t>(o.timeout_s * 1e9);

  const int cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int threads = o.threads > 0 ? o.threads : std::min(o.connections, cpus);
  if (o.idle == 0) threads = std::min(threads, o.connections);
  threads = std::max(threads, 1);

  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < threads; ++i) {
    int slots = 0;
    int concurrency = 0;
    if (o.idle > 0) {
      const uint64_t share = o.idle / threads + (static_cast<uint64_t>(i) < o.idle % threads ? 1 : 0);
      slots = static_cast<int>(share);
      concurrency = o.connections / threads + (i < o.connections % threads ? 1 : 0);
    } else {
      slots = o.connections / threads + (i < o.connections % threads ? 1 : 0);
      concurrency = slots;
    }
    workers.push_back(std::make_unique<Worker>(sh, slots, concurrency));
    std::string err;
    if (!workers.back()->init(err)) {
      std::fprintf(stderr, "certgate-loadgen: %s\n", err.c_str());
      return 2;
    }
  }

  std::vector<pid_t> roots(o.server_pids.begin(), o.server_pids.end());
  std::vector<pid_t> up_roots(o.upstream_pids.begin(), o.upstream_pids.end());
  Measurement m;
  m.have_server = !roots.empty();
  m.have_upstream = !up_roots.empty() && o.idle == 0;
  ProcSample before_open;
  if (m.have_server) before_open = sample_processes(roots);
  const uint64_t client_start = self_cpu_us();

  const uint64_t start = now_ns();
  if (o.idle > 0) {
    sh.t0 = start;
    sh.t1 = UINT64_MAX;
  } else {
    sh.t0 = start + static_cast<uint64_t>(o.warmup_s * 1e9);
    sh.t1 = sh.t0 + static_cast<uint64_t>(o.duration_s * 1e9);
  }
  std::vector<std::thread> pool;
  for (auto& w : workers)
    pool.emplace_back([&w] { w->run(); });

  if (o.idle == 0) {
    sleep_until_ns(sh.t0);
    const SystemCpu sys0 = sample_system_cpu();
    const ProcSample u0 = m.have_upstream ? sample_processes(up_roots) : ProcSample{};
    const ProcSample s0 = m.have_server ? sample_processes(roots) : ProcSample{};
    const uint64_t c0 = self_cpu_us();
    const uint64_t w0 = now_ns();
    sleep_until_ns(sh.t1);
    const uint64_t w1 = now_ns();
    const uint64_t c1 = self_cpu_us();
    if (m.have_server) {
      const ProcSample s1 = sample_processes(roots);
      m.server_cpu_us = cpu_delta_us(s0, s1);
      m.server_rss_kb = s1.rss_kb;
      m.server_procs = s1.cpu_ticks.size();
    }
    if (m.have_upstream) m.upstream_cpu_us = cpu_delta_us(u0, sample_processes(up_roots));
    const SystemCpu sys1 = sample_system_cpu();
    m.machine_busy_us = ticks_to_us(sys1.busy - sys0.busy);
    m.machine_steal_us = ticks_to_us(sys1.steal - sys0.steal);
    m.client_cpu_us = c1 - c0;
    m.window_s = static_cast<double>(w1 - w0) / 1e9;
  } else {
    // Opening phase: wait until every connection is established (or gave up), bounded.
    const uint64_t open_deadline = start + static_cast<uint64_t>(o.idle_open_timeout_s * 1e9);
    while (sh.idle_established.load() + sh.idle_failed.load() < o.idle && now_ns() < open_deadline) {
      sleep_until_ns(now_ns() + 20'000'000);
    }
    const uint64_t opened = now_ns();
    m.idle_open_s = static_cast<double>(opened - start) / 1e9;
    m.idle_client_cpu_open_us = self_cpu_us() - client_start;
    m.window_s = m.idle_open_s;
    if (m.have_server) {
      const ProcSample s = sample_processes(roots);
      m.idle_server_cpu_open_us = cpu_delta_us(before_open, s);
      m.idle_rss_before_kb = before_open.rss_kb;
      m.server_procs = s.cpu_ticks.size();
    }
    if (!o.ready_file.empty()) std::ofstream(o.ready_file) << sh.idle_established.load() << "\n";
    // Let the server settle (freed handshake state, lazily returned buffers) before reading its RSS.
    const uint64_t hold_end = opened + static_cast<uint64_t>(o.duration_s * 1e9);
    sleep_until_ns(std::min(hold_end, opened + uint64_t{1'000'000'000}));
    if (m.have_server) m.idle_rss_held_kb = sample_processes(roots).rss_kb;
    sleep_until_ns(hold_end);
    if (m.have_server) {
      m.idle_rss_held_end_kb = sample_processes(roots).rss_kb;
      m.server_rss_kb = m.idle_rss_held_kb;
    }
    m.client_cpu_us = m.idle_client_cpu_open_us;
  }
  sh.stop = true;
  for (auto& t : pool)
    t.join();

  Stats total;
  for (auto& w : workers)
    total.merge(w->stats());
  report(sh, total, m, threads);
  return 0;
}

}  // namespace certgate::bench

int main(int argc, char** argv) {
  return certgate::bench::main(argc, argv);
}
