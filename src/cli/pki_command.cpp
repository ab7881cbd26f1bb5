#include "cli/commands.h"

namespace certgate::cli {

void add_pki_command(CLI::App& app, int& exit_code) {
  auto* pki = app.add_subcommand("pki", "Create and inspect CAs, certificates, PKCS#12 files and CRLs");
  pki->require_subcommand(1);
  (void)exit_code;
}

}  // namespace certgate::cli
