#include "cli/commands.h"

namespace certgate::cli {

void add_serve_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("serve", "Run the gateway");
  auto config = std::make_shared<std::string>();
  cmd->add_option("-c,--config", *config, "Config file (YAML)")->required();
  cmd->callback([&exit_code] { exit_code = 1; });
}

void add_validate_config_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("validate-config", "Check a config file and exit (0: valid, 1: invalid)");
  auto config = std::make_shared<std::string>();
  cmd->add_option("file", *config, "Config file (YAML)")->required();
  cmd->callback([&exit_code] { exit_code = 1; });
}

}  // namespace certgate::cli
