// The files a loaded config names, for the reload watcher (server/file_watcher.h): a change to any of
// them reloads the whole config. CRL files are listed apart because the revocation service re-reads
// them in place (revocation/crl_file.h) without a new generation; watching them here as well would
// reload twice.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace certgate::config {

struct ReferencedFiles {
  std::vector<std::string> reload;     // the config file itself, certificates, keys, CA bundles...
  std::vector<std::string> crl_files;  // mtls.crl_file of the global block and the routes
};

// Sorted, without duplicates; absolute paths as the loader resolved them.
ReferencedFiles referenced_files(const Config& cfg);

}  // namespace certgate::config
