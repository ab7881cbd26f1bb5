#include "server/file_watcher.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace certgate::server {
namespace {

namespace fs = std::filesystem;

// Writes count only for the watched names; changes to the directory's entries count for any name,
// because a symlink swap (Kubernetes' `..data`) renames an entry that is none of the watched files.
constexpr uint32_t kContentEvents = IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB;
constexpr uint32_t kEntryEvents =
    IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW;

// The (directory, name) pairs whose changes can change what `file` reads: its own entry and, through
// symlinks, the entry of the file it finally points to.
std::vector<std::pair<std::string, std::string>> entries_of(const std::string& file) {
  std::vector<std::pair<std::string, std::string>> out;
  const fs::path path(file);
  out.emplace_back(path.parent_path().string(), path.filename().string());
  std::error_code ec;
  const auto target = fs::weakly_canonical(path, ec);
  if (!ec && target != path) out.emplace_back(target.parent_path().string(), target.filename().string());
  return out;
}

}  // namespace

FileWatcher::FileWatcher(net::asio::io_context& io, std::chrono::milliseconds debounce, Callback on_change)
    : io_(io), debounce_(debounce), on_change_(std::move(on_change)), timer_(io) {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    spdlog::warn("cannot watch the config files ({}); reload with SIGHUP", std::strerror(errno));
    return;
  }
  stream_ = std::make_unique<net::asio::posix::stream_descriptor>(io_, fd_);  // owns fd_ from here
  read_events();
}

FileWatcher::~FileWatcher() = default;

FileWatcher::Contents FileWatcher::read_contents(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return {true, data.size(), std::hash<std::string>{}(data)};
}

void FileWatcher::watch(const std::vector<std::string>& files) {
  std::map<std::string, Contents> next;
  for (const auto& file : files) {
    auto known = files_.find(file);
    next[file] = known != files_.end() ? known->second : read_contents(file);
  }
  files_ = std::move(next);
  update_directories();
}

void FileWatcher::refresh() {
  for (auto& [file, contents] : files_)
    contents = read_contents(file);
}

// Adds a watch for every directory that holds a watched entry now (a symlink may point elsewhere than
// before) and removes the ones that hold none any more.
void FileWatcher::update_directories() {
  if (!stream_) return;
  std::map<std::string, std::set<std::string>> wanted;
  for (const auto& [file, contents] : files_) {
    for (auto& [dir, name] : entries_of(file))
      wanted[dir].insert(name);
  }
  for (auto it = directories_.begin(); it != directories_.end();) {
    if (wanted.contains(it->second.path)) {
      ++it;
      continue;
    }
    ::inotify_rm_watch(fd_, it->first);
    it = directories_.erase(it);
  }
  for (auto& [dir, names] : wanted) {
    const int wd = ::inotify_add_watch(fd_, dir.c_str(), kContentEvents | kEntryEvents | IN_ONLYDIR);
    if (wd < 0) {
      spdlog::warn("cannot watch directory {} ({}); changes there need SIGHUP", dir, std::strerror(errno));
      continue;
    }
    directories_[wd] = Directory{dir, std::move(names)};
  }
}

void FileWatcher::read_events() {
  stream_->async_read_some(net::asio::buffer(buffer_), [this](const net::error_code& ec, std::size_t n) {
    if (ec == net::asio::error::operation_aborted) return;
    if (ec) {
      spdlog::warn("config file watching stopped ({}); reload with SIGHUP", ec.message());
      return;
    }
    if (relevant(buffer_.data(), n)) arm_debounce();
    read_events();
  });
}

bool FileWatcher::relevant(const char* events, std::size_t length) {
  bool any = false;
  for (std::size_t offset = 0; offset + sizeof(inotify_event) <= length;) {
    inotify_event event;
    std::memcpy(&event, events + offset, sizeof event);
    const std::string name = event.len ? std::string(events + offset + sizeof event) : std::string();
    offset += sizeof event + event.len;
    if (event.mask & IN_IGNORED) {  // the directory is gone (a replaced Kubernetes `..2024_...` dir)
      directories_.erase(event.wd);
      any = true;
      continue;
    }
    if (event.mask & kEntryEvents) {
      any = true;
      continue;
    }
    auto dir = directories_.find(event.wd);
    if (dir != directories_.end() && dir->second.names.contains(name)) any = true;
  }
  return any;
}

void FileWatcher::arm_debounce() {
  timer_.expires_after(debounce_);
  timer_.async_wait([this](const net::error_code& ec) {
    if (!ec) check();
  });
}

void FileWatcher::check() {
  std::string changed;
  for (auto& [file, contents] : files_) {
    const auto now = read_contents(file);
    if (now == contents) continue;
    contents = now;
    if (changed.empty()) changed = file;
  }
  update_directories();
  if (!changed.empty()) on_change_(changed);
}

}  // namespace certgate::server
