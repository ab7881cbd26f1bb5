#include "revocation/crl_file.h"

#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include "config/config_error.h"
#include "pki/pem.h"
#include "revocation/metrics.h"

namespace certgate::revocation {

std::shared_ptr<CrlFile> CrlFile::load(const config::CrlFileSource& source,
                                       std::shared_ptr<const pki::TrustBundle> bundle) {
  std::shared_ptr<CrlFile> file(new CrlFile(source.file, std::move(bundle)));
  file->last_attempt_ = stamp_of(source.file);
  try {
    file->current_.store(file->read(), std::memory_order_release);
  } catch (const std::exception& e) {
    throw config::ConfigError(source.mark, e.what());
  }
  return file;
}

CrlFile::Stamp CrlFile::stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_dev, st.st_ino, st.st_size, int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
          int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec};
}

std::shared_ptr<const CrlSet> CrlFile::read() const {
  return CrlSet::parse(pki::read_file(path_), bundle_->certificates(), path_);
}

void CrlFile::poll(Counters& counters) {
  const auto now = stamp_of(path_);
  if (now == last_attempt_) return;
  last_attempt_ = now;
  if (now.size < 0) {
    spdlog::error("CRL file {} cannot be read any more; keeping the CRLs loaded before", path_);
    counters.add(Counter::crl_file_reload_failures);
    return;
  }
  try {
    auto next = read();
    const auto crls = next->size();
    current_.store(std::move(next), std::memory_order_release);
    version_.fetch_add(1, std::memory_order_acq_rel);
    counters.add(Counter::crl_file_reloads);
    spdlog::info("CRL file {} changed: reloaded {} CRL(s)", path_, crls);
  } catch (const std::exception& e) {
    counters.add(Counter::crl_file_reload_failures);
    spdlog::error("CRL file {} changed but was rejected, keeping the CRLs loaded before: {}", path_,
                  e.what());
  }
}

}  // namespace certgate::revocation
