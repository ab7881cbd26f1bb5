#include "pki/toolkit/ca_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "pki/cert_info.h"
#include "pki/pem.h"
#include "pki/toolkit/file_output.h"

namespace certgate::pki::toolkit {
namespace {

namespace fs = std::filesystem;

bool file_exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

void check_ca_directory(const CaPaths& paths) {
  std::error_code ec;
  if (!fs::is_directory(paths.dir(), ec)) {
    throw std::runtime_error("CA directory " + paths.dir() + " does not exist");
  }
  if (!file_exists(paths.cert())) {
    throw std::runtime_error(paths.dir() + " is not a certgate CA directory (no ca.pem)");
  }
}

// Catches a directory assembled by hand from mismatched files before it signs anything.
void check_consistent(const CertificateAuthority& ca) {
  ERR_clear_error();
  if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error(ca.paths.key() + " does not belong to " + ca.paths.cert());
  }
  if (!is_ca(ca.cert.get())) throw std::runtime_error(ca.paths.cert() + " is not a CA certificate");
}

}  // namespace

CertificateAuthority load_ca(const std::string& dir) {
  CertificateAuthority ca;
  ca.paths = CaPaths(dir);
  check_ca_directory(ca.paths);
  ca.cert = std::move(load_certificates(ca.paths.cert()).front());
  ca.key = load_private_key(ca.paths.key());
  check_consistent(ca);
  if (file_exists(ca.paths.chain())) ca.chain = load_certificates(ca.paths.chain());
  if (file_exists(ca.paths.root())) ca.root = std::move(load_certificates(ca.paths.root()).front());
  if (file_exists(ca.paths.settings())) {
    ca.settings = settings_from_json(read_file(ca.paths.settings()), ca.paths.settings());
  }
  return ca;
}

void check_can_issue(const CertificateAuthority& ca) {
  if (X509_cmp_current_time(X509_get0_notAfter(ca.cert.get())) <= 0) {
    throw std::runtime_error(ca.paths.cert() + " expired at " + not_after_rfc3339(ca.cert.get()));
  }
  if (X509_cmp_current_time(X509_get0_notBefore(ca.cert.get())) >= 0) {
    throw std::runtime_error(ca.paths.cert() + " is not valid before " + not_before_rfc3339(ca.cert.get()));
  }
}

void prepare_ca_directory(const CaPaths& paths, bool force) {
  std::error_code ec;
  if (fs::exists(paths.dir(), ec) && !fs::is_directory(paths.dir(), ec)) {
    throw std::runtime_error(paths.dir() + " exists and is not a directory");
  }
  if (!force && (file_exists(paths.cert()) || file_exists(paths.key()))) {
    throw std::runtime_error(paths.dir() + " already holds a CA (use --force to replace it)");
  }
  fs::create_directories(paths.dir(), ec);
  if (ec) throw std::runtime_error("cannot create " + paths.dir() + ": " + ec.message());
  // A replaced intermediate must not leave its old chain behind for a new root (or vice versa).
  fs::remove(paths.chain(), ec);
  fs::remove(paths.root(), ec);
}

std::string settings_to_json(const CaSettings& settings) {
  const nlohmann::ordered_json doc = {{"crl_url", settings.crl_url}, {"ocsp_url", settings.ocsp_url}};
  return doc.dump(2) + "\n";
}

CaSettings settings_from_json(const std::string& text, const std::string& what) {
  try {
    const auto doc = nlohmann::json::parse(text);
    return CaSettings{doc.value("crl_url", ""), doc.value("ocsp_url", "")};
  } catch (const std::exception& e) {
    throw std::runtime_error(what + " is not valid settings JSON: " + e.what());
  }
}

CaIndex load_index(const CaPaths& paths) {
  if (!file_exists(paths.index())) return CaIndex{};
  return CaIndex::from_json(read_file(paths.index()), paths.index());
}

void save_index(const CaPaths& paths, const CaIndex& index) {
  write_file_atomic(paths.index(), index.to_json(), FileMode::shared);
}

std::uint64_t read_crl_number(const CaPaths& paths) {
  if (!file_exists(paths.crl_number())) return 1;
  const auto text = read_file(paths.crl_number());
  if (text.empty() || text[0] < '0' || text[0] > '9') {
    throw std::runtime_error(paths.crl_number() + " does not hold a positive CRL number");
  }
  try {
    std::size_t used = 0;
    const auto number = std::stoull(text, &used);
    if (text.find_first_not_of(" \t\r\n", used) == std::string::npos && number > 0) return number;
  } catch (const std::exception&) {
  }
  throw std::runtime_error(paths.crl_number() + " does not hold a positive CRL number");
}

void write_crl_number(const CaPaths& paths, std::uint64_t next) {
  write_file_atomic(paths.crl_number(), std::to_string(next) + "\n", FileMode::shared);
}

CaLock::CaLock(const CaPaths& paths) {
  fd_ = ::open(paths.lock().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open " + paths.lock() + ": " + std::strerror(errno));
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const std::string reason = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error("cannot lock " + paths.lock() + ": " + reason);
  }
}

CaLock::~CaLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace certgate::pki::toolkit
