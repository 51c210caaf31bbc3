// The kernel log as it is written (/dev/kmsg): where IOMMU faults show up, a
// moment after the DMA that caused them (they are logged from the IOMMU's interrupt).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "vfio/iommu_fault.hpp"

namespace vfiokit {

/// The records written to the kernel log after construction. Reading /dev/kmsg
/// needs CAP_SYSLOG where kernel.dmesg_restrict is 1 (root has it).
class KernelLog {
 public:
  KernelLog();
  ~KernelLog();
  KernelLog(const KernelLog&) = delete;
  KernelLog& operator=(const KernelLog&) = delete;
  /// Whether /dev/kmsg could be opened; else why not (errno decoded).
  bool available() const { return fd_ >= 0; }
  const std::string& unavailable_reason() const { return why_; }
  /// The message text of each new record since the last call.
  std::vector<std::string> lines();
  /// Waits up to `timeout_ms` for a new record containing `needle`; returns it, or "".
  std::string wait_for(const std::string& needle, int timeout_ms);
  /// Waits up to `timeout_ms` for a DMA fault record of device `bdf` at
  /// [iova, iova + size); returns it, or nullopt.
  std::optional<IommuFault> wait_for_fault(const std::string& bdf, uint64_t iova, uint64_t size,
                                           int timeout_ms);

 private:
  /// Polls every 100 ms, up to `timeout_ms`, for a new record `wanted` accepts.
  std::optional<std::string> wait_for_line(const std::function<bool(const std::string&)>& wanted,
                                           int timeout_ms);
  int fd_;
  std::string why_;
};

}  // namespace vfiokit
