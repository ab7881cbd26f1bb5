#include "proxy/echo_upstream.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace certgate::proxy {

std::string echo_body(std::string_view method, std::string_view path,
                      const boost::beast::http::fields& fields) {
  nlohmann::ordered_json headers = nlohmann::ordered_json::object();
  for (const auto& field : fields) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto& slot = headers[name];
    if (slot.is_null()) {
      slot = std::string(field.value());
    } else {
      slot = slot.get<std::string>() + ", " + std::string(field.value());
    }
  }
  nlohmann::ordered_json body = {{"method", method}, {"path", path}, {"headers", std::move(headers)}};
  return body.dump(2) + "\n";
}

}  // namespace certgate::proxy
