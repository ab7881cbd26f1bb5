// Ticket chain decoding (tls/ticket_chain): the application data of a session ticket. Any bytes decode or
// are refused; what decodes, encoded again, decodes to the same certificates.
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"
#include "tls/ticket_chain.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto chain = certgate::tls::decode_ticket_chain(data, size);
  if (!chain) return 0;
  const auto encoded = certgate::tls::encode_ticket_chain(chain->get());
  const auto again = certgate::tls::decode_ticket_chain(encoded.data(), encoded.size());
  FUZZ_CHECK(again.has_value());
  const int n = sk_X509_num(chain->get());
  FUZZ_CHECK(sk_X509_num(again->get()) == n);
  for (int i = 0; i < n; ++i)
    FUZZ_CHECK(X509_cmp(sk_X509_value(chain->get(), i), sk_X509_value(again->get(), i)) == 0);
  return 0;
}
