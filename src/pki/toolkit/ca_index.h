// The CA's record of every certificate it issued and which of them are revoked (index.json). The CRL is
// generated from it, so it is the source of truth for revocation.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "pki/openssl_ptr.h"

namespace certgate::pki::toolkit {

// RFC 5280 CRLReason codes that make sense for a CA to set (removeFromCRL and privilegeWithdrawn left out).
enum class RevocationReason {
  unspecified = 0,
  key_compromise = 1,
  ca_compromise = 2,
  affiliation_changed = 3,
  superseded = 4,
  cessation_of_operation = 5,
  certificate_hold = 6,
};

std::optional<RevocationReason> parse_revocation_reason(const std::string& name);  // "keyCompromise"
std::string revocation_reason_name(RevocationReason reason);
std::vector<std::string> revocation_reason_names();

struct Revocation {
  std::time_t time = 0;
  RevocationReason reason = RevocationReason::unspecified;
};

struct IndexEntry {
  std::string serial;   // canonical uppercase hex, as serial_to_hex
  std::string subject;  // RFC 2253
  std::string profile;  // "client", "server" or "intermediate"
  std::string not_before;
  std::string not_after;  // RFC 3339
  std::string sha256_fingerprint;
  std::optional<Revocation> revocation;  // nullopt while the certificate is valid
};

IndexEntry index_entry_for(const X509* cert, const std::string& profile);

class CaIndex {
 public:
  // Throws std::runtime_error mentioning `what` (the file name) when the JSON is not an index.
  static CaIndex from_json(const std::string& text, const std::string& what);
  std::string to_json() const;

  const std::vector<IndexEntry>& entries() const { return entries_; }
  IndexEntry* find(const std::string& serial);
  void add(IndexEntry entry);  // throws if the serial is already recorded
  std::vector<IndexEntry> revoked() const;

 private:
  std::vector<IndexEntry> entries_;
};

std::optional<std::time_t> parse_rfc3339(const std::string& text);  // only the "...T...Z" form we write

}  // namespace certgate::pki::toolkit
