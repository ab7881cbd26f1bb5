#include "server/systemd_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <spdlog/spdlog.h>
#include <cstring>
#include <string>

namespace certgate::server::systemd {
namespace {

// A failure is logged, never fatal: the service keeps serving, systemd's start timeout reports it.
void send(const std::string& message) {
  const int rc = ::sd_notify(0, message.c_str());
  if (rc < 0) spdlog::warn("sd_notify failed: {}", std::strerror(-rc));
}

std::string status_line(std::string_view status) {
  return status.empty() ? std::string() : "\nSTATUS=" + std::string(status);
}

}  // namespace

void ready(std::string_view status) {
  send("READY=1" + status_line(status));
}

void reloading(std::string_view status) {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1000000ULL + now.tv_nsec / 1000;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) + status_line(status));
}

void stopping(std::string_view status) {
  send("STOPPING=1" + status_line(status));
}

void status(std::string_view status) {
  send("STATUS=" + std::string(status));
}

}  // namespace certgate::server::systemd
