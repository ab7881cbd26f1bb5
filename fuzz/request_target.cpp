// Request target normalization (http/request_target): the path the gateway authorizes is the path the
// upstream receives, so a normalized target must be stable (normalizing it again changes nothing) and
// free of the forms it promises to remove.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/request_target.h"

namespace {

void check_normalized(const certgate::http::RequestTarget& t) {
  FUZZ_CHECK(!t.path.empty() && t.path.front() == '/');
  FUZZ_CHECK(t.query.empty() || t.query.front() == '?');
  FUZZ_CHECK(t.path.find("//") == std::string::npos);
  for (std::string_view p : {std::string_view(t.path), t.routing_path()}) {
    FUZZ_CHECK(p.find("/../") == std::string_view::npos && p.find("/./") == std::string_view::npos);
    FUZZ_CHECK(!p.ends_with("/..") && !p.ends_with("/."));
  }
  const auto again = certgate::http::normalize_target(t.path + t.query);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->path == t.path && again->query == t.query);
  FUZZ_CHECK(again->routing_path() == t.routing_path());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (const auto target = certgate::http::normalize_target(input)) check_normalized(*target);
  if (const auto absolute = certgate::http::split_absolute_form(input)) {
    FUZZ_CHECK(!absolute->authority.empty());
    FUZZ_CHECK(absolute->authority.find('@') == std::string_view::npos);
    FUZZ_CHECK(!absolute->origin_form.empty() && absolute->origin_form.front() == '/');
    if (const auto target = certgate::http::normalize_target(absolute->origin_form))
      check_normalized(*target);
  }
  certgate::http::host_without_port(input);
  return 0;
}
