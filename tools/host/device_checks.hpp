// The per-device half of `vfiokit check`: group viability, ACS above the device,
// resets, BARs, framebuffers, interrupts, link, NUMA, SR-IOV and the memlock a
// passthrough of it needs. Everything is read under a HostFs root.
#pragma once

#include <string>

#include "check/check.hpp"
#include "pci/device_facts.hpp"
#include "tools/host/host_fs.hpp"

namespace vfiokit::host {

/// Bytes of the DMA buffer `vfiokit probe` maps, counted in the memlock estimate.
inline constexpr uint64_t kProbeDmaBytes = 2ull << 20;

/// Every device check of `bdf` (which must exist; see require_device).
check::Report run_device_checks(const HostFs& fs, const std::string& bdf);

/// Single checks (used by run_device_checks; exposed for tests). What they judge of the
/// device itself (IDs, driver, group, config space, BARs, link, NUMA node) comes from its
/// facts, read once (pci::read_device_facts); `fs` is for the host around it (holders,
/// users, RMRRs, bridges, framebuffers, memlock, virtual functions).
check::Check check_driver(const HostFs& fs, const pci::DeviceFacts& f);
check::Check check_iommu_group(const HostFs& fs, const pci::DeviceFacts& f);
check::Check check_rmrr(const HostFs& fs, const pci::DeviceFacts& f);
check::Check check_acs(const HostFs& fs, const std::string& bdf);
check::Check check_reset(const HostFs& fs, const pci::DeviceFacts& f);
check::Check check_bars(const HostFs& fs, const pci::DeviceFacts& f);
check::Check check_framebuffer(const HostFs& fs, const std::string& bdf);
check::Check check_interrupts(const pci::DeviceFacts& f);
check::Check check_pcie_link(const pci::DeviceFacts& f);
check::Check check_numa(const pci::DeviceFacts& f);
check::Check check_sriov(const HostFs& fs, const std::string& bdf);
check::Check check_device_memlock(const HostFs& fs, const pci::DeviceFacts& f);

}  // namespace vfiokit::host
