#include "vfiokit/drivers/driver.hpp"
#include "vfiokit/drivers/edu/edu.hpp"
#include "vfiokit/drivers/edu/registers.hpp"
#include "vfiokit/drivers/nvme/nvme.hpp"

namespace vfiokit {

const char* irq_mode_name(IrqMode m) {
  switch (m) {
    case IrqMode::kDefault:
      return "default";
    case IrqMode::kIntx:
      return "intx";
    case IrqMode::kMsi:
      return "msi";
    case IrqMode::kMsix:
      return "msix";
  }
  return "?";
}

const std::vector<DriverEntry>& drivers() {
  static const std::vector<DriverEntry> kDrivers = {
      {"edu",
       [](uint16_t v, uint16_t d, uint32_t) { return v == edu::kVendor && d == edu::kDevice; },
       edu::kDmaMask,
       [](Device& dev, std::shared_ptr<DmaSpace> dma) -> std::unique_ptr<Driver> {
         return std::make_unique<EduDriver>(dev, std::move(dma));
       }},
      {"nvme", [](uint16_t, uint16_t, uint32_t cls) { return cls == nvme::kClassCode; }, ~0ull,
       [](Device& dev, std::shared_ptr<DmaSpace> dma) -> std::unique_ptr<Driver> {
         return std::make_unique<NvmeDriver>(dev, std::move(dma));
       }},
  };
  return kDrivers;
}

const DriverEntry* find_driver(const Device& device) {
  const uint16_t vendor = device.config_read16(0x00);
  const uint16_t dev = device.config_read16(0x02);
  const uint32_t cls = device.config_read32(0x08) >> 8;
  for (const auto& e : drivers())
    if (e.match(vendor, dev, cls)) return &e;
  return nullptr;
}

std::unique_ptr<Driver> probe_driver(Device& device, std::shared_ptr<DmaSpace> dma) {
  const DriverEntry* e = find_driver(device);
  return e ? e->create(device, std::move(dma)) : nullptr;
}

}  // namespace vfiokit
