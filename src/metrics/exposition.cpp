#include "metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace certgate::metrics {

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void TextWriter::family(std::string_view name, std::string_view type, std::string_view help) {
  out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void TextWriter::labels(std::initializer_list<Label> labels, std::string_view extra_name,
                        std::string_view extra_value) {
  if (labels.size() == 0 && extra_name.empty()) return;
  out_ += '{';
  bool first = true;
  auto add = [&](std::string_view name, std::string_view value) {
    if (!first) out_ += ',';
    first = false;
    out_.append(name).append("=\"").append(escape_label_value(value)).append("\"");
  };
  for (const auto& [name, value] : labels)
    add(name, value);
  if (!extra_name.empty()) add(extra_name, extra_value);
  out_ += '}';
}

void TextWriter::sample(std::string_view name, std::initializer_list<Label> l, std::uint64_t value) {
  out_.append(name);
  labels(l);
  out_.append(" ").append(std::to_string(value)).append("\n");
}

void TextWriter::sample(std::string_view name, std::initializer_list<Label> l, std::int64_t value) {
  out_.append(name);
  labels(l);
  out_.append(" ").append(std::to_string(value)).append("\n");
}

void TextWriter::sample(std::string_view name, std::initializer_list<Label> l, double value) {
  out_.append(name);
  labels(l);
  // The shortest text that reads back as the same double (60.0021, not 60.002099999999999).
  char text[64];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  out_.append(" ");
  if (ec == std::errc() && std::isfinite(value)) {
    out_.append(text, end);
  } else {
    out_.append("NaN");
  }
  out_.append("\n");
}

void TextWriter::bucket_line(std::string_view name, std::initializer_list<Label> l, const std::string& le,
                             std::uint64_t value) {
  out_.append(name).append("_bucket");
  labels(l, "le", le);
  out_.append(" ").append(std::to_string(value)).append("\n");
}

std::string TextWriter::format_seconds(std::uint64_t micros) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", static_cast<double>(micros) / 1e6);
  return text;
}

}  // namespace certgate::metrics
