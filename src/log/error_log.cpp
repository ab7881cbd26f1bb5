#include "log/error_log.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace certgate::log {

void init_error_log(const std::string& level) {
  // main() calls this first (so that warnings while a config loads reach stderr, never the access log
  // on stdout), and serve again with the configured level.
  if (!spdlog::get("certgate")) {
    auto logger = spdlog::stderr_logger_mt("certgate");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ [%l] %v", spdlog::pattern_time_type::utc);
    spdlog::set_default_logger(logger);
  }
  set_error_log_level(level);
  spdlog::flush_on(spdlog::level::trace);
}

void set_error_log_level(const std::string& level) {
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace certgate::log
