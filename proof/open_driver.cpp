#include "vfiokit/proof/open_driver.hpp"

namespace vfiokit::proof {

OpenedDriver open_driver(Device& device) {
  OpenedDriver d;
  d.entry = find_driver(device);
  d.space = DmaSpace::create(device.context(), d.entry ? d.entry->dma_mask : UINT64_MAX);
  if (d.entry) d.driver = d.entry->create(device, d.space);
  return d;
}

}  // namespace vfiokit::proof
