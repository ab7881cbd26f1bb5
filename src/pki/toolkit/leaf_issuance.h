// `pki issue client|server`: a new key and a leaf certificate signed by a CA directory's CA.
#pragma once

#include <string>
#include <vector>

#include "pki/toolkit/certificate_builder.h"
#include "pki/toolkit/file_output.h"
#include "pki/toolkit/key_generator.h"

namespace certgate::pki::toolkit {

struct LeafOptions {
  Profile profile = Profile::client;  // client or server
  std::string ca_dir;
  std::string common_name;  // servers: defaults to the first DNS name (or IP)
  std::string organization;
  std::vector<std::string> dns;
  std::vector<std::string> ips;
  std::vector<std::string> emails;
  std::vector<std::string> uris;
  int days = 365;
  KeyType key_type = kDefaultKeyType;
  std::string out_prefix;  // writes PREFIX.pem, PREFIX.key and, below an intermediate, PREFIX-chain.pem
  bool force = false;
};

Report issue_leaf(const LeafOptions& options);

}  // namespace certgate::pki::toolkit
