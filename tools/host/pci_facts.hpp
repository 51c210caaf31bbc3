// What the host checks read around one PCI device under a HostFs root: the bridges
// above it, ACS on them and its IOMMU group's members (the device's own facts, BARs,
// link and port type included, are pci/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/host/host_fs.hpp"
#include "vfiokit/vfio/config_space.hpp"

namespace vfiokit::host {

/// The PCI bridges between the device and its root bus, nearest first (from
/// the device's canonical sysfs path).
std::vector<std::string> upstream_bridges(const HostFs& fs, const std::string& bdf);

/// ACS (Access Control Services) of a bridge, as Linux's pci_acs_enabled judges
/// a downstream/root port: Source Validation, P2P Request/Completion Redirect
/// and Upstream Forwarding must be enabled where the port implements them.
struct AcsState {
  bool has_cap = false;
  uint16_t capability = 0, control = 0;
  bool isolating = false;            ///< the bridge isolates the functions below it
  std::vector<std::string> missing;  ///< controls needed but off or not implemented
};
/// The ACS state of `cfg` (a 4 KiB config snapshot; a 256-byte one has no ACS).
AcsState acs_state(const ConfigSpace& cfg);

/// A member of an IOMMU group with its driver.
struct GroupMember {
  std::string bdf;
  std::optional<std::string> driver;
  uint32_t class_code = 0;
  uint16_t vendor = 0, device = 0;
};
/// The members of `group`, each with its driver and IDs.
std::vector<GroupMember> group_members(const HostFs& fs, int group);
/// "0000:01:00.1 (audio, driver snd_hda_intel)" for a member.
std::string describe_member(const GroupMember& m);
/// A short name of a PCI class code's base class ("display", "audio", "network", "storage").
std::string class_short_name(uint32_t class_code);

/// Parses a BDF that names a device under the root; throws vfiokit::Error (ENODEV)
/// naming `vfiokit list` when it is not there.
std::string require_device(const HostFs& fs, const std::string& text);

}  // namespace vfiokit::host
