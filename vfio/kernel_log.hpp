// The kernel log as it is written (/dev/kmsg): where IOMMU faults show up, a
// moment after the DMA that caused them (they are logged from the IOMMU's interrupt).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vfio/iommu_fault.hpp"

namespace vfiokit {

/// One /dev/kmsg record: "PRI,SEQ,TS_USEC,FLAGS[,...];MESSAGE\n" plus " KEY=VALUE"
/// continuation lines (Documentation/ABI/testing/dev-kmsg).
struct KmsgRecord {
  /// PRI >> 3. 0 is the kernel's own: a write(2) to /dev/kmsg gets facility 1 (user)
  /// unless it asks for another, and the kernel never lets userspace choose 0.
  unsigned facility = 0;
  unsigned level = 0;  ///< PRI & 7
  uint64_t seq = 0;
  std::string text;  ///< the message, without the continuation lines
  bool from_kernel() const { return facility == 0; }
};

/// Decodes one record as read(2) returns it; nullopt when it is not one.
std::optional<KmsgRecord> parse_kmsg_record(std::string_view record);

/// The IOMMU fault `record` reports for device `bdf` at [iova, iova + size), if
/// any. Only the kernel's records (facility 0) count: anyone who may write to
/// /dev/kmsg can log a line that reads like a fault, and that must not pass for
/// evidence that the IOMMU blocked a DMA.
std::optional<IommuFault> fault_evidence(const KmsgRecord& record, const std::string& bdf,
                                         uint64_t iova, uint64_t size);

/// Every record still in the kernel log at `path` (/dev/kmsg, or a saved log with one
/// record a line), from the oldest, at most `max_records`; empty when it cannot be
/// read (CAP_SYSLOG is needed where kernel.dmesg_restrict is 1). For what the kernel
/// said at boot; check KmsgRecord::from_kernel() before taking a record as evidence.
std::vector<KmsgRecord> read_kernel_log(const std::filesystem::path& path,
                                        size_t max_records = 65536);

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
  /// Each new record since the last call (records() and lines() share the position).
  std::vector<KmsgRecord> records();
  /// The message text of each new record since the last call, whoever wrote it.
  std::vector<std::string> lines();
  /// Waits up to `timeout_ms` for a new record containing `needle`; returns it, or "".
  std::string wait_for(const std::string& needle, int timeout_ms);
  /// Waits up to `timeout_ms` for the kernel's DMA fault record (fault_evidence)
  /// of device `bdf` at [iova, iova + size); returns it, or nullopt.
  std::optional<IommuFault> wait_for_fault(const std::string& bdf, uint64_t iova, uint64_t size,
                                           int timeout_ms);

 private:
  /// Polls every 100 ms, up to `timeout_ms`, for a new record `wanted` accepts.
  std::optional<KmsgRecord> wait_for_record(const std::function<bool(const KmsgRecord&)>& wanted,
                                            int timeout_ms);
  int fd_;
  std::string why_;
};

}  // namespace vfiokit
