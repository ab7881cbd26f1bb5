// XFCC parsing (http/xfcc): any header value parses or is refused; what parses, written back with
// append_xfcc_pair (the writer certgate uses upstream), reads back as the same keys and values.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/xfcc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const auto elements = certgate::http::parse_xfcc(header);
  if (!elements) return 0;
  std::string written;
  for (const auto& element : *elements) {
    FUZZ_CHECK(!element.empty());
    std::string one;
    for (const auto& pair : element) {
      FUZZ_CHECK(!pair.key.empty());
      FUZZ_CHECK(certgate::http::xfcc_value(element, pair.key) != nullptr);
      certgate::http::append_xfcc_pair(one, pair.key, pair.value);
    }
    if (!written.empty()) written.push_back(',');
    written += one;
  }
  const auto again = certgate::http::parse_xfcc(written);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->size() == elements->size());
  for (std::size_t i = 0; i < elements->size(); ++i) {
    FUZZ_CHECK((*again)[i].size() == (*elements)[i].size());
    for (std::size_t j = 0; j < (*elements)[i].size(); ++j) {
      FUZZ_CHECK((*again)[i][j].key == (*elements)[i][j].key);
      FUZZ_CHECK((*again)[i][j].value == (*elements)[i][j].value);
    }
  }
  return 0;
}
