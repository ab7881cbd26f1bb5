// The `consumers` list and a route's `identity` block (docs/identity-and-policy.md). Every error is a
// ConfigError at the line of the offending key or item.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace certgate::config {

// The UUID namespace of consumer ids derived from usernames.
inline constexpr std::string_view kConsumerIdNamespace = "696270c7-e9cd-4c6c-bd7e-8b3ac0ad1e9b";

// A stable id for a consumer without `id`: the name-based UUID (version 5, SHA-1) of its username in
// kConsumerIdNamespace, so Python's uuid.uuid5(uuid.UUID(kConsumerIdNamespace), username) agrees.
std::string consumer_uuid(std::string_view username);

// Top-level `consumers`: usernames, ids, custom_ids and emails are unique; credentials are unambiguous.
std::vector<Consumer> read_consumers(const YamlReader& r, const YAML::Node& node);

// A route's `identity` block. Consumer references (anonymous, default_consumer) must name an existing
// consumer (username or id). Needs the route's effective mTLS settings.
IdentitySettings read_identity(const YamlReader& r, const YAML::Node& node, const Route& route,
                               const std::vector<Consumer>& consumers);

// The index of the consumer whose username or id is `node`'s value; fails at `node` when there is none.
std::size_t resolve_consumer(const YamlReader& r, const YAML::Node& node,
                             const std::vector<Consumer>& consumers, std::string_view what);

}  // namespace certgate::config
