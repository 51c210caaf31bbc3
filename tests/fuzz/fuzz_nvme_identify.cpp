// NVMe Identify pages (controller, namespace, active namespace list), as a
// controller returns them.
#include <cstddef>
#include <cstdint>
#include <span>

#include "vfiokit/drivers/nvme/identify.hpp"
#include "vfiokit/vfio/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> page(data, size);
  try {
    (void)vfiokit::nvme::parse_identify_controller(page);
  } catch (const vfiokit::Error&) {
  }
  try {
    (void)vfiokit::nvme::parse_identify_namespace(page, 1);
  } catch (const vfiokit::Error&) {
  }
  try {
    (void)vfiokit::nvme::parse_namespace_list(page);
  } catch (const vfiokit::Error&) {
  }
  return 0;
}
