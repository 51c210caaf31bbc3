#include "vfio/admissible_driver.hpp"

#include <string_view>

namespace vfiokit::pci {
namespace {

enum class Match { kExact, kPrefix, kSuffix };

struct DriverRule {
  std::string_view name;
  Match match;
  bool leaves_group_usable;
  bool holds_idle;
};

// The first rule that matches decides. Why each driver is here:
constexpr DriverRule kRules[] = {
    // VFIO's own PCI driver: the driver a device is bound to for passthrough. It sets
    // driver_managed_dma and requests no interrupts until a user enables them.
    {"vfio-pci", Match::kExact, true, true},
    // vfio-platform, vfio-fsl-mc, ...: VFIO drivers too (driver_managed_dma).
    {"vfio", Match::kPrefix, true, false},
    // The vfio-pci variant drivers (mlx5_vfio_pci, hisi_acc_vfio_pci, nvgrace_gpu_vfio_pci,
    // virtio_vfio_pci, pds_vfio_pci, qat_vfio_pci): VFIO drivers with device-specific code
    // (migration), so they leave the group usable but are not idle holders.
    {"_vfio_pci", Match::kSuffix, true, false},
    // A stub that claims a device so no real driver does (driver_managed_dma).
    {"pci-stub", Match::kExact, true, true},
    // The PCIe port driver on bridges in the group (driver_managed_dma): VFIO never takes
    // the bridge itself, but it does not block the endpoints below it.
    {"pcieport", Match::kExact, true, false},
    // Xen's stub for devices given to Xen guests: holds a device idle. Not counted as
    // leaving a group usable for VFIO (the host list never had it).
    {"pciback", Match::kExact, false, true},
};

bool matches(const DriverRule& r, std::string_view d) {
  switch (r.match) {
    case Match::kExact:
      return d == r.name;
    case Match::kPrefix:
      return d.starts_with(r.name);
    case Match::kSuffix:
      // "_vfio_pci" alone is not a driver name: something must come before the suffix.
      return d.size() > r.name.size() && d.ends_with(r.name);
  }
  return false;
}

const DriverRule* rule_for(std::string_view driver) {
  for (const auto& r : kRules)
    if (matches(r, driver)) return &r;
  return nullptr;
}

}  // namespace

bool driver_leaves_group_usable(const std::optional<std::string>& driver) {
  if (!driver) return true;  // an unbound device does no DMA
  const DriverRule* r = rule_for(*driver);
  return r && r->leaves_group_usable;
}

bool driver_holds_idle(const std::optional<std::string>& driver) {
  if (!driver) return false;
  const DriverRule* r = rule_for(*driver);
  return r && r->holds_idle;
}

}  // namespace vfiokit::pci
