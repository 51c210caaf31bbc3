// Whether a process the tests started (a grandchild of a program under test) has
// died: what the group kill of ProcessRunner promises.
#pragma once

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace vfiokit::guest::testing {

/// A limit against a hang, far above any deadline + grace the tests use; not a timing.
constexpr auto kNoHang = std::chrono::seconds(60);

/// No /proc entry, or a zombie (dead; whoever reaps orphans here may not).
inline bool process_gone(const std::string& pid) {
  std::ifstream stat("/proc/" + pid + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

/// SIGKILL takes effect asynchronously: waits for process_gone, up to kNoHang.
inline bool becomes_gone(const std::string& pid) {
  const auto until = std::chrono::steady_clock::now() + kNoHang;
  while (!process_gone(pid)) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace vfiokit::guest::testing
