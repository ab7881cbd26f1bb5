// CPU time and resident memory of a server's whole process tree, read from /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <vector>

namespace certgate::bench {

struct ProcSample {
  std::map<pid_t, uint64_t> cpu_ticks;  // utime + stime per process (all threads), in clock ticks
  uint64_t rss_kb = 0;                  // sum of VmRSS over the tree
};

// The given processes and all their descendants (nginx master + workers, etc.).
std::vector<pid_t> process_tree(const std::vector<pid_t>& roots);
ProcSample sample_processes(const std::vector<pid_t>& roots);
// CPU microseconds used between two samples; processes that appeared in between count in full.
uint64_t cpu_delta_us(const ProcSample& before, const ProcSample& after);
// Machine-wide CPU from the first line of /proc/stat, in clock ticks: busy = user + nice + system + irq +
// softirq (+ guest, included in user), steal = time the hypervisor ran something else.
struct SystemCpu {
  uint64_t busy = 0;
  uint64_t steal = 0;
};
SystemCpu sample_system_cpu();
uint64_t ticks_to_us(uint64_t ticks);

// utime + stime of this process (all threads), microseconds.
uint64_t self_cpu_us();

}  // namespace certgate::bench
