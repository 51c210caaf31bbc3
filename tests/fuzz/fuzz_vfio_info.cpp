// VFIO replies with capability chains: VFIO_DEVICE_GET_REGION_INFO (sparse mmap,
// type, MSI-X mappable), the generic info chain walker (IOMMU info too) and
// VFIO_DEVICE_GET_PCI_HOT_RESET_INFO's dependent-device list.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "vfio/cap_chain.hpp"
#include "vfio/info_decode.hpp"
#include "vfiokit/vfio/device.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/region.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  try {
    const vfiokit::RegionInfo r = vfiokit::parse_region_info(bytes);
    (void)r.mmap_areas();
    (void)r.name();
  } catch (const vfiokit::Error&) {
  }
  try {
    for (const auto& d : vfiokit::decode_hot_reset_info(bytes, {1, 2}, "fuzz"))
      if (d.bdf.size() != 12) __builtin_trap();
  } catch (const vfiokit::Error&) {
  }
  if (size >= 4) {
    uint32_t first = 0;
    std::memcpy(&first, data, 4);
    try {
      const auto caps = vfiokit::parse_info_caps(bytes, first % (size + 16), "fuzz");
      (void)vfiokit::find_info_cap(caps, 1);
    } catch (const vfiokit::Error&) {
    }
  }
  return 0;
}
