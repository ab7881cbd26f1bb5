#include "pki/toolkit/revocation.h"

#include <stdexcept>

#include "pki/cert_info.h"
#include "pki/pem.h"
#include "pki/toolkit/ca_directory.h"
#include "pki/toolkit/crl_builder.h"
#include "pki/toolkit/serial_number.h"

namespace certgate::pki::toolkit {
namespace {

// The serial to revoke. A certificate given by file must be signed by this CA; if the index lost track
// of it (restored backup, copied directory) it is added, because revoking it must still be possible.
std::string serial_to_revoke(const RevokeOptions& options, const CertificateAuthority& ca, CaIndex& index) {
  if (options.cert_file.empty()) {
    const auto serial = normalize_serial_hex(options.serial);
    if (!serial) throw std::runtime_error("not a hex serial number: '" + options.serial + "'");
    if (!index.find(*serial)) {
      throw std::runtime_error("serial " + *serial + " is not in " + ca.paths.index() +
                               " (use --cert if this CA issued it)");
    }
    return *serial;
  }
  const auto cert = parse_certificate_any(read_file(options.cert_file), options.cert_file);
  if (X509_check_issued(ca.cert.get(), cert.get()) != X509_V_OK ||
      X509_verify(cert.get(), X509_get0_pubkey(ca.cert.get())) != 1) {
    ERR_clear_error();
    throw std::runtime_error(options.cert_file + " was not issued by " + ca.paths.cert());
  }
  const auto serial = serial_hex(cert.get());
  if (!index.find(serial)) index.add(index_entry_for(cert.get(), "unrecorded"));
  return serial;
}

std::string revocation_text(const Revocation& revocation) {
  return revocation_reason_name(revocation.reason) + " at " + rfc3339(revocation.time);
}

}  // namespace

Report revoke_certificate(const RevokeOptions& options) {
  if (options.serial.empty() == options.cert_file.empty()) {
    throw std::runtime_error("pki revoke needs exactly one of --serial and --cert");
  }
  const auto ca = load_ca(options.ca_dir);
  const CaLock lock(ca.paths);
  auto index = load_index(ca.paths);
  const auto serial = serial_to_revoke(options, ca, index);
  IndexEntry* entry = index.find(serial);
  if (entry->revocation) {
    throw std::runtime_error("serial " + serial + " is already revoked (" +
                             revocation_text(*entry->revocation) + ")");
  }
  entry->revocation = Revocation{options.now != 0 ? options.now : std::time(nullptr), options.reason};
  save_index(ca.paths, index);
  return {wrote(ca.paths.index(), "revoked serial " + serial + " " + entry->subject + ", " +
                                      revocation_text(*entry->revocation)),
          "run `certgate pki crl --ca " + options.ca_dir + " --out FILE` to publish the revocation"};
}

Report publish_crl(const CrlOptions& options) {
  if (options.days < 1) throw std::runtime_error("--days must be at least 1");
  const auto ca = load_ca(options.ca_dir);
  check_can_write({options.out}, options.force);
  const CaLock lock(ca.paths);
  const auto revoked = load_index(ca.paths).revoked();
  const auto number = read_crl_number(ca.paths);
  const auto crl = build_crl(ca.cert.get(), ca.key.get(), revoked, CrlSpec{number, options.days, 0});
  // Consume the number before publishing: a skipped number is harmless, two CRLs sharing one are not.
  write_crl_number(ca.paths, number + 1);
  write_file_atomic(options.out, crl_to_pem(crl.get()), FileMode::shared);
  const auto next_update = to_time_t(X509_CRL_get0_nextUpdate(crl.get()));
  return {wrote(ca.paths.crl_number(), "next CRL number " + std::to_string(number + 1)),
          wrote(options.out, "CRL number " + std::to_string(number) + ", " + std::to_string(revoked.size()) +
                                 " revoked, next update " + (next_update ? rfc3339(*next_update) : "?"))};
}

}  // namespace certgate::pki::toolkit
