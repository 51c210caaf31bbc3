// Kernel log lines: the IOMMU fault record decoder behind probe's isolation verdict.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "vfio/iommu_fault.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  if (const auto f = vfiokit::parse_iommu_fault(line)) {
    (void)vfiokit::describe(*f);
    (void)vfiokit::fault_matches(*f, "0000:00:03.0", f->iova, 1);
    (void)vfiokit::fault_matches(*f, "0000:00:03.0", 0, UINT64_MAX);
    (void)vfiokit::fault_matches(*f, "x", 0, 0);
  }
  return 0;
}
