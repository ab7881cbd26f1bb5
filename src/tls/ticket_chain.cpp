#include "tls/ticket_chain.h"

#include <cstdint>

namespace certgate::tls {
namespace {
constexpr unsigned char kFormatVersion = 1;
}

// Layout: version byte, then for each certificate a 3-byte big-endian length and its DER.
std::string encode_ticket_chain(STACK_OF(X509) * chain) {
  std::string out(1, static_cast<char>(kFormatVersion));
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    const int len = i2d_X509(sk_X509_value(chain, i), nullptr);
    if (len <= 0 || len > 0xFFFFFF) continue;
    out.push_back(static_cast<char>((len >> 16) & 0xFF));
    out.push_back(static_cast<char>((len >> 8) & 0xFF));
    out.push_back(static_cast<char>(len & 0xFF));
    const auto offset = out.size();
    out.resize(offset + static_cast<std::size_t>(len));
    auto* p = reinterpret_cast<unsigned char*>(out.data() + offset);
    i2d_X509(sk_X509_value(chain, i), &p);
  }
  return out;
}

std::optional<pki::X509StackPtr> decode_ticket_chain(const void* data, std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  if (size < 1 || p[0] != kFormatVersion) return std::nullopt;
  pki::X509StackPtr chain(sk_X509_new_null());
  std::size_t pos = 1;
  while (pos < size) {
    if (size - pos < 3) return std::nullopt;
    const std::size_t len = (std::size_t(p[pos]) << 16) | (std::size_t(p[pos + 1]) << 8) | p[pos + 2];
    pos += 3;
    if (len == 0 || size - pos < len) return std::nullopt;
    const unsigned char* der = p + pos;
    X509* cert = d2i_X509(nullptr, &der, static_cast<long>(len));
    if (!cert || der != p + pos + len) {
      X509_free(cert);
      return std::nullopt;
    }
    sk_X509_push(chain.get(), cert);
    pos += len;
  }
  return chain;
}

}  // namespace certgate::tls
