#include "http/xfcc.h"

#include <boost/beast/core/string.hpp>

namespace certgate::http {
namespace {

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

// Also a value that starts or ends with a space or tab: parsers trim those from an unquoted value, so a
// DNS SAN "a.test " would otherwise read back as "a.test" (found by fuzz/xfcc.cpp).
bool needs_quotes(std::string_view value) {
  return value.find_first_of(",;=\"") != std::string_view::npos ||
         (!value.empty() && (is_ows(value.front()) || is_ows(value.back())));
}

// A cursor over the header value; each parse step returns false on malformed input.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skip_ows() {
    while (!done() && is_ows(peek()))
      ++pos_;
  }
  bool take(char c) {
    if (done() || peek() != c) return false;
    ++pos_;
    return true;
  }

  bool key(std::string& out) {
    skip_ows();
    const auto start = pos_;
    while (!done() && peek() != '=' && peek() != ',' && peek() != ';' && peek() != '"')
      ++pos_;
    out.assign(trim_end(text_.substr(start, pos_ - start)));
    return !out.empty() && take('=');
  }

  bool value(std::string& out) {
    out.clear();
    if (take('"')) {
      for (;;) {
        if (done()) return false;  // unterminated
        const char c = text_[pos_++];
        if (c == '"') break;
        if (c == '\\') {
          if (done()) return false;
          out.push_back(text_[pos_++]);
        } else {
          out.push_back(c);
        }
      }
      skip_ows();
      return done() || peek() == ',' || peek() == ';';
    }
    const auto start = pos_;
    while (!done() && peek() != ',' && peek() != ';') {
      // Envoy leaves URI and By values unquoted even when they hold '=': accept that, not a stray quote.
      if (peek() == '"') return false;
      ++pos_;
    }
    out.assign(trim_end(text_.substr(start, pos_ - start)));
    return true;
  }

 private:
  static std::string_view trim_end(std::string_view s) {
    while (!s.empty() && is_ows(s.back()))
      s.remove_suffix(1);
    return s;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

void append_xfcc_pair(std::string& element, std::string_view key, std::string_view value, bool always_quote) {
  if (!element.empty()) element.push_back(';');
  element.append(key);
  element.push_back('=');
  if (!always_quote && !needs_quotes(value)) {
    element.append(value);
    return;
  }
  element.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') element.push_back('\\');
    element.push_back(c);
  }
  element.push_back('"');
}

std::optional<std::vector<XfccElement>> parse_xfcc(std::string_view header) {
  std::vector<XfccElement> elements;
  Reader in(header);
  in.skip_ows();
  if (in.done()) return elements;
  elements.emplace_back();
  for (;;) {
    XfccPair pair;
    if (!in.key(pair.key) || !in.value(pair.value)) return std::nullopt;
    elements.back().push_back(std::move(pair));
    if (in.done()) return elements;
    if (in.take(',')) {
      elements.emplace_back();
    } else if (!in.take(';')) {
      return std::nullopt;
    }
  }
}

const std::string* xfcc_value(const XfccElement& element, std::string_view key) {
  for (const auto& pair : element) {
    if (boost::beast::iequals(pair.key, key)) return &pair.value;
  }
  return nullptr;
}

}  // namespace certgate::http
