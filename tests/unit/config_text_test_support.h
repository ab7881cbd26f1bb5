// A fixture for tests that load config text: the loader checks that every file a config names exists,
// so the fixture creates empty ones in a directory of its own.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <initializer_list>
#include <string>

#include "config/config_error.h"
#include "config/loader.h"

namespace certgate::config::testing {

class ConfigTextTest : public ::testing::Test {
 protected:
  // Creates <TempDir>/<name>-<pid> holding empty c.pem, k.pem, ca.pem and `extra_files`.
  void make_dir(const std::string& name, std::initializer_list<const char*> extra_files = {}) {
    dir_ = ::testing::TempDir() + "/" + name + "-" + std::to_string(::getpid());
    std::string command =
        "mkdir -p " + dir_ + " && touch " + dir_ + "/c.pem " + dir_ + "/k.pem " + dir_ + "/ca.pem";
    for (const char* file : extra_files)
      command += " " + dir_ + "/" + file;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  Config load(const std::string& yaml) { return load_config_text(yaml, dir_ + "/certgate.yaml"); }
  // The loader's message, or "no error".
  std::string error(const std::string& yaml) {
    try {
      load(yaml);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  }
  std::string dir_;
};

}  // namespace certgate::config::testing
