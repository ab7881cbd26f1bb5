// PROXY protocol v2 encoding (proxy/proxy_protocol): a header built from fuzzed fields is decoded by the
// small, independent reader below (haproxy's doc/proxy-protocol.txt, section 2.2) and must give the
// fields back: addresses (v4-mapped addresses as IPv4 when both ends are IPv4), ports, the authority
// and the PP2_TYPE_SSL sub-TLVs, each cut at 1024 bytes as the encoder promises.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "fuzz_check.h"
#include "proxy/proxy_protocol.h"

namespace net = certgate::net;

namespace {

struct Decoded {
  unsigned family = 0;
  std::string source, destination;  // raw address bytes
  uint16_t source_port = 0, destination_port = 0;
  std::map<unsigned, std::string> tlvs;  // top-level TLVs by type
  uint8_t client = 0;
  uint32_t verify = 0;
  std::map<unsigned, std::string> ssl_tlvs;  // PP2_TYPE_SSL sub-TLVs by type
};

unsigned be16(const std::string& s, std::size_t at) {
  return (unsigned(uint8_t(s[at])) << 8) | uint8_t(s[at + 1]);
}

// Type-length-value list from `at` to the end of `s`; every TLV exactly once.
std::map<unsigned, std::string> read_tlvs(const std::string& s, std::size_t at) {
  std::map<unsigned, std::string> out;
  while (at < s.size()) {
    FUZZ_CHECK(s.size() - at >= 3);
    const unsigned type = uint8_t(s[at]);
    const unsigned len = be16(s, at + 1);
    FUZZ_CHECK(s.size() - at - 3 >= len);
    FUZZ_CHECK(out.emplace(type, s.substr(at + 3, len)).second);
    at += 3 + len;
  }
  return out;
}

Decoded decode(const std::string& h) {
  static const std::string kSignature("\r\n\r\n\0\r\nQUIT\n", 12);
  FUZZ_CHECK(h.size() >= 16 && h.compare(0, 12, kSignature) == 0);
  FUZZ_CHECK(uint8_t(h[12]) == 0x21);  // version 2, PROXY
  Decoded d;
  d.family = uint8_t(h[13]);
  FUZZ_CHECK(be16(h, 14) == h.size() - 16);
  const std::size_t address_size = d.family == 0x11 ? 4 : 16;
  FUZZ_CHECK(d.family == 0x11 || d.family == 0x21);
  FUZZ_CHECK(h.size() >= 16 + 2 * address_size + 4);
  d.source = h.substr(16, address_size);
  d.destination = h.substr(16 + address_size, address_size);
  d.source_port = static_cast<uint16_t>(be16(h, 16 + 2 * address_size));
  d.destination_port = static_cast<uint16_t>(be16(h, 18 + 2 * address_size));
  d.tlvs = read_tlvs(h, 20 + 2 * address_size);
  const auto ssl = d.tlvs.find(0x20);
  FUZZ_CHECK(ssl != d.tlvs.end() && ssl->second.size() >= 5);
  d.client = uint8_t(ssl->second[0]);
  for (int i = 1; i <= 4; ++i)
    d.verify = (d.verify << 8) | uint8_t(ssl->second[i]);
  d.ssl_tlvs = read_tlvs(ssl->second, 5);
  return d;
}

net::asio::ip::address address_from(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 2)) {
    case 0:
      return net::asio::ip::address_v4(in.ConsumeIntegral<uint32_t>());
    case 1: {  // v4-mapped: the encoder sends these as IPv4 when the other end is IPv4 too
      const auto v4 = net::asio::ip::address_v4(in.ConsumeIntegral<uint32_t>());
      return net::asio::ip::make_address_v6(net::asio::ip::v4_mapped, v4);
    }
    default: {
      net::asio::ip::address_v6::bytes_type bytes{};
      for (auto& b : bytes)
        b = in.ConsumeIntegral<uint8_t>();
      return net::asio::ip::address_v6(bytes);
    }
  }
}

std::optional<net::asio::ip::address_v4> as_v4(const net::asio::ip::address& a) {
  if (a.is_v4()) return a.to_v4();
  if (a.to_v6().is_v4_mapped()) return net::asio::ip::make_address_v4(net::asio::ip::v4_mapped, a.to_v6());
  return std::nullopt;
}

std::string bytes_of(const net::asio::ip::address& a, bool v4) {
  if (v4) {
    const auto b = as_v4(a)->to_bytes();
    return std::string(b.begin(), b.end());
  }
  const auto b = a.is_v6() ? a.to_v6().to_bytes()
                           : net::asio::ip::make_address_v6(net::asio::ip::v4_mapped, a.to_v4()).to_bytes();
  return std::string(b.begin(), b.end());
}

std::string cut(const std::string& s) {
  return s.substr(0, 1024);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const auto src = address_from(in), dst = address_from(in);
  const auto src_port = in.ConsumeIntegral<uint16_t>(), dst_port = in.ConsumeIntegral<uint16_t>();
  const bool conn = in.ConsumeBool(), sess = in.ConsumeBool();
  const auto verify = in.ConsumeIntegral<uint32_t>();
  const auto authority = in.ConsumeRandomLengthString(2048);
  const auto version = in.ConsumeRandomLengthString(2048);
  const auto cipher = in.ConsumeRandomLengthString(2048);
  const auto cn = in.ConsumeRemainingBytesAsString();

  const auto header = certgate::proxy::encode_proxy_v2({.source = {src, src_port},
                                                        .destination = {dst, dst_port},
                                                        .authority = authority,
                                                        .certificate_on_connection = conn,
                                                        .certificate_in_session = sess,
                                                        .verify = verify,
                                                        .tls_version = version,
                                                        .cipher = cipher,
                                                        .common_name = cn});
  const auto d = decode(header);
  const bool v4 = as_v4(src) && as_v4(dst);
  FUZZ_CHECK(d.family == (v4 ? 0x11u : 0x21u));
  FUZZ_CHECK(d.source == bytes_of(src, v4) && d.destination == bytes_of(dst, v4));
  FUZZ_CHECK(d.source_port == src_port && d.destination_port == dst_port);
  FUZZ_CHECK(d.tlvs.size() == (authority.empty() ? 1u : 2u));
  if (!authority.empty()) FUZZ_CHECK(d.tlvs.at(0x02) == cut(authority));
  FUZZ_CHECK(d.client == (0x01 | (conn ? 0x02 : 0) | (sess ? 0x04 : 0)));
  FUZZ_CHECK(d.verify == verify);
  FUZZ_CHECK(d.ssl_tlvs.at(0x21) == cut(version));
  FUZZ_CHECK(d.ssl_tlvs.size() == 1u + !cn.empty() + !cipher.empty());
  if (!cn.empty()) FUZZ_CHECK(d.ssl_tlvs.at(0x22) == cut(cn));
  if (!cipher.empty()) FUZZ_CHECK(d.ssl_tlvs.at(0x23) == cut(cipher));
  return 0;
}
