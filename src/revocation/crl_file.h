// One configured `crl_file`, checked against the trust bundle of the routes that use it. Workers read
// the current CRLs through an atomic snapshot (no lock); the watcher (revocation/service.h) re-reads
// the file when it changes on disk and swaps a new snapshot in. A file that no longer parses or
// verifies keeps the previous CRLs and the reason is logged.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"
#include "pki/trust_bundle.h"
#include "revocation/crl_set.h"
#include "revocation/metrics.h"

namespace certgate::revocation {

class CrlFile {
 public:
  // Reads and checks the file; throws config::ConfigError at the crl_file line.
  static std::shared_ptr<CrlFile> load(const config::CrlFileSource& source,
                                       std::shared_ptr<const pki::TrustBundle> bundle);

  // The CRLs in force. Lock-free for readers.
  std::shared_ptr<const CrlSet> current() const { return current_.load(std::memory_order_acquire); }
  // Changes whenever current() does; lets callers keep a result until the file changes.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  const std::string& path() const { return path_; }

  // Re-reads the file if it changed on disk since the last attempt. Called by the watcher thread only.
  // `counters`: the watcher's block, for reloads and failed reloads.
  void poll(Counters& counters);

 private:
  struct Stamp {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = -1;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  CrlFile(std::string path, std::shared_ptr<const pki::TrustBundle> bundle)
      : path_(std::move(path)), bundle_(std::move(bundle)) {}
  static Stamp stamp_of(const std::string& path);
  std::shared_ptr<const CrlSet> read() const;  // throws std::runtime_error

  std::string path_;
  std::shared_ptr<const pki::TrustBundle> bundle_;
  std::atomic<std::shared_ptr<const CrlSet>> current_;
  std::atomic<uint64_t> version_{1};
  Stamp last_attempt_;  // watcher thread only (after load)
};

}  // namespace certgate::revocation
