// Maps two DMA buffers for QEMU's edu device and has the device copy one into the
// other through its own DMA engine, then checks the bytes that arrived.
//   dma_readback 0000:00:02.0      (edu, 1234:11e8, bound to vfio-pci)
#include <cstdio>
#include <cstring>

#include <vfiokit/dma/buffer.hpp>
#include <vfiokit/dma/mapping.hpp>
#include <vfiokit/drivers/edu/edu.hpp>
#include <vfiokit/drivers/edu/registers.hpp>
#include <vfiokit/vfio/device.hpp>
#include <vfiokit/vfio/error.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s BDF   (QEMU's edu device bound to vfio-pci)\n", argv[0]);
    return 64;
  }
  try {
    vfiokit::Device dev = vfiokit::Device::open(argv[1]);
    auto space = vfiokit::DmaSpace::create(dev.context(), vfiokit::edu::kDmaMask);
    vfiokit::EduDriver edu(dev, space);
    edu.init();
    constexpr size_t kSize = 2048;  // edu's DMA buffer holds 4 KiB; its memcpy moves up to 2 KiB
    auto src = vfiokit::DmaBuffer::allocate(4096), dst = vfiokit::DmaBuffer::allocate(4096);
    auto* s = static_cast<unsigned char*>(src.data());
    for (size_t i = 0; i < kSize; ++i) s[i] = static_cast<unsigned char>(i * 7 + 1);
    std::memset(dst.data(), 0, kSize);
    const vfiokit::DmaMapping ms = space->map(src, vfiokit::DmaAccess::kRead);
    const vfiokit::DmaMapping md = space->map(dst, vfiokit::DmaAccess::kWrite);
    edu.memcpy_start(ms.iova(), md.iova(), kSize);
    edu.memcpy_wait();
    if (std::memcmp(src.data(), dst.data(), kSize) != 0) {
      std::fprintf(stderr, "dma_readback: the bytes that arrived differ from those sent\n");
      return 1;
    }
    std::printf("%zu bytes copied by the device from IOVA 0x%llx to 0x%llx and read back\n", kSize,
                static_cast<unsigned long long>(ms.iova()), static_cast<unsigned long long>(md.iova()));
  } catch (const vfiokit::Error& e) {
    std::fprintf(stderr, "dma_readback: %s\n", e.what());
    return 1;
  }
  return 0;
}
