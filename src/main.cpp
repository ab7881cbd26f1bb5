#include <openssl/crypto.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "common/version.h"
#include "log/error_log.h"

int main(int argc, char** argv) {
  // Warnings while a config loads (e.g. about CRL files) go to stderr, in the error log's format.
  certgate::log::init_error_log("info");
  CLI::App app{"certgate: a mutual-TLS access gateway"};
  app.name("certgate");
  app.set_version_flag("--version", std::string("certgate ") + certgate::kVersion + " (" +
                                        OpenSSL_version(OPENSSL_VERSION) + ")");
  app.require_subcommand(1);
  int exit_code = 0;
  certgate::cli::add_serve_command(app, exit_code);
  certgate::cli::add_validate_config_command(app, exit_code);
  certgate::cli::add_pki_command(app, exit_code);
  certgate::cli::add_check_command(app, exit_code);
  certgate::cli::add_clients_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Usage errors: one line, exit 2.
    std::cerr << "certgate: " << e.what() << " (see certgate --help)\n";
    return 2;
  }
  return exit_code;
}
