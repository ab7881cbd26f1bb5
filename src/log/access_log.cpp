#include "log/access_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "log/json_text.h"

namespace certgate::log {
namespace {
constexpr std::size_t kFlushThreshold = 32 * 1024;
}

std::shared_ptr<AccessLogSink> AccessLogSink::open(const std::string& target) {
  auto sink = std::make_shared<AccessLogSink>();
  if (target == "off") return sink;
  if (target == "stdout") {
    sink->fd_ = STDOUT_FILENO;
  } else if (target == "stderr") {
    sink->fd_ = STDERR_FILENO;
  } else {
    sink->fd_ = ::open(target.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (sink->fd_ < 0)
      throw std::runtime_error("cannot open access log " + target + ": " + std::strerror(errno));
    sink->owns_fd_ = true;
  }
  return sink;
}

AccessLogSink::~AccessLogSink() {
  if (owns_fd_) ::close(fd_);
}

void AccessLogSink::write(std::string_view lines) {
  std::lock_guard lock(mutex_);
  while (!lines.empty()) {
    const ssize_t n = ::write(fd_, lines.data(), lines.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk or closed pipe must not stop the gateway
    lines.remove_prefix(static_cast<std::size_t>(n));
  }
}

void AccessLogger::append_time(std::chrono::system_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  if (seconds.count() != cached_second_) {
    cached_second_ = seconds.count();
    struct tm tm {};
    gmtime_r(&cached_second_, &tm);
    char buf[32];
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    cached_prefix_ = buf;
  }
  fmt::format_to(std::back_inserter(buffer_), "\"{}.{:03}Z\"", cached_prefix_, millis);
}

void AccessLogger::log(const AccessRecord& r) {
  if (!enabled()) return;
  auto field = [this](std::string_view name, std::string_view value) {
    buffer_ += ",\"";
    buffer_ += name;
    buffer_ += "\":";
    append_json_string(buffer_, value);
  };
  buffer_ += "{\"time\":";
  append_time(r.time);
  field("client", r.client);
  field("sni", r.sni);
  field("host", r.host);
  field("method", r.method);
  field("path", r.path);
  field("route", r.route);
  field("upstream", r.upstream);
  fmt::format_to(std::back_inserter(buffer_),
                 ",\"status\":{},\"bytes_in\":{},\"bytes_out\":{},\"duration_ms\":{:.3f}", r.status,
                 r.bytes_in, r.bytes_out, r.duration_ms);
  field("tls", r.tls_version);
  buffer_ += r.resumed ? ",\"resumed\":true" : ",\"resumed\":false";
  field("cert_fingerprint", r.cert_fingerprint);
  field("cert_subject", r.cert_subject);
  field("verify", r.verify);
  field("reason", r.reason);
  field("consumer", r.consumer);
  if (r.policy_rule >= 0) {
    fmt::format_to(std::back_inserter(buffer_), ",\"policy_rule\":{}", r.policy_rule);
  } else {
    buffer_ += ",\"policy_rule\":null";
  }
  field("request_id", r.request_id);
  buffer_ += "}\n";
  if (buffer_.size() >= kFlushThreshold) {
    flush();
  } else if (!flush_scheduled_ && schedule_) {
    flush_scheduled_ = true;
    schedule_([this] {
      flush_scheduled_ = false;
      flush();
    });
  }
}

void AccessLogger::flush() {
  if (buffer_.empty() || !enabled()) return;
  sink_->write(buffer_);
  buffer_.clear();
}

}  // namespace certgate::log
