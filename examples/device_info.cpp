// Opens a device bound to vfio-pci and lists its regions and interrupt indexes.
//   device_info 0000:01:00.0
#include <cstdio>
#include <exception>
#include <vfiokit/version.hpp>
#include <vfiokit/vfio/device.hpp>
#include <vfiokit/vfio/error.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s BDF   (a device bound to vfio-pci; vfiokit %s)\n", argv[0],
                 vfiokit::kVersion);
    return 64;
  }
  try {
    const vfiokit::Device dev = vfiokit::Device::open(argv[1]);
    std::printf("%s: %u regions, %u IRQ indexes, %s\n", dev.bdf().c_str(), dev.num_regions(),
                dev.num_irqs(), dev.can_reset() ? "resettable" : "no reset");
    for (uint32_t i = 0; i < dev.num_regions(); ++i) {
      const vfiokit::RegionInfo r = dev.region_info(vfiokit::region_at(i));
      if (r.size == 0) continue;
      std::printf("  region %u %-8s %10llu bytes%s%s%s\n", i, r.name().c_str(),
                  static_cast<unsigned long long>(r.size), r.readable() ? " read" : "",
                  r.writable() ? " write" : "", r.mmappable() ? " mmap" : "");
    }
    for (const vfiokit::IrqInfo& irq : dev.irqs())
      if (irq.count)
        std::printf("  irq %u %-6s %u vector(s)\n", vfiokit::index_number(irq.index),
                    irq.name().c_str(), irq.count);
  } catch (const vfiokit::Error& e) {
    std::fprintf(stderr, "device_info: %s\n", e.what());
    return 1;
  }
  return 0;
}
