#include "proc_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace certgate::bench {
namespace {

// Fields of /proc/PID/stat after the ")" closing the command name: 0 = state (field 3), 1 = ppid,
// 11 = utime (field 14), 12 = stime (field 15).
bool read_stat(pid_t pid, pid_t& ppid, uint64_t& ticks) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  std::ifstream in(path);
  std::string text;
  if (!std::getline(in, text)) return false;
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  uint64_t utime = 0, stime = 0;
  for (int i = 0; i <= 12 && fields >> f; ++i) {
    if (i == 1) ppid = static_cast<pid_t>(std::atoi(f.c_str()));
    if (i == 11) utime = std::strtoull(f.c_str(), nullptr, 10);
    if (i == 12) stime = std::strtoull(f.c_str(), nullptr, 10);
  }
  ticks = utime + stime;
  return true;
}

uint64_t read_rss_kb(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

}  // namespace

std::vector<pid_t> process_tree(const std::vector<pid_t>& roots) {
  std::multimap<pid_t, pid_t> children;
  if (DIR* dir = opendir("/proc")) {
    while (dirent* e = readdir(dir)) {
      char* end = nullptr;
      const long pid = std::strtol(e->d_name, &end, 10);
      if (pid <= 0 || *end != '\0') continue;
      pid_t ppid = 0;
      uint64_t ticks = 0;
      if (read_stat(static_cast<pid_t>(pid), ppid, ticks)) children.emplace(ppid, static_cast<pid_t>(pid));
    }
    closedir(dir);
  }
  std::set<pid_t> seen;
  std::vector<pid_t> out;
  std::vector<pid_t> todo(roots.begin(), roots.end());
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    if (!seen.insert(p).second) continue;
    out.push_back(p);
    auto [lo, hi] = children.equal_range(p);
    for (auto it = lo; it != hi; ++it)
      todo.push_back(it->second);
  }
  return out;
}

ProcSample sample_processes(const std::vector<pid_t>& roots) {
  ProcSample s;
  for (pid_t pid : process_tree(roots)) {
    pid_t ppid = 0;
    uint64_t ticks = 0;
    if (!read_stat(pid, ppid, ticks)) continue;
    s.cpu_ticks[pid] = ticks;
    s.rss_kb += read_rss_kb(pid);
  }
  return s;
}

uint64_t ticks_to_us(uint64_t ticks) {
  const long hz = sysconf(_SC_CLK_TCK);
  return ticks * 1000000ULL / static_cast<uint64_t>(hz > 0 ? hz : 100);
}

uint64_t cpu_delta_us(const ProcSample& before, const ProcSample& after) {
  uint64_t ticks = 0;
  for (const auto& [pid, t] : after.cpu_ticks) {
    auto it = before.cpu_ticks.find(pid);
    const uint64_t start = it == before.cpu_ticks.end() ? 0 : it->second;
    if (t > start) ticks += t - start;
  }
  return ticks_to_us(ticks);
}

SystemCpu sample_system_cpu() {
  SystemCpu s;
  std::ifstream in("/proc/stat");
  std::string cpu;
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal && cpu == "cpu") {
    s.busy = user + nice + system + irq + softirq;
    s.steal = steal;
  }
  return s;
}

uint64_t self_cpu_us() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto us = [](const timeval& tv) {
    return static_cast<uint64_t>(tv.tv_sec) * 1000000ULL + static_cast<uint64_t>(tv.tv_usec);
  };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

}  // namespace certgate::bench
