// The host half of `vfiokit check`: CPU virtualization, the firmware's IOMMU
// table, the IOMMU and interrupt remapping being on, VFIO modules, device
// nodes, RLIMIT_MEMLOCK and hugepages. Everything is read under a HostFs root.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "check/check.hpp"
#include "tools/host/host_fs.hpp"

namespace vfiokit::host {

/// The locked-memory limit that applies to VFIO DMA mappings of this process.
struct MemlockLimit {
  std::optional<uint64_t> soft;  ///< bytes; nullopt = unlimited
  bool cap_ipc_lock = false;     ///< the limit is not enforced (CAP_IPC_LOCK in CapEff)
  bool known = false;            ///< proc/self/limits could be read
};
/// Reads proc/self/limits ("Max locked memory") and proc/self/status (CapEff).
MemlockLimit memlock_limit(const HostFs& fs);

/// The last value of `key=` on the kernel command line (proc/cmdline), or nullopt.
std::optional<std::string> cmdline_param(const HostFs& fs, const std::string& key);

/// Every host check, in a fixed order (see docs/cli.md for the list and method).
check::Report run_host_checks(const HostFs& fs);

/// Single checks (used by run_host_checks; exposed for tests).
check::Check check_cpu_virtualization(const HostFs& fs);
check::Check check_acpi_iommu_table(const HostFs& fs);
check::Check check_iommu_enabled(const HostFs& fs);
check::Check check_interrupt_remapping(const HostFs& fs);
check::Check check_vfio_modules(const HostFs& fs);
check::Check check_vfio_devnode(const HostFs& fs);
check::Check check_iommufd_devnode(const HostFs& fs);
/// host.vfio_backends: which VFIO interfaces the kernel offers: the container
/// /dev/vfio/vfio (served by type1, or by iommufd's compat emulation), native iommufd
/// /dev/iommu and the per-device cdev /dev/vfio/devices (a KubeVirt that passes cdevs
/// needs it), with the kernel options that would add the missing ones.
check::Check check_vfio_backends(const HostFs& fs);
check::Check check_memlock(const HostFs& fs);
check::Check check_hugepages(const HostFs& fs);

}  // namespace vfiokit::host
