// The kernel's iommu trace events recorded into a private tracefs instance while a
// command runs: a ring buffer of vfiokit's own (instances/vfiokit-PID), so the global
// trace buffer, other tracers and their enabled events are left as they were.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace vfiokit::host {

class TraceSession {
 public:
  /// Finds tracefs (mounting it at /sys/kernel/tracing when it is not mounted; unmounted
  /// again at the end), creates the instance and enables `events` of the "iommu" system.
  /// Throws vfiokit::Error naming what is missing (tracefs, the iommu events) and the fix.
  explicit TraceSession(const std::vector<std::string>& events);
  ~TraceSession();
  TraceSession(const TraceSession&) = delete;
  TraceSession& operator=(const TraceSession&) = delete;

  /// Disables the events and returns the instance's `trace` lines (at most 1 << 20).
  std::vector<std::string> stop_and_read();
  /// The instance folder, for messages.
  const std::filesystem::path& instance() const { return instance_; }

 private:
  void write(const std::filesystem::path& file, const std::string& text) const;
  /// Disables the events, removes the instance and unmounts what it mounted (idempotent).
  void release();
  std::filesystem::path tracefs_, instance_;
  std::vector<std::string> events_;
  bool mounted_by_us_ = false, stopped_ = false;
};

}  // namespace vfiokit::host
