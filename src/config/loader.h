// Reads a YAML config file into a validated Config. Throws ConfigError ("file:line: reason").
#pragma once

#include <string>

#include "config/config.h"

namespace certgate::config {

// Environment variables CERTGATE_<KEY> override top-level scalars (e.g. CERTGATE_WORKERS=4).
Config load_config_file(const std::string& path);

// For tests: `file` is used in error messages and to resolve relative paths.
Config load_config_text(const std::string& text, const std::string& file);

std::string to_string(MtlsMode mode);

}  // namespace certgate::config
