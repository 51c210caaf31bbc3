// PCI config space and its capability chains, as any device (or a hostile one)
// presents them through VFIO.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "vfiokit/vfio/config_space.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vfiokit::ConfigSpace cfg(std::vector<uint8_t>(data, data + size));
  size_t sum = cfg.vendor_id() + cfg.device_id() + cfg.class_code() + cfg.header_type();
  for (const auto& c : cfg.capabilities()) sum += c.offset + c.name.size();
  sum += cfg.walk_errors().size();
  for (size_t off = 0; off < 4200; off += 509) sum += cfg.read32(off);
  return sum == 0xdeadbeef ? 1 : 0;  // keep the reads
}
