#include "proxy/proxy_protocol.h"

#include <algorithm>
#include <array>

namespace certgate::proxy {
namespace {

constexpr unsigned char kSignature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                          0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr unsigned char kVersion2Proxy = 0x21;
constexpr unsigned char kTcpOverIpv4 = 0x11;
constexpr unsigned char kTcpOverIpv6 = 0x21;

constexpr unsigned char kTypeAuthority = 0x02;
constexpr unsigned char kTypeSsl = 0x20;
constexpr unsigned char kSubtypeSslVersion = 0x21;
constexpr unsigned char kSubtypeSslCn = 0x22;
constexpr unsigned char kSubtypeSslCipher = 0x23;

constexpr unsigned char kClientSsl = 0x01;
constexpr unsigned char kClientCertConn = 0x02;
constexpr unsigned char kClientCertSess = 0x04;

void put16(std::string& out, std::size_t value) {
  out.push_back(static_cast<char>((value >> 8) & 0xFF));
  out.push_back(static_cast<char>(value & 0xFF));
}

void put32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
}

void put_tlv(std::string& out, unsigned char type, std::string_view value) {
  value = value.substr(0, std::min(value.size(), std::size_t{1024}));  // bounded: a header, not a payload
  out.push_back(static_cast<char>(type));
  put16(out, value.size());
  out.append(value);
}

template <std::size_t N>
void put_bytes(std::string& out, const std::array<unsigned char, N>& bytes) {
  out.append(reinterpret_cast<const char*>(bytes.data()), N);
}

// Both ends in one family: IPv4 when both are (or map to) IPv4, else IPv6 (v4 as v4-mapped).
void put_addresses(std::string& out, unsigned char& family, const net::tcp::endpoint& src,
                   const net::tcp::endpoint& dst) {
  auto as_v4 = [](const net::asio::ip::address& a, net::asio::ip::address_v4& v4) {
    if (a.is_v4()) {
      v4 = a.to_v4();
      return true;
    }
    if (a.to_v6().is_v4_mapped()) {
      v4 = net::asio::ip::make_address_v4(net::asio::ip::v4_mapped, a.to_v6());
      return true;
    }
    return false;
  };
  auto as_v6 = [](const net::asio::ip::address& a) {
    return a.is_v6() ? a.to_v6() : net::asio::ip::make_address_v6(net::asio::ip::v4_mapped, a.to_v4());
  };
  net::asio::ip::address_v4 src4, dst4;
  if (as_v4(src.address(), src4) && as_v4(dst.address(), dst4)) {
    family = kTcpOverIpv4;
    put_bytes(out, src4.to_bytes());
    put_bytes(out, dst4.to_bytes());
  } else {
    family = kTcpOverIpv6;
    put_bytes(out, as_v6(src.address()).to_bytes());
    put_bytes(out, as_v6(dst.address()).to_bytes());
  }
  put16(out, src.port());
  put16(out, dst.port());
}

std::string ssl_value(const ProxyHeaderV2& h) {
  std::string value;
  unsigned char client = kClientSsl;
  if (h.certificate_on_connection) client |= kClientCertConn;
  if (h.certificate_in_session) client |= kClientCertSess;
  value.push_back(static_cast<char>(client));
  put32(value, h.verify);
  put_tlv(value, kSubtypeSslVersion, h.tls_version);
  if (!h.common_name.empty()) put_tlv(value, kSubtypeSslCn, h.common_name);
  if (!h.cipher.empty()) put_tlv(value, kSubtypeSslCipher, h.cipher);
  return value;
}

}  // namespace

std::string encode_proxy_v2(const ProxyHeaderV2& h) {
  std::string body;
  unsigned char family = kTcpOverIpv4;
  put_addresses(body, family, h.source, h.destination);
  if (!h.authority.empty()) put_tlv(body, kTypeAuthority, h.authority);
  const auto ssl = ssl_value(h);
  body.push_back(static_cast<char>(kTypeSsl));
  put16(body, ssl.size());
  body += ssl;

  std::string out(reinterpret_cast<const char*>(kSignature), sizeof(kSignature));
  out.push_back(static_cast<char>(kVersion2Proxy));
  out.push_back(static_cast<char>(family));
  put16(out, body.size());
  out += body;
  return out;
}

}  // namespace certgate::proxy
