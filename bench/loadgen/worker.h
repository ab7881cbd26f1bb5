// One load-generator thread: its own epoll instance, SSL_CTX and connections, driven by a state machine.
#pragma once

#include <netinet/in.h>
#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "histogram.h"
#include "http_response.h"
#include "options.h"

namespace certgate::bench {

uint64_t now_ns();

enum ErrorKind : int {
  kErrConnect,
  kErrHandshake,
  kErrRead,
  kErrWrite,
  kErrHttpStatus,
  kErrTimeout,
  kErrKinds
};
const char* error_kind_name(int kind);

struct Stats {
  uint64_t requests = 0;    // 200 responses completed inside the measured window
  uint64_t handshakes = 0;  // handshakes completed inside the measured window
  uint64_t resumed = 0;     // ... of which SSL_session_reused()
  uint64_t errors[kErrKinds] = {};
  uint64_t warmup_errors = 0;
  Histogram request_latency;    // write of the request -> end of the response, ns
  Histogram handshake_latency;  // connect() -> handshake complete, ns
  std::string protocol, cipher, group;

  void merge(const Stats& other);
  uint64_t error_total() const;
};

// State shared (read-mostly) by all workers.
struct Shared {
  Options opt;
  sockaddr_in addr{};
  std::string request_keepalive;  // pre-built request bytes
  std::string request_close;      // same with "Connection: close" (last request of a connection)
  uint64_t t0 = 0;                // start of the measured window (after warmup), ns
  uint64_t t1 = 0;                // end of the measured window, ns
  uint64_t timeout_ns = 0;
  std::atomic<bool> stop{false};
  // --idle mode
  std::atomic<uint64_t> idle_established{0};
  std::atomic<uint64_t> idle_failed{0};
  std::atomic<uint64_t> idle_dropped{0};
};

class Worker {
 public:
  // `slots`: concurrent connections (load mode). In idle mode, `slots` connections are opened in total,
  // at most `concurrency` at a time.
  Worker(Shared& shared, int slots, int concurrency);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  bool init(std::string& error);
  void run();
  const Stats& stats() const { return *stats_; }

 private:
  enum class State : uint8_t {
    kClosed,
    kRetryWait,
    kConnecting,
    kHandshake,
    kWrite,
    kRead,
    kIdleHold,
    kGaveUp
  };
  struct Conn {
    int fd = -1;
    SSL* ssl = nullptr;
    State state = State::kClosed;
    uint32_t gen = 0;
    uint32_t slot = 0;
    uint32_t failures = 0;
    uint64_t conn_start = 0;
    uint64_t op_start = 0;
    uint64_t deadline = 0;
    uint64_t retry_at = 0;
    uint64_t requests_on_conn = 0;
    const std::string* request = nullptr;
    SSL_SESSION* session = nullptr;
    ResponseParser parser;
  };

  enum class Close { kNotify, kQuiet, kAbort };

  static int on_new_session(SSL* ssl, SSL_SESSION* session);

  void start_connect(Conn& c);
  void handle_event(Conn& c, uint32_t events);
  void advance(Conn& c);
  void begin_request(Conn& c, uint64_t now);
  void on_response(Conn& c);
  void on_handshake(Conn& c);
  void check_idle(Conn& c);
  void fail(Conn& c, int kind);
  void close_conn(Conn& c, Close how);
  void scan_timers(uint64_t now);
  void open_next_idle();
  bool in_window(uint64_t t) const { return t >= shared_.t0 && t < shared_.t1; }
  bool stopping(uint64_t now) const;

  Shared& shared_;
  const Options& opt_;
  const bool idle_mode_;
  const int concurrency_;
  SSL_CTX* ctx_ = nullptr;
  int epoll_fd_ = -1;
  std::vector<Conn> conns_;
  size_t next_idle_slot_ = 0;
  std::unique_ptr<Stats> stats_;
  std::vector<char> read_buf_;
};

}  // namespace certgate::bench
