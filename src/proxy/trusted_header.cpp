#include "proxy/trusted_header.h"

#include <boost/beast/core/string.hpp>

#include "auth/header_certificate.h"
#include "config/address_block.h"

namespace certgate::proxy {
namespace {

std::array<unsigned char, 16> mapped(const net::asio::ip::address& address) {
  if (address.is_v6()) return address.to_v6().to_bytes();
  std::array<unsigned char, 16> out{};
  out[10] = out[11] = 0xff;
  const auto v4 = address.to_v4().to_bytes();
  std::copy(v4.begin(), v4.end(), out.begin() + 12);
  return out;
}

}  // namespace

bool is_trusted_proxy(const config::Config& cfg, const net::asio::ip::address& address) {
  const auto bytes = mapped(address);
  for (const auto& block : cfg.trusted_proxies) {
    if (config::block_contains(block, bytes)) return true;
  }
  return false;
}

TrustedHeaderInput::TrustedHeaderInput(const config::Config& cfg, const net::asio::ip::address& peer_address)
    : trusted_(is_trusted_proxy(cfg, peer_address)) {
  if (trusted_ && cfg.client_certificate_header) {
    header_ = &*cfg.client_certificate_header;
    recent_ = std::make_unique<Recent>();
  }
}

auth::PeerCertificate& TrustedHeaderInput::certificate(const http::Fields& request,
                                                       auth::PeerCertificate& tls_peer) {
  if (!header_) return tls_peer;
  // Several copies: one value for XFCC (its elements are comma-separated), ambiguous for the others.
  auto& value = recent_->value;
  value.clear();
  std::size_t copies = 0;
  for (const auto& field : request) {
    if (!boost::beast::iequals(field.name_string(), header_->name)) continue;
    if (copies++ > 0) value.push_back(',');
    value.append(field.value());
  }
  if (copies == 0) return recent_->none;
  for (auto& entry : recent_->entries) {
    if (entry.copies == copies && entry.value == value) return entry.certificate;
  }
  auto& entry = recent_->entries[recent_->next];
  recent_->next = (recent_->next + 1) % recent_->entries.size();
  entry.value = value;
  entry.copies = copies;
  if (copies > 1 && header_->format != config::CertificateHeaderFormat::xfcc) {
    entry.certificate = auth::PeerCertificate::unreadable("the certificate header " + header_->name +
                                                          " was sent " + std::to_string(copies) + " times");
  } else {
    entry.certificate = auth::certificate_from_header(value, header_->format);
  }
  return entry.certificate;
}

}  // namespace certgate::proxy
