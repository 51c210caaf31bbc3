// Byte counts as people read them, the same in every message vfiokit prints.
#pragma once

#include <cstdint>
#include <string>

namespace vfiokit::pci {

/// "512 B", "4 KiB", "1.5 GiB": binary units, one decimal, truncated (never more than
/// there is), no decimal when it is zero. Exact integer arithmetic, no floating point.
std::string human_bytes(uint64_t bytes);

}  // namespace vfiokit::pci
