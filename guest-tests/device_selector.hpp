// Which devices the guest check looks at: the ones named on the command line (a BDF or
// a vendor:device pair), or every NVIDIA GPU under the root when none is named.
#pragma once

#include <string>
#include <vector>

#include "vfiokit/vfio/sysfs.hpp"

namespace vfiokit::guest {

/// The devices to check when none is named: every NVIDIA GPU under the root, sorted.
std::vector<std::string> find_nvidia_gpus(const Sysfs& sysfs);

/// Resolves a device selector: a BDF ("01:00.0" or "0000:01:00.0") or a
/// vendor:device pair ("10de:2331", every match). Throws vfiokit::Error (ENODEV)
/// when a vendor:device pair matches nothing, EINVAL for text that is neither.
std::vector<std::string> resolve_selector(const Sysfs& sysfs, const std::string& selector);

}  // namespace vfiokit::guest
