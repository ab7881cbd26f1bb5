// `mtls.allowed_signature_algorithms` (global or per route): a list of OpenSSL signature algorithm names,
// short or long ("ecdsa-with-SHA256", "sha256WithRSAEncryption", "RSA-SHA256", "rsassaPss", "ED25519").
// docs/configuration.md describes the key; pki/signature_algorithms.h applies it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <vector>

#include "config/yaml_reader.h"

namespace certgate::config {

// The NIDs of the listed algorithms, in order, without duplicates. Throws ConfigError at the item's line
// for a name OpenSSL does not know or that is not a signature algorithm, and for an empty list.
std::vector<int> read_signature_algorithms(const YamlReader& reader, const YAML::Node& list);

}  // namespace certgate::config
