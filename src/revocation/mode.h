// What a revocation status means under a route's revocation.mode (docs/revocation.md):
//
//   status    ignore_ca_error             strict
//   good      pass                        pass
//   revoked   reject (revoked)            reject (revoked)
//   unknown   pass, with a warning        reject (revocation_unknown)
//
// `skip` never gets here: nothing is checked.
#pragma once

#include "common/reason.h"
#include "config/config.h"
#include "revocation/verdict.h"

namespace certgate::revocation {

struct ModeOutcome {
  bool reject = false;
  Reason reason = Reason::allowed;  // why, when rejected
  bool warn = false;                // passed without a positive answer
};

ModeOutcome apply_mode(config::RevocationMode mode, Status status);

}  // namespace certgate::revocation
