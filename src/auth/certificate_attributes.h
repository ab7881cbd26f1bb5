// What identity mapping and policy look at in a client certificate, extracted once per connection
// (PeerCertificate::attributes) so that each request only compares strings.
#pragma once

#include <string>
#include <vector>

#include "pki/openssl_ptr.h"

namespace certgate::auth {

// A name the certificate claims, in the order credentials are looked up: each SAN value, then each CN.
struct SubjectName {
  std::string value;
  bool email = false;  // an rfc822Name SAN: compared case-insensitively
};

struct CertificateAttributes {
  std::string subject;                    // RFC 2253
  std::string issuer;                     // RFC 2253
  std::vector<std::string> common_names;  // in subject order
  std::vector<std::string> emails;        // SAN emails, else the subject's emailAddress; lowercase
  std::vector<std::string> san_emails;    // lowercase
  std::vector<std::string> san_dns;
  std::vector<std::string> san_uris;
  std::vector<std::string> san_ips;  // as inet_ntop prints them
  std::vector<SubjectName> subject_names;
  std::string fingerprint;  // SHA-256 of the DER, lowercase hex
  std::string spki_hash;    // base64 SHA-256 of the SubjectPublicKeyInfo
  // skip_consumer_lookup groups: the CNs (control characters replaced), and their X-Consumer-Groups form.
  std::vector<std::string> cn_groups;
  std::string cn_groups_header;
  std::vector<std::string> dn_group;  // the subject DN, alone
};

CertificateAttributes read_certificate_attributes(const X509* cert);

}  // namespace certgate::auth
