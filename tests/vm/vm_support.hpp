// Helpers for tests that run inside a test-bed VM.
#pragma once

#include <string>
#include <vector>

#include "vfio/iommu_context.hpp"

namespace vfiokit::test {

/// The BDFs of PCI devices with this vendor:device, sorted.
std::vector<std::string> find_pci(uint16_t vendor, uint16_t device);
/// The BDFs of PCI devices with this class code (e.g. 0x010802 NVMe), sorted.
std::vector<std::string> find_pci_class(uint32_t class_code);
/// The backends to run a test body over: $VFIOKIT_BACKENDS (comma list; each must
/// be available, or the test fails), else every backend this kernel offers.
std::vector<Backend> test_backends();
/// gtest parameter name of a backend ("container_type1").
std::string backend_param_name(Backend b);

/// The guest kernel's log records written after construction (/dev/kmsg), to
/// look for IOMMU faults.
class KernelLog {
 public:
  KernelLog();
  ~KernelLog();
  KernelLog(const KernelLog&) = delete;
  KernelLog& operator=(const KernelLog&) = delete;
  /// Whether /dev/kmsg could be opened.
  bool available() const { return fd_ >= 0; }
  /// The message text of each new record since the last call.
  std::vector<std::string> lines();
  /// Waits up to `timeout_ms` for a new record containing `needle` (faults are
  /// logged from the IOMMU's interrupt, a moment after the DMA); returns it, or "".
  std::string wait_for(const std::string& needle, int timeout_ms);

 private:
  int fd_;
};

}  // namespace vfiokit::test
