// The error log (stderr): start-up, reloads, rejected certificates with their full reason, upstream
// failures. Backed by spdlog; the level comes from the config's log_level.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace certgate::log {

// Idempotent: a second call only sets the level.
void init_error_log(const std::string& level);
void set_error_log_level(const std::string& level);

}  // namespace certgate::log
