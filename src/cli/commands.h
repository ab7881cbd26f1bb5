// Each subcommand adds itself to the CLI11 app. The callback stores the process exit code.
// Exit codes: 0 success, 1 a negative answer (rejected certificate, invalid config), 2 usage error.
// `clients`: 0 the inventory was printed; 1 the admin API could not be reached or did not answer 200
// (the reason on stderr); 2 usage: bad options, no admin URL, unreadable token or config file.
#pragma once

#include <CLI/CLI.hpp>

namespace certgate::cli {

void add_serve_command(CLI::App& app, int& exit_code);
void add_validate_config_command(CLI::App& app, int& exit_code);
void add_pki_command(CLI::App& app, int& exit_code);
void add_check_command(CLI::App& app, int& exit_code);
void add_clients_command(CLI::App& app, int& exit_code);

}  // namespace certgate::cli
