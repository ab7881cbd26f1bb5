#include "config/signature_algorithm_loader.h"

#include <openssl/err.h>
#include <openssl/objects.h>

#include <algorithm>

namespace certgate::config {

std::vector<int> read_signature_algorithms(const YamlReader& reader, const YAML::Node& list) {
  constexpr std::string_view what = "mtls.allowed_signature_algorithms";
  reader.expect_sequence(list, what);
  if (list.size() == 0) {
    reader.fail(list,
                std::string(what) + " must list at least one algorithm (leave the key out to allow any)");
  }
  std::vector<int> nids;
  for (const auto& item : list) {
    const auto name = reader.scalar(item, what);
    // OBJ_txt2nid takes a short name, a long name or a dotted OID; only signature algorithms (a digest
    // and key type pair, or a pure signature such as Ed25519) are accepted.
    const int nid = OBJ_txt2nid(name.c_str());
    int digest = 0;
    int key = 0;
    if (nid == NID_undef || OBJ_find_sigid_algs(nid, &digest, &key) != 1) {
      ERR_clear_error();
      reader.fail(item, std::string(what) + ": '" + name +
                            "' is not a signature algorithm OpenSSL knows (e.g. ecdsa-with-SHA256, "
                            "ecdsa-with-SHA384, sha256WithRSAEncryption, rsassaPss, ED25519)");
    }
    if (std::find(nids.begin(), nids.end(), nid) == nids.end()) nids.push_back(nid);
  }
  return nids;
}

}  // namespace certgate::config
