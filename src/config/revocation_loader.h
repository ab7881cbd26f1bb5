// The revocation keys of an `mtls` block (global or per route):
//   crl_file: FILE | ""     crl_scope: leaf | chain
//   revocation: { mode, ocsp, crl_distribution_points, ocsp_responder, cache_ttl, timeout, max_crl_size }
// docs/revocation.md describes them. loader.cpp calls these; they throw ConfigError with file:line.
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace certgate::config {

// Reads `crl_file`, `crl_scope` and `revocation` from the mtls block `mtls` into `out`.
void read_revocation_keys(const YamlReader& reader, const YAML::Node& mtls, MtlsSettings& out);

// Route value, else global value, else default; key by key, also inside `revocation`.
void merge_revocation(const MtlsSettings& route, const MtlsSettings& global, EffectiveMtls& out);

std::string to_string(RevocationMode mode);

}  // namespace certgate::config
