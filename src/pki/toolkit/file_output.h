// Writing the toolkit's output files safely: never clobber an existing file unless asked to, never leave
// a half-written file behind, and never let a private key be readable by others, not even for a moment.
#pragma once

#include <string>
#include <vector>

namespace certgate::pki::toolkit {

// What a command did, one line each ("wrote ca/ca.pem (...)"), for the CLI to print.
using Report = std::vector<std::string>;

std::string wrote(const std::string& path, const std::string& description);

enum class FileMode {
  shared,  // certificates, CRLs, index: 0644 minus the umask
  secret,  // private keys and PKCS#12 files: exactly 0600
};

// Throws std::runtime_error naming the first path whose directory is missing or that already exists
// (the latter unless force is set). Called before any work is done so a refused command changes nothing.
void check_can_write(const std::vector<std::string>& paths, bool force);

// Writes content to a temporary file in the same directory, then renames it over path, so readers see
// either the old or the new file. Secret files are created 0600 from the start.
void write_file_atomic(const std::string& path, const std::string& content, FileMode mode);

}  // namespace certgate::pki::toolkit
