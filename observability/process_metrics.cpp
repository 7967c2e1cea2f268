#include "observability/process_metrics.hpp"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace drover::observability {

namespace {

double count_open_fds() {
  auto* dir = opendir("/proc/self/fd");
  if (dir == nullptr)
    return 0;
  double count = 0;
  while (auto* entry = readdir(dir))
    if (entry->d_name[0] != '.')
      ++count;
  closedir(dir);
  return count - 1; // the descriptor opendir itself holds
}

} // namespace

process_usage read_process_usage() {
  process_usage usage;
  std::ifstream stat{"/proc/self/stat"};
  std::string line;
  if (std::getline(stat, line)) {
    // Fields after the command name, which is parenthesised and may contain spaces.
    std::istringstream rest{line.substr(line.rfind(')') + 2)};
    std::string field;
    unsigned long utime = 0;
    unsigned long stime = 0;
    long rss_pages = 0;
    for (int index = 3; rest >> field; ++index) {
      if (index == 14)
        utime = std::stoul(field);
      else if (index == 15)
        stime = std::stoul(field);
      else if (index == 24) {
        rss_pages = std::stol(field);
        break;
      }
    }
    const auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    usage.cpu_seconds = static_cast<double>(utime + stime) / ticks;
    usage.resident_bytes = static_cast<double>(rss_pages) * static_cast<double>(sysconf(_SC_PAGESIZE));
  }
  usage.open_file_descriptors = count_open_fds();
  return usage;
}

void register_process_metrics(metrics& metrics, const std::string& version) {
  metrics.make_gauge("drover_build_info", "Always 1; labelled with the Drover version.",
                     {{"version", version}})
    .set(1);
  auto& uptime = metrics.make_gauge("drover_uptime_seconds", "Seconds since this node started.");
  auto& cpu = metrics.make_gauge("drover_process_cpu_seconds",
                                 "User and system CPU time of the node process, in seconds.");
  auto& resident = metrics.make_gauge("drover_process_resident_memory_bytes",
                                      "Resident memory of the node process.");
  auto& fds = metrics.make_gauge("drover_process_open_fds",
                                 "Open file descriptors of the node process.");
  const auto started = std::chrono::steady_clock::now();
  metrics.on_collect([&uptime, &cpu, &resident, &fds, started] {
    const auto usage = read_process_usage();
    uptime.set(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    cpu.set(usage.cpu_seconds);
    resident.set(usage.resident_bytes);
    fds.set(usage.open_file_descriptors);
  });
}

} // namespace drover::observability
