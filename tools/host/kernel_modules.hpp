// Whether the kernel modules VFIO needs are loaded, built in or installable,
// read from /sys/module and /lib/modules/$(uname -r), and loading them.
#pragma once

#include <string>
#include <vector>

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

/// Whether the kernel made the VFIO container node /dev/vfio/vfio (misc device "vfio") or
/// iommufd's /dev/iommu (misc device "iommu"): the node under the root, or else the
/// kernel's /sys/class/misc/NAME, from which devtmpfs makes it. The DaemonSet mounts no
/// /dev (a read-only mount does not stop writes to device nodes) and sees them there.
bool vfio_container_node_exists(const HostFs& fs);
bool iommufd_node_exists(const HostFs& fs);

/// The state of module `name` ("vfio", "vfio-pci", "vfio_iommu_type1", "iommufd").
ModuleState module_state(const HostFs& fs, const std::string& name);

/// How modprobe runs. Root runs it, so nothing of the caller's reaches it: the program
/// is found by absolute path (never PATH), the environment is fixed, stdin is /dev/null
/// and a module whose init hangs cannot hang vfiokit.
struct ModprobeOptions {
  /// The first of these that exists and is executable is run.
  std::vector<std::string> programs = {"/usr/sbin/modprobe", "/sbin/modprobe"};
  /// Its whole environment.
  std::vector<std::string> environment = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"};
  int timeout_s = 30;        ///< then SIGKILL to its process group
  int kill_grace_ms = 2000;  ///< after SIGKILL, how long to wait before giving up on it
};

/// Runs `modprobe name` as `how` says and waits; returns true only when it exits 0.
/// `why` gets a reason on failure: no modprobe, its exit status, the signal that killed
/// it, "timed out after 30 s", "did not exit after SIGKILL", a failed waitpid.
bool modprobe(const std::string& name, std::string* why, const ModprobeOptions& how = {});

}  // namespace vfiokit::host
