// `pki init-ca` and `pki init-intermediate`: create a CA directory (layout in ca_directory.h).
#pragma once

#include <string>

#include "pki/toolkit/file_output.h"
#include "pki/toolkit/key_generator.h"

namespace certgate::pki::toolkit {

struct CaOptions {
  std::string dir;
  std::string name;  // the CA's common name
  KeyType key_type = kDefaultKeyType;
  int days = 3650;
  std::string crl_url;   // put into certificates this CA issues
  std::string ocsp_url;  // likewise
  bool force = false;    // replace a CA already in `dir`
  // Intermediates only:
  std::string parent_dir;
  long path_len = 0;  // how many further intermediates may sit below this one
};

Report init_root_ca(const CaOptions& options);
Report init_intermediate_ca(const CaOptions& options);

}  // namespace certgate::pki::toolkit
