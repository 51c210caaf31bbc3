// A PCI device's BARs as the kernel placed them: the sysfs `resource` file, one line per
// resource ("0x<start> 0x<end> 0x<flags>"), BARs 0-5 then the expansion ROM (line 6).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vfiokit/vfio/sysfs.hpp"

namespace vfiokit::pci {

/// The index of the expansion ROM's line in `resource`.
inline constexpr unsigned kRomBarIndex = 6;

/// One BAR from the sysfs `resource` file.
struct Bar {
  unsigned index = 0;  ///< 0..5, kRomBarIndex for the expansion ROM
  uint64_t start = 0;
  uint64_t end = 0;  ///< inclusive
  uint64_t size = 0;
  bool io = false;     ///< I/O port BAR
  bool mem64 = false;  ///< 64-bit memory BAR
  bool prefetchable = false;
  /// False when the kernel could not place it (IORESOURCE_UNSET, start 0, or neither
  /// I/O nor memory): the BAR exists but has no address.
  bool assigned = true;
  /// The expansion ROM: firmware the host reads, not MMIO a driver maps.
  bool is_rom() const { return index == kRomBarIndex; }
  /// Placed above 4 GiB.
  bool above_4g() const { return start >= (uint64_t{1} << 32); }
};

/// The BARs (0-5 and the ROM) listed in the text of a `resource` file; lines that read
/// as zeros (no resource) are left out. Throws vfiokit::Error (EINVAL) naming `source`
/// and the line for a line that is not three hexadecimal numbers with end >= start.
std::vector<Bar> parse_bars(std::string_view text, const std::string& source);

/// The BARs of `bdf` under `sysfs.root()`: empty when it has no `resource` file; throws
/// as parse_bars (naming the file) when the file is malformed.
std::vector<Bar> read_bars(const Sysfs& sysfs, const std::string& bdf);

}  // namespace vfiokit::pci
