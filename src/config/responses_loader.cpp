#include "config/responses_loader.h"

namespace certgate::config {

Responses read_responses(const YamlReader& reader, const YAML::Node& node, Responses base) {
  reader.expect_map(node, "responses", {"no_certificate", "invalid_certificate", "forbidden"});
  for (const auto& entry : node) {
    const auto name = entry.first.as<std::string>();
    const auto kind = refusal_kind_from_name(name);
    if (!kind) reader.fail(entry.first, "responses: unknown refusal kind '" + name + "'");
    const std::string what = "responses." + name;
    reader.expect_map(entry.second, what, {"status"});
    const auto status = entry.second["status"];
    if (!status) reader.fail(entry.second, what + " needs 'status'");
    // A refusal must read as one to clients, caches and monitoring: a client (4xx) or server (5xx) error.
    base.status[static_cast<std::size_t>(*kind)] =
        static_cast<unsigned>(reader.integer(status, what + ".status", 400, 599));
  }
  return base;
}

}  // namespace certgate::config
