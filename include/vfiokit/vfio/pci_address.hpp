// PCI addresses (domain:bus:device.function) as sysfs spells them.
#pragma once

#include <string>
#include <string_view>

namespace vfiokit {

/// Parses "0000:00:02.0" or "00:02.0" (domain 0 assumed) and returns the full,
/// lower-case form. Throws vfiokit::Error (EINVAL) naming the bad text otherwise.
std::string normalize_bdf(std::string_view text);

}  // namespace vfiokit
