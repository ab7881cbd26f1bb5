// Watches the files a config names (inotify) and calls back once they settled after a change.
//
// inotify watches the parent directory of each file, and of the file's symlink target, never the file
// itself: editors that save through rename, `mv new old`, and the `..data` symlink swap of Kubernetes
// secret volumes all replace the directory entry, which a watch on the old inode would not see.
// Any event restarts a debounce timer; when it fires, the files are read again and compared with the
// contents last seen, so a `touch`, an editor's swap file or a write to another file in the directory
// does not reload anything. Runs on the event loop it is given (the server's main loop); no thread.
#pragma once

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "net/asio.h"

namespace certgate::server {

class FileWatcher {
 public:
  // `on_change` gets the first file whose contents changed; it runs on `io`'s thread.
  using Callback = std::function<void(const std::string& changed_file)>;

  FileWatcher(net::asio::io_context& io, std::chrono::milliseconds debounce, Callback on_change);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // Sets the watched files. A file watched before keeps the contents last seen (a change that raced a
  // reload is still noticed); a new one is read now. Without inotify (limits reached) it logs a
  // warning once and does nothing: SIGHUP still reloads.
  void watch(const std::vector<std::string>& files);
  // Takes the current contents of every watched file as the baseline: called just before a reload reads
  // them, so a change already covered by that reload does not trigger another one.
  void refresh();
  // The files watched, for the log and tests.
  std::size_t size() const { return files_.size(); }

 private:
  struct Contents {
    bool exists = false;
    std::size_t size = 0;
    std::size_t hash = 0;
    bool operator==(const Contents&) const = default;
  };
  struct Directory {
    std::string path;
    std::set<std::string> names;  // entries whose writes matter; renames of any entry matter
  };

  static Contents read_contents(const std::string& file);
  void update_directories();
  void read_events();
  bool relevant(const char* events, std::size_t length);
  void arm_debounce();
  void check();

  net::asio::io_context& io_;
  std::chrono::milliseconds debounce_;
  Callback on_change_;
  int fd_ = -1;
  std::unique_ptr<net::asio::posix::stream_descriptor> stream_;
  net::asio::steady_timer timer_;
  std::map<std::string, Contents> files_;
  std::map<int, Directory> directories_;  // by watch descriptor
  alignas(8) std::array<char, 16384> buffer_{};
};

}  // namespace certgate::server
