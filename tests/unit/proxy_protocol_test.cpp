#include "proxy/proxy_protocol.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

using certgate::proxy::encode_proxy_v2;
using certgate::proxy::ProxyHeaderV2;
namespace ip = boost::asio::ip;

namespace {

const std::string kSignature("\r\n\r\n\0\r\nQUIT\n", 12);

unsigned u8(const std::string& s, std::size_t at) {
  return static_cast<unsigned char>(s.at(at));
}
unsigned u16(const std::string& s, std::size_t at) {
  return (u8(s, at) << 8) | u8(s, at + 1);
}

// type -> value, for a run of TLVs.
std::map<unsigned, std::string> tlvs(const std::string& s, std::size_t from, std::size_t to) {
  std::map<unsigned, std::string> out;
  while (from < to) {
    const unsigned type = u8(s, from);
    const unsigned len = u16(s, from + 1);
    EXPECT_LE(from + 3 + len, to) << "TLV overruns its container";
    out[type] = s.substr(from + 3, len);
    from += 3 + len;
  }
  return out;
}

ProxyHeaderV2 sample() {
  ProxyHeaderV2 h;
  h.source = {ip::make_address("192.0.2.10"), 51234};
  h.destination = {ip::make_address("198.51.100.1"), 8443};
  h.authority = "db.example.test";
  h.certificate_on_connection = true;
  h.certificate_in_session = true;
  h.verify = 0;
  h.tls_version = "TLSv1.3";
  h.cipher = "TLS_AES_128_GCM_SHA256";
  h.common_name = "alice";
  return h;
}

}  // namespace

TEST(ProxyProtocolV2, Ipv4HeaderWithSslTlvs) {
  const auto out = encode_proxy_v2(sample());
  ASSERT_GE(out.size(), 16u + 12u);
  EXPECT_EQ(out.substr(0, 12), kSignature);
  EXPECT_EQ(u8(out, 12), 0x21u);  // version 2, PROXY
  EXPECT_EQ(u8(out, 13), 0x11u);  // TCP over IPv4
  EXPECT_EQ(u16(out, 14), out.size() - 16);
  EXPECT_EQ(out.substr(16, 4), std::string("\xC0\x00\x02\x0A", 4));
  EXPECT_EQ(out.substr(20, 4), std::string("\xC6\x33\x64\x01", 4));
  EXPECT_EQ(u16(out, 24), 51234u);
  EXPECT_EQ(u16(out, 26), 8443u);

  const auto top = tlvs(out, 28, out.size());
  ASSERT_EQ(top.count(0x02), 1u);
  EXPECT_EQ(top.at(0x02), "db.example.test");
  ASSERT_EQ(top.count(0x20), 1u);
  const auto& ssl = top.at(0x20);
  ASSERT_GE(ssl.size(), 5u);
  EXPECT_EQ(u8(ssl, 0), 0x07u);  // PP2_CLIENT_SSL | CERT_CONN | CERT_SESS
  EXPECT_EQ(ssl.substr(1, 4), std::string(4, '\0'));
  const auto sub = tlvs(ssl, 5, ssl.size());
  EXPECT_EQ(sub.at(0x21), "TLSv1.3");
  EXPECT_EQ(sub.at(0x22), "alice");
  EXPECT_EQ(sub.at(0x23), "TLS_AES_128_GCM_SHA256");
}

TEST(ProxyProtocolV2, NoCertificateMeansNonZeroVerifyAndNoCn) {
  auto h = sample();
  h.certificate_on_connection = h.certificate_in_session = false;
  h.verify = 1;
  h.common_name = "";
  h.authority = "";
  const auto out = encode_proxy_v2(h);
  const auto top = tlvs(out, 28, out.size());
  EXPECT_EQ(top.count(0x02), 0u);
  const auto& ssl = top.at(0x20);
  EXPECT_EQ(u8(ssl, 0), 0x01u);
  EXPECT_EQ(ssl.substr(1, 4), std::string("\0\0\0\1", 4));
  const auto sub = tlvs(ssl, 5, ssl.size());
  EXPECT_EQ(sub.count(0x22), 0u);
  EXPECT_EQ(sub.at(0x21), "TLSv1.3");
}

TEST(ProxyProtocolV2, ResumedSessionHasCertificateInSessionOnly) {
  auto h = sample();
  h.certificate_on_connection = false;
  const auto out = encode_proxy_v2(h);
  EXPECT_EQ(u8(tlvs(out, 28, out.size()).at(0x20), 0), 0x05u);
}

TEST(ProxyProtocolV2, Ipv6AndMixedFamilies) {
  auto h = sample();
  h.source = {ip::make_address("2001:db8::1"), 1000};
  h.destination = {ip::make_address("2001:db8::2"), 443};
  auto out = encode_proxy_v2(h);
  EXPECT_EQ(u8(out, 13), 0x21u);  // TCP over IPv6
  EXPECT_EQ(out.substr(16, 16), std::string("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16));
  EXPECT_EQ(u16(out, 48), 1000u);
  EXPECT_EQ(u16(out, 50), 443u);

  // A v4-mapped client on a v4 listener address is plain IPv4.
  h.source = {ip::make_address("::ffff:192.0.2.7"), 1000};
  h.destination = {ip::make_address("192.0.2.1"), 443};
  out = encode_proxy_v2(h);
  EXPECT_EQ(u8(out, 13), 0x11u);
  EXPECT_EQ(out.substr(16, 4), std::string("\xC0\x00\x02\x07", 4));

  // A real v6 client with a v4 destination: both as IPv6.
  h.source = {ip::make_address("2001:db8::1"), 1000};
  out = encode_proxy_v2(h);
  EXPECT_EQ(u8(out, 13), 0x21u);
  EXPECT_EQ(out.substr(32, 16), std::string("\0\0\0\0\0\0\0\0\0\0\xff\xff\xC0\x00\x02\x01", 16));
}
