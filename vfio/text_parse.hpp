// Strict parsers for the numbers and lines the kernel hands us in sysfs and procfs.
// Each takes the text as read (a trailing newline or surrounding blanks are fine) and
// returns nullopt for anything else: a sign where none belongs, trailing garbage, an
// empty field, a number past 64 bits. No exceptions, no partial parses ("12abc" is not 12).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vfiokit {

/// An unsigned number in `base` (10 or 16; base 16 takes an optional "0x"/"0X").
std::optional<uint64_t> parse_u64(std::string_view text, int base = 10);

/// A signed decimal number (e.g. numa_node's "-1").
std::optional<int64_t> parse_i64(std::string_view text);

/// An address range with a name: a /proc/iomem line ("  fd000000-fdffffff : efifb")
/// or an IOMMU group's reserved_regions line ("0x00000000fee00000 0x00000000feefffff msi").
struct NamedRange {
  uint64_t start = 0;
  uint64_t end = 0;  ///< inclusive
  std::string name;
};
std::optional<NamedRange> parse_iomem_line(std::string_view line);
std::optional<NamedRange> parse_reserved_region(std::string_view line);

/// A line of a PCI device's sysfs `resource` file: start, end (inclusive), flags.
struct ResourceLine {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t flags = 0;
};
std::optional<ResourceLine> parse_resource_line(std::string_view line);

/// The page size in KiB named by a /sys/kernel/mm/hugepages entry ("hugepages-2048kB").
std::optional<uint64_t> parse_hugepages_dir(std::string_view name);

/// The soft limit of a /proc/self/limits line, e.g. "Max locked memory  8388608  8388608
/// bytes" -> 8388608; "unlimited" -> UINT64_MAX. nullopt if the line is not `limit`'s.
std::optional<uint64_t> parse_limit_line(std::string_view line, std::string_view limit);

}  // namespace vfiokit
