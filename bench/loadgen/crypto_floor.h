// --crypto-floor: the asymmetric cryptography a server must do per full mTLS TLS 1.3 handshake.
#pragma once

namespace certgate::bench {

int run_crypto_floor(int iterations, bool json);

}  // namespace certgate::bench
