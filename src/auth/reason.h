// auth's name for the reason codes. The codes live in common/reason.h so that pki, tls and revocation can
// return them without including auth; this header keeps `auth::Reason` working for auth and its callers.
#pragma once

#include "common/reason.h"

namespace certgate::auth {

using Reason = certgate::Reason;
using certgate::to_string;

}  // namespace certgate::auth
