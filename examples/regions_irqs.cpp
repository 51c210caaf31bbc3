// Maps a device's first BAR and reads its first register, then wires the best interrupt
// the device offers (MSI-X, else MSI, else INTx) to an eventfd and has the kernel signal
// it once. Everything by typed index (vfiokit::RegionIndex, vfiokit::IrqIndex): no
// <linux/vfio.h> (ci/check-install fails if an example reaches a kernel header).
//   regions_irqs 0000:01:00.0
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <vfiokit/vfio/device.hpp>
#include <vfiokit/vfio/error.hpp>
#include <vfiokit/vfio/indexes.hpp>

namespace {

// The first BAR that is memory-readable and has a size: BAR0 on most devices.
int map_first_bar(const vfiokit::Device& dev) {
  for (unsigned n = 0; n <= 5; ++n) {
    const vfiokit::RegionIndex index = vfiokit::bar_region(n);
    const vfiokit::RegionInfo info = dev.region_info(index);
    if (info.size < 4 || !info.readable()) continue;
    const vfiokit::MappedRegion bar = dev.map_region(index);
    std::printf("%s: %llu bytes, %s; [0x0] = 0x%08x\n", vfiokit::to_string(index).c_str(),
                static_cast<unsigned long long>(info.size), info.mmappable() ? "mmap" : "pread",
                bar.read32(0));
    return 0;
  }
  std::fprintf(stderr, "regions_irqs: %s has no readable BAR\n", dev.bdf().c_str());
  return 1;
}

// Enables vector 0 of the first interrupt kind the device has and waits for the loopback.
int loop_back_an_interrupt(const vfiokit::Device& dev) {
  for (vfiokit::IrqIndex index :
       {vfiokit::IrqIndex::kMsix, vfiokit::IrqIndex::kMsi, vfiokit::IrqIndex::kIntx}) {
    const vfiokit::IrqInfo info = dev.irq_info(index);
    if (info.count == 0 || !info.eventfd()) continue;
    const vfiokit::IrqSet irq = dev.enable_irq(index);
    irq.trigger(0);
    const uint64_t n = irq.wait(0, 1000);
    std::printf("%s: %u vector(s), vector 0 enabled; loopback %s\n", info.name().c_str(),
                info.count, n ? "delivered" : "NOT delivered");
    return n ? 0 : 1;
  }
  std::fprintf(stderr, "regions_irqs: %s has no interrupt on eventfds\n", dev.bdf().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s BDF   (a device bound to vfio-pci)\n", argv[0]);
    return 64;
  }
  try {
    const vfiokit::Device dev = vfiokit::Device::open(argv[1]);
    if (const int rc = map_first_bar(dev)) return rc;
    return loop_back_an_interrupt(dev);
  } catch (const vfiokit::Error& e) {
    std::fprintf(stderr, "regions_irqs: %s\n", e.what());
    return 1;
  }
}
