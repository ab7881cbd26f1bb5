#include <cstdio>

#include "cli/commands.h"
#include "config/config_error.h"
#include "server/server.h"

namespace certgate::cli {

void add_serve_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("serve", "Run the gateway");
  auto config = std::make_shared<std::string>();
  cmd->add_option("-c,--config", *config, "Config file (YAML)")->required();
  cmd->callback([config, &exit_code] { exit_code = server::Server(*config).run(); });
}

void add_validate_config_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("validate-config", "Check a config file and exit (0: valid, 1: invalid)");
  auto config = std::make_shared<std::string>();
  cmd->add_option("file", *config, "Config file (YAML)")->required();
  cmd->callback([config, &exit_code] {
    try {
      const auto runtime = server::load_runtime(*config);
      std::printf("%s: OK (%zu listener(s), %zu route(s))\n", runtime->config().file.c_str(),
                  runtime->config().listeners.size(), runtime->config().routes.size());
      exit_code = 0;
    } catch (const config::ConfigError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      exit_code = 1;
    }
  });
}

}  // namespace certgate::cli
