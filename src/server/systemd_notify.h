// The systemd notification protocol (sd_notify(3)) for `Type=notify` units: READY=1 once the listeners
// are bound, RELOADING=1 / READY=1 around a reload, STOPPING=1 when the drain starts, and STATUS= lines
// that `systemctl status` shows. Without $NOTIFY_SOCKET (not started by systemd) every call does nothing.
#pragma once

#include <string_view>

namespace certgate::server::systemd {

void ready(std::string_view status);
// With MONOTONIC_USEC, which systemd >= 253 requires for `Type=notify-reload`; older versions ignore it.
void reloading(std::string_view status);
void stopping(std::string_view status);
void status(std::string_view status);

}  // namespace certgate::server::systemd
