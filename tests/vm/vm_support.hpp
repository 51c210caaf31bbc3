// Helpers for tests that run inside a test-bed VM.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "vfio/kernel_log.hpp"
#include "vfiokit/vfio/iommu_context.hpp"

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

/// $name, or `fallback` when it is unset.
std::string env_or(const char* name, const char* fallback);
/// The first offset at which a[0, n) and b[0, n) differ, or -1.
long first_diff(const uint8_t* a, const uint8_t* b, size_t n);

/// The guest kernel's log (vfio/kernel_log.hpp), to look for IOMMU faults.
using vfiokit::KernelLog;

}  // namespace vfiokit::test
