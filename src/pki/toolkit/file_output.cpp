#include "pki/toolkit/file_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace certgate::pki::toolkit {
namespace {

std::runtime_error errno_error(const std::string& what, const std::string& path) {
  return std::runtime_error("cannot " + what + " " + path + ": " + std::strerror(errno));
}

// A temporary name next to the target; mkstemp guarantees it did not exist before.
int create_temporary(const std::string& path, std::string& temp_path) {
  std::string pattern = path + ".tmp-XXXXXX";
  const int fd = mkstemp(pattern.data());
  if (fd < 0) throw errno_error("create a file next to", path);
  temp_path = pattern;
  return fd;
}

void write_all(int fd, const std::string& content, const std::string& path) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw errno_error("write", path);
    done += static_cast<std::size_t>(n);
  }
}

void apply_mode(int fd, FileMode mode, const std::string& path) {
  // mkstemp creates 0600; shared files get the usual 0666 & ~umask.
  mode_t wanted = 0600;
  if (mode == FileMode::shared) {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    wanted = 0666 & ~mask;
  }
  if (::fchmod(fd, wanted) != 0) throw errno_error("set the mode of", path);
}

}  // namespace

std::string wrote(const std::string& path, const std::string& description) {
  return "wrote " + path + " (" + description + ")";
}

void check_can_write(const std::vector<std::string>& paths, bool force) {
  for (const auto& path : paths) {
    std::error_code ec;
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
      throw std::runtime_error("cannot write " + path + ": directory " + parent.string() + " does not exist");
    }
    if (!force && std::filesystem::exists(path, ec)) {
      throw std::runtime_error(path + " already exists (use --force to overwrite)");
    }
  }
}

void write_file_atomic(const std::string& path, const std::string& content, FileMode mode) {
  std::string temp_path;
  const int fd = create_temporary(path, temp_path);
  try {
    apply_mode(fd, mode, temp_path);
    write_all(fd, content, temp_path);
    if (::fsync(fd) != 0) throw errno_error("flush", temp_path);
  } catch (...) {
    ::close(fd);
    ::unlink(temp_path.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    const auto error = errno_error("close", temp_path);
    ::unlink(temp_path.c_str());
    throw error;
  }
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp_path.c_str());
    errno = saved;
    throw errno_error("write", path);
  }
}

}  // namespace certgate::pki::toolkit
