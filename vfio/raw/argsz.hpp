// The argsz-grow pattern of VFIO's info ioctls (VFIO_IOMMU_GET_INFO,
// VFIO_DEVICE_GET_REGION_INFO): the caller passes a buffer with argsz = its size; when
// the reply has capabilities that do not fit, the kernel sets argsz to the size it needs
// and the call is repeated with a buffer that large.
#pragma once

#include <sys/ioctl.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "vfio/raw/result.hpp"

namespace vfiokit::raw {

/// Issues `request` on `fd` with `head` (a struct whose first field is the u32 argsz)
/// at the start of a zeroed buffer, growing the buffer to the argsz the kernel asks for
/// until the reply fits (EOVERFLOW if it keeps growing). Returns the whole reply.
template <class T>
Result<std::vector<uint8_t>> ioctl_argsz_grow(int fd, unsigned long request, T head) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) >= sizeof(uint32_t));
  std::vector<uint8_t> buf(sizeof(T));
  for (int tries = 0; tries < 4; ++tries) {
    head.argsz = static_cast<uint32_t>(buf.size());
    std::memcpy(buf.data(), &head, sizeof(T));
    if (::ioctl(fd, request, buf.data()) < 0) return {{}, errno};
    uint32_t want = 0;
    std::memcpy(&want, buf.data(), sizeof(want));  // argsz is the first field
    if (want <= buf.size()) return ok(std::move(buf));
    buf.assign(want, 0);
  }
  return {{}, EOVERFLOW};
}

}  // namespace vfiokit::raw
