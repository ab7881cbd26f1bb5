// YAML text -> validated Config (config::load_config_text): every input either loads or is refused with
// a ConfigError. Any other exception escapes and libFuzzer reports it: `certgate serve` would print an
// error without file:line, and a reload would fail in an unplanned way.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config_error.h"
#include "config/loader.h"

namespace {

// The loader checks that the files a config names exist: a directory with the names the seeds use.
std::string make_config_dir() {
  const auto dir =
      std::filesystem::temp_directory_path() / ("certgate-fuzz-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const char* name : {"c.pem", "k.pem", "ca.pem", "crl.pem", "tickets.key", "jwt.pem"})
    std::ofstream(dir / name).flush();
  return (dir / "certgate.yaml").string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string file = make_config_dir();
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    certgate::config::load_config_text(text, file);
  } catch (const certgate::config::ConfigError&) {
    // The expected refusal.
  }
  return 0;
}
