// Whether the kernel modules VFIO needs are loaded, built in or installable,
// read from /sys/module and /lib/modules/$(uname -r), and loading them.
#pragma once

#include <string>

#include "tools/host/host_fs.hpp"

namespace vfiokit::host {

/// What the host says about one module.
struct ModuleState {
  std::string name;        ///< as asked, e.g. "vfio-pci"
  bool loaded = false;     ///< /sys/module/<name> (or the driver/device it makes) exists
  bool builtin = false;    ///< listed in modules.builtin
  bool available = false;  ///< listed in modules.dep (can be modprobe'd)
  /// loaded, builtin or available.
  bool usable() const { return loaded || builtin || available; }
};

/// The state of module `name` ("vfio", "vfio-pci", "vfio_iommu_type1", "iommufd").
ModuleState module_state(const HostFs& fs, const std::string& name);

/// Runs `modprobe name` (found on PATH) and waits; returns true when it exits 0.
/// `why` gets a reason on failure (modprobe missing, its exit status).
bool modprobe(const std::string& name, std::string* why);

}  // namespace vfiokit::host
