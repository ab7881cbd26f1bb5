#pragma once

namespace certgate {
inline constexpr const char* kVersion = CERTGATE_VERSION;
}
