#include "worker.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace certgate::bench {
namespace {

constexpr uint64_t kRetryDelayNs = 10'000'000;  // back-off after a failed connection attempt
constexpr uint64_t kScanIntervalNs = 50'000'000;
constexpr uint32_t kMaxIdleFailures = 5;

std::string ssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

bool add_chain_file(SSL_CTX* ctx, const std::string& file) {
  BIO* bio = BIO_new_file(file.c_str(), "r");
  if (bio == nullptr) return false;
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, cert) != 1) {
      X509_free(cert);
      BIO_free(bio);
      return false;
    }
    ++added;
  }
  ERR_clear_error();  // the loop ends with a "no start line" error
  BIO_free(bio);
  return added > 0;
}

}  // namespace

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

const char* error_kind_name(int kind) {
  static constexpr const char* kNames[kErrKinds] = {"connect", "handshake",   "read",
                                                    "write",   "http_status", "timeout"};
  return kind >= 0 && kind < kErrKinds ? kNames[kind] : "?";
}

void Stats::merge(const Stats& other) {
  requests += other.requests;
  handshakes += other.handshakes;
  resumed += other.resumed;
  for (int i = 0; i < kErrKinds; ++i)
    errors[i] += other.errors[i];
  warmup_errors += other.warmup_errors;
  request_latency.merge(other.request_latency);
  handshake_latency.merge(other.handshake_latency);
  if (protocol.empty()) {
    protocol = other.protocol;
    cipher = other.cipher;
    group = other.group;
  }
}

uint64_t Stats::error_total() const {
  uint64_t total = 0;
  for (uint64_t e : errors)
    total += e;
  return total;
}

Worker::Worker(Shared& shared, int slots, int concurrency)
    : shared_(shared),
      opt_(shared.opt),
      idle_mode_(shared.opt.idle > 0),
      concurrency_(std::max(concurrency, 1)),
      conns_(static_cast<size_t>(std::max(slots, 0))),
      stats_(std::make_unique<Stats>()),
      read_buf_(16 * 1024 + 512) {
  for (size_t i = 0; i < conns_.size(); ++i)
    conns_[i].slot = static_cast<uint32_t>(i);
}

Worker::~Worker() {
  for (Conn& c : conns_) {
    close_conn(c, Close::kAbort);
    if (c.session != nullptr) SSL_SESSION_free(c.session);
    c.session = nullptr;
  }
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

bool Worker::init(std::string& error) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    error = "epoll_create1 failed";
    return false;
  }
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) {
    error = "SSL_CTX_new: " + ssl_errors();
    return false;
  }
  const int version = opt_.tls == "1.2" ? TLS1_2_VERSION : TLS1_3_VERSION;
  SSL_CTX_set_min_proto_version(ctx_, version);
  SSL_CTX_set_max_proto_version(ctx_, version);
  SSL_CTX_set_options(ctx_, SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Idle connections: give the 16 KiB record buffers back while a connection has nothing to do.
  if (idle_mode_) SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
  if (!opt_.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx_, opt_.cert_file.c_str()) != 1) {
      error = "cannot load --cert " + opt_.cert_file + ": " + ssl_errors();
      return false;
    }
    const std::string& key = opt_.key_file.empty() ? opt_.cert_file : opt_.key_file;
    if (SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx_) != 1) {
      error = "cannot load --key " + key + ": " + ssl_errors();
      return false;
    }
  }
  if (!opt_.chain_file.empty() && !add_chain_file(ctx_, opt_.chain_file)) {
    error = "cannot load --chain " + opt_.chain_file + ": " + ssl_errors();
    return false;
  }
  if (!opt_.ca_file.empty() && opt_.verify_server) {
    if (SSL_CTX_load_verify_locations(ctx_, opt_.ca_file.c_str(), nullptr) != 1) {
      error = "cannot load --cacert " + opt_.ca_file + ": " + ssl_errors();
      return false;
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }
  if (opt_.resume) {
    // Sessions are kept per connection slot (see on_new_session), not in OpenSSL's cache.
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx_, &Worker::on_new_session);
  } else {
    // Like a typical client (curl, browsers) the loadgen still advertises ticket support, so servers do
    // their usual ticket work on a full handshake; it just never offers a session back.
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
    if (opt_.no_tickets) SSL_CTX_set_options(ctx_, SSL_OP_NO_TICKET);
  }
  return true;
}

int Worker::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* c = static_cast<Conn*>(SSL_get_app_data(ssl));
  if (c == nullptr) return 0;
  if (c->session != nullptr) SSL_SESSION_free(c->session);
  c->session = session;  // TLS 1.3: the latest ticket of this slot's previous connection
  return 1;              // we keep the reference
}

bool Worker::stopping(uint64_t now) const {
  return shared_.stop.load(std::memory_order_relaxed) || (!idle_mode_ && now >= shared_.t1);
}

void Worker::run() {
  if (idle_mode_) {
    const size_t first = std::min(conns_.size(), static_cast<size_t>(concurrency_));
    for (size_t i = 0; i < first; ++i)
      open_next_idle();
  } else {
    for (Conn& c : conns_)
      start_connect(c);
  }
  epoll_event events[256];
  uint64_t next_scan = now_ns() + kScanIntervalNs;
  for (;;) {
    uint64_t now = now_ns();
    if (stopping(now)) break;
    uint64_t wait_ns = next_scan > now ? next_scan - now : 0;
    if (!idle_mode_) wait_ns = std::min(wait_ns, shared_.t1 - now);
    const int timeout_ms = static_cast<int>((wait_ns + 999'999) / 1'000'000);
    const int n = epoll_wait(epoll_fd_, events, 256, timeout_ms);
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      const auto slot = static_cast<size_t>(tag >> 32);
      const auto gen = static_cast<uint32_t>(tag);
      if (slot >= conns_.size()) continue;
      Conn& c = conns_[slot];
      if (c.gen != gen || c.fd < 0) continue;  // stale event of a connection closed earlier in this batch
      handle_event(c, events[i].events);
    }
    now = now_ns();
    if (now >= next_scan) {
      scan_timers(now);
      next_scan = now + kScanIntervalNs;
    }
  }
  for (Conn& c : conns_)
    close_conn(c, Close::kAbort);
}

void Worker::open_next_idle() {
  if (next_idle_slot_ < conns_.size()) start_connect(conns_[next_idle_slot_++]);
}

void Worker::start_connect(Conn& c) {
  const uint64_t now = now_ns();
  if (stopping(now)) {
    c.state = State::kClosed;
    return;
  }
  ++c.gen;
  c.requests_on_conn = 0;
  c.conn_start = now;
  c.deadline = now + shared_.timeout_ns;
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) {
    fail(c, kErrConnect);
    return;
  }
  const int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(c.fd, reinterpret_cast<const sockaddr*>(&shared_.addr), sizeof shared_.addr) != 0 &&
      errno != EINPROGRESS) {
    fail(c, kErrConnect);
    return;
  }
  c.ssl = SSL_new(ctx_);
  if (c.ssl == nullptr) {
    fail(c, kErrHandshake);
    return;
  }
  SSL_set_fd(c.ssl, c.fd);
  SSL_set_app_data(c.ssl, &c);
  in_addr ip{};
  const bool sni_is_ip = inet_pton(AF_INET, opt_.sni.c_str(), &ip) == 1;
  if (!opt_.sni.empty() && !sni_is_ip) SSL_set_tlsext_host_name(c.ssl, opt_.sni.c_str());
  if (opt_.verify_server && !opt_.ca_file.empty() && !opt_.sni.empty()) {
    if (sni_is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c.ssl), opt_.sni.c_str());
    } else {
      SSL_set1_host(c.ssl, opt_.sni.c_str());
    }
  }
  if (opt_.resume && c.session != nullptr) SSL_set_session(c.ssl, c.session);
  SSL_set_connect_state(c.ssl);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = (static_cast<uint64_t>(c.slot) << 32) | c.gen;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
    fail(c, kErrConnect);
    return;
  }
  c.state = State::kConnecting;
}

void Worker::handle_event(Conn& c, uint32_t events) {
  switch (c.state) {
    case State::kConnecting: {
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        fail(c, kErrConnect);
        return;
      }
      c.state = State::kHandshake;
      advance(c);
      return;
    }
    case State::kHandshake:
    case State::kWrite:
    case State::kRead:
      advance(c);
      return;
    case State::kIdleHold:
      check_idle(c);
      return;
    default:
      return;
  }
}

void Worker::advance(Conn& c) {
  for (;;) {
    switch (c.state) {
      case State::kHandshake: {
        ERR_clear_error();
        const int r = SSL_do_handshake(c.ssl);
        if (r != 1) {
          const int e = SSL_get_error(c.ssl, r);
          if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
          fail(c, kErrHandshake);
          return;
        }
        on_handshake(c);
        break;
      }
      case State::kWrite: {
        ERR_clear_error();
        const int r = SSL_write(c.ssl, c.request->data(), static_cast<int>(c.request->size()));
        if (r <= 0) {
          const int e = SSL_get_error(c.ssl, r);
          if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
          fail(c, kErrWrite);
          return;
        }
        c.parser.reset();
        c.state = State::kRead;
        break;
      }
      case State::kRead: {
        ERR_clear_error();
        const int r = SSL_read(c.ssl, read_buf_.data(), static_cast<int>(read_buf_.size()));
        if (r > 0) {
          const auto res = c.parser.feed(read_buf_.data(), static_cast<size_t>(r));
          if (res == ResponseParser::Result::kNeedMore) break;
          if (res == ResponseParser::Result::kError) {
            fail(c, kErrRead);
            return;
          }
          on_response(c);
          if (c.state != State::kWrite) return;
          break;
        }
        const int e = SSL_get_error(c.ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
        if (e == SSL_ERROR_ZERO_RETURN && c.parser.finish_eof() == ResponseParser::Result::kDone) {
          on_response(c);
          if (c.state != State::kWrite) return;
          break;
        }
        // TLS 1.3: the client finishes its handshake before the server has checked the client certificate,
        // so a rejected certificate shows up as an alert on the first read.
        const bool rejected_handshake = e == SSL_ERROR_SSL && c.requests_on_conn == 0;
        fail(c, rejected_handshake ? kErrHandshake : kErrRead);
        return;
      }
      default:
        return;
    }
  }
}

void Worker::on_handshake(Conn& c) {
  const uint64_t now = now_ns();
  if (in_window(now)) {
    ++stats_->handshakes;
    if (SSL_session_reused(c.ssl) != 0) ++stats_->resumed;
    stats_->handshake_latency.record(now - c.conn_start);
  }
  if (stats_->protocol.empty()) {
    stats_->protocol = SSL_get_version(c.ssl);
    stats_->cipher = SSL_get_cipher_name(c.ssl);
    const char* group = SSL_group_to_name(c.ssl, SSL_get_negotiated_group(c.ssl));
    stats_->group = group != nullptr ? group : "?";
  }
  begin_request(c, now);
}

void Worker::begin_request(Conn& c, uint64_t now) {
  const uint64_t k = opt_.requests_per_conn;
  const bool last = !idle_mode_ && k > 0 && c.requests_on_conn + 1 >= k;
  c.request = last ? &shared_.request_close : &shared_.request_keepalive;
  c.op_start = now;
  c.deadline = now + shared_.timeout_ns;
  c.state = State::kWrite;
}

void Worker::on_response(Conn& c) {
  const uint64_t now = now_ns();
  const bool ok = c.parser.status() == 200;
  ++c.requests_on_conn;
  c.failures = 0;
  if (in_window(now)) {
    if (ok) {
      ++stats_->requests;
      stats_->request_latency.record(now - c.op_start);
    } else {
      ++stats_->errors[kErrHttpStatus];
    }
  } else if (!ok && now < shared_.t0) {
    ++stats_->warmup_errors;
  }
  if (idle_mode_) {
    c.state = State::kIdleHold;
    shared_.idle_established.fetch_add(1, std::memory_order_relaxed);
    open_next_idle();
    return;
  }
  const uint64_t k = opt_.requests_per_conn;
  const bool keep_alive = c.parser.keep_alive();
  if (keep_alive && (k == 0 || c.requests_on_conn < k) && !stopping(now)) {
    begin_request(c, now);
    return;
  }
  close_conn(c, keep_alive ? Close::kNotify : Close::kQuiet);
  start_connect(c);
}

void Worker::check_idle(Conn& c) {
  for (;;) {
    ERR_clear_error();
    const int r = SSL_read(c.ssl, read_buf_.data(), static_cast<int>(read_buf_.size()));
    if (r > 0) continue;  // unexpected data while idle: discard
    const int e = SSL_get_error(c.ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
    if (!shared_.stop.load(std::memory_order_relaxed)) {
      shared_.idle_dropped.fetch_add(1, std::memory_order_relaxed);
    }
    close_conn(c, Close::kAbort);
    return;
  }
}

void Worker::fail(Conn& c, int kind) {
  const uint64_t now = now_ns();
  if (in_window(now)) {
    ++stats_->errors[kind];
  } else if (now < shared_.t0) {
    ++stats_->warmup_errors;
  }
  close_conn(c, Close::kAbort);
  ++c.failures;
  if (idle_mode_ && c.failures >= kMaxIdleFailures) {
    c.state = State::kGaveUp;
    shared_.idle_failed.fetch_add(1, std::memory_order_relaxed);
    open_next_idle();
    return;
  }
  c.state = State::kRetryWait;
  c.retry_at = now + kRetryDelayNs;
}

void Worker::close_conn(Conn& c, Close how) {
  if (c.ssl != nullptr) {
    // A clean close must go through SSL_shutdown: SSL_free on a connection that was not shut down marks
    // its session not resumable, which would silently defeat --resume.
    if (how != Close::kAbort) {
      ERR_clear_error();
      if (how == Close::kQuiet)
        SSL_set_quiet_shutdown(c.ssl, 1);  // the server closes: mark clean, send nothing
      SSL_shutdown(c.ssl);
    }
    SSL_free(c.ssl);
    c.ssl = nullptr;
  }
  if (c.fd >= 0) {
    close(c.fd);
    c.fd = -1;
  }
  ERR_clear_error();
  c.state = State::kClosed;
}

void Worker::scan_timers(uint64_t now) {
  for (Conn& c : conns_) {
    switch (c.state) {
      case State::kRetryWait:
        if (now >= c.retry_at) start_connect(c);
        break;
      case State::kConnecting:
      case State::kHandshake:
      case State::kWrite:
      case State::kRead:
        if (now >= c.deadline) fail(c, kErrTimeout);
        break;
      default:
        break;
    }
  }
}

}  // namespace certgate::bench
