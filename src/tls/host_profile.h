// What the TLS layer must know about a host before the handshake: whether to ask for a client
// certificate, and which session-resumption context its tickets belong to.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

namespace certgate::tls {

struct HostProfile {
  bool request_client_cert = false;
  // Distinguishes the trust set: a ticket issued under one profile never resumes under another.
  std::string session_context;
};

class HostProfiles {
 public:
  void add(std::string host, HostProfile profile) { by_host_[std::move(host)] = std::move(profile); }
  void set_no_sni(HostProfile profile) { no_sni_ = std::move(profile); }

  // Exact host first, then the "*.parent" wildcard; null when no route names the host.
  const HostProfile* find(std::string_view host) const;
  const HostProfile& no_sni() const { return no_sni_; }

 private:
  std::unordered_map<std::string, HostProfile> by_host_;
  HostProfile no_sni_;
};

}  // namespace certgate::tls
