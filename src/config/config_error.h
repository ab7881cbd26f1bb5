// A configuration problem, always tied to where it was written so the operator can fix it.
#pragma once

#include <stdexcept>
#include <string>

#include "config/config.h"

namespace certgate::config {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(const SourceMark& mark, const std::string& reason)
      : std::runtime_error(format(mark, reason)), mark_(mark), reason_(reason) {}

  const SourceMark& mark() const { return mark_; }
  const std::string& reason() const { return reason_; }

 private:
  static std::string format(const SourceMark& mark, const std::string& reason) {
    if (mark.line > 0) return mark.file + ":" + std::to_string(mark.line) + ": " + reason;
    if (!mark.file.empty()) return mark.file + ": " + reason;
    return reason;
  }
  SourceMark mark_;
  std::string reason_;
};

}  // namespace certgate::config
