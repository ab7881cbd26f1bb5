#include "revocation/mode.h"

namespace certgate::revocation {

ModeOutcome apply_mode(config::RevocationMode mode, Status status) {
  using config::RevocationMode;
  if (mode == RevocationMode::skip || status == Status::good) return {};
  if (status == Status::revoked) return {true, Reason::revoked, false};
  if (mode == RevocationMode::strict) return {true, Reason::revocation_unknown, false};
  return {false, Reason::allowed, true};
}

}  // namespace certgate::revocation
