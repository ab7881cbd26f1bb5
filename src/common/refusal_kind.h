// The kinds of refusal a person can act on, each with its own status (the `responses:` config block) and
// its own advice page: no certificate, a certificate that was refused, and a certificate that is fine but
// not allowed here. Every reason code maps to one kind or to none (docs/refusals.md has the table).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/reason.h"

namespace certgate {

enum class RefusalKind : uint8_t {
  none,  // not a refusal of the client's credentials (400, 404, 502, ...): the status stays
  no_certificate,
  invalid_certificate,
  forbidden,
};

// The kinds `responses:` may name, in their documented order.
inline constexpr std::array<RefusalKind, 3> kConfigurableRefusalKinds = {
    RefusalKind::no_certificate, RefusalKind::invalid_certificate, RefusalKind::forbidden};

RefusalKind refusal_kind(Reason reason);

std::string_view to_string(RefusalKind kind);

// The kind a `responses:` key names; nullopt for anything else (including "none").
std::optional<RefusalKind> refusal_kind_from_name(std::string_view name);

}  // namespace certgate
