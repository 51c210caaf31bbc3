#include "vfiokit/vfio/error.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "vfio/format.hpp"

namespace vfiokit {
namespace {

std::string format_what(const std::string& op, const std::string& object, int err,
                        const std::string& hint) {
  std::string s = op;
  if (!object.empty()) s += " on " + object;
  if (err != 0) s += detail::format(": {} (errno {})", std::strerror(err), err);
  if (!hint.empty()) s += "; hint: " + hint;
  return s;
}

bool contains(const std::string& s, const char* needle) {
  return s.find(needle) != std::string::npos;
}

}  // namespace

Error::Error(std::string operation, std::string object, int err, std::string hint)
    : std::runtime_error(format_what(operation, object, err, hint)),
      operation_(std::move(operation)),
      object_(std::move(object)),
      errno_(err),
      hint_(std::move(hint)) {}

void throw_error(const std::string& operation, const std::string& object, int err,
                 std::string hint) {
  if (hint.empty()) hint = errno_hint(operation, err);
  throw Error(operation, object, err, std::move(hint));
}

std::string errno_hint(const std::string& op, int err) {
  const bool is_map = contains(op, "MAP_DMA") || contains(op, "IOAS_MAP");
  const bool is_attach = contains(op, "SET_IOMMU") || contains(op, "SET_CONTAINER") ||
                         contains(op, "ATTACH") || contains(op, "BIND_IOMMUFD");
  switch (err) {
    case EPERM:
      if (is_attach)
        return "the IOMMU has no interrupt remapping; if you accept that risk load "
               "vfio_iommu_type1 (or iommufd) with allow_unsafe_interrupts=1";
      return "run as root, or give this user the device node (chown /dev/vfio/N)";
    case EACCES:
      return "run as root, or give this user the device node (chown /dev/vfio/N)";
    case ENOMEM:
      if (is_map) {
        rlimit rl{};
        getrlimit(RLIMIT_MEMLOCK, &rl);
        if (rl.rlim_cur == RLIM_INFINITY) return "out of memory pinning the pages";
        return detail::format(
            "RLIMIT_MEMLOCK is {} KiB: the mapping pins its pages; raise it (ulimit -l, "
            "systemd LimitMEMLOCK=) above what is mapped",
            rl.rlim_cur / 1024);
      }
      return {};
    case ENOSPC:
      if (is_map)
        return "too many DMA mappings: raise vfio_iommu_type1 dma_entry_limit or map "
               "larger, fewer buffers";
      return {};
    case EEXIST:
      if (is_map) return "the IOVA range overlaps an existing mapping: unmap it or pick another IOVA";
      return {};
    case EBUSY:
      if (contains(op, "open"))
        return "another process (QEMU, a userspace driver, vfiokit) holds this group or "
               "device; find it with 'fuser -v /dev/vfio/*'";
      return {};
    case ENODEV:
    case ENOENT:
      if (contains(op, "open"))
        return "is the device bound to vfio-pci? ('vfiokit bind BDF', or check "
               "/sys/bus/pci/devices/BDF/driver)";
      return {};
    case EAGAIN:
      if (contains(op, "RESET"))
        return "the kernel holds the device's lock (it is being removed, or reset or bound "
               "through sysfs right now): try again; 'dmesg' shows a removal";
      return {};
    case EINVAL:
      if (is_map) return "IOVA, size and address must be aligned to the IOMMU page size and inside its IOVA ranges";
      return {};
    default:
      return {};
  }
}

}  // namespace vfiokit
