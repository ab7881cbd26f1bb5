// The JSON access log: one line per request. Each worker formats into its own buffer and hands whole
// blocks of lines to the shared sink: the first line of a batch schedules one flush on the worker's loop,
// which runs once the loop has finished what is ready now. Light traffic is written at once; under load
// one write syscall carries many lines (32 KiB at most).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace certgate::log {

struct AccessRecord {
  std::chrono::system_clock::time_point time;
  std::string_view client;  // "ip:port"
  std::string_view sni;
  std::string_view host;
  std::string_view method;
  std::string_view path;
  std::string_view route;
  std::string_view upstream;
  unsigned status = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  double duration_ms = 0;
  std::string_view tls_version;
  bool resumed = false;
  std::string_view cert_fingerprint;
  std::string_view cert_subject;
  std::string_view verify;
  std::string_view reason;
  std::string_view consumer;    // username; empty when there is none
  int policy_rule = -1;         // index of the policy rule that decided; -1: none (logged as null)
  std::string_view request_id;  // X-Request-Id
};

// The destination: stdout, stderr, a file (opened for append), or nothing.
class AccessLogSink {
 public:
  // Throws std::runtime_error when a file cannot be opened.
  static std::shared_ptr<AccessLogSink> open(const std::string& target);
  ~AccessLogSink();
  bool enabled() const { return fd_ >= 0; }
  void write(std::string_view lines);

 private:
  int fd_ = -1;
  bool owns_fd_ = false;
  std::mutex mutex_;  // blocks from different workers never interleave
};

class AccessLogger {
 public:
  // `schedule` runs a callable later on the owning worker's loop.
  AccessLogger(std::shared_ptr<AccessLogSink> sink, std::function<void(std::function<void()>)> schedule)
      : sink_(std::move(sink)), schedule_(std::move(schedule)) {}
  bool enabled() const { return sink_ && sink_->enabled(); }
  void log(const AccessRecord& record);
  void flush();

 private:
  void append_time(std::chrono::system_clock::time_point time);

  std::shared_ptr<AccessLogSink> sink_;
  std::string buffer_;
  std::function<void(std::function<void()>)> schedule_;
  bool flush_scheduled_ = false;
  std::time_t cached_second_ = 0;
  std::string cached_prefix_;  // "2026-11-22T10:00:00" for cached_second_
};

}  // namespace certgate::log
